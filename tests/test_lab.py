"""The lab's worked example and its forward-half answers, checked by hand."""

import json
from dataclasses import replace

import pytest
import torch

from rnnlab import lab, validation
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.lab import sections as answers
from rnnlab.lab.train import TrainingConfig


def test_constants_are_the_labs():
    torch.testing.assert_close(lab.U, torch.tensor([[-0.3, 0.6], [0.2, 0.1]]))
    torch.testing.assert_close(lab.V, torch.tensor([[0.4, 0.4], [0.9, -0.7]]))
    torch.testing.assert_close(lab.W, torch.tensor([[0.2, 0.1], [-0.2, 0.5]]))
    torch.testing.assert_close(lab.x1, torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(lab.x2, torch.tensor([0.3, 0.4]))
    torch.testing.assert_close(lab.h0, torch.zeros(2))
    torch.testing.assert_close(lab.T, torch.tensor([[0.6, 0.4], [0.3, 0.7]]))
    a, b = [1.0, 0.0], [0.0, 1.0]
    torch.testing.assert_close(lab.seq1, torch.tensor([a, a, a, a, a, a, b, b, a, a]))
    torch.testing.assert_close(lab.seq2, torch.tensor([b, a, b, b, b, b, a, b, b, b]))
    scalars = [lab.U_, lab.V_, lab.W_, lab.x1_, lab.x2_, lab.x3_, lab.x4_, lab.h0_]
    torch.testing.assert_close(
        torch.cat(scalars), torch.tensor([0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.8, 0])
    )


def test_the_worked_example_holds_the_constants_in_float64():
    worked = lab.WORKED
    for name in ("U", "V", "W", "T"):
        value = getattr(worked, name)
        assert value.dtype == torch.float64
        torch.testing.assert_close(value.float(), getattr(lab, name))
    torch.testing.assert_close(worked.xs.float(), torch.stack([lab.x1, lab.x2]))
    # Read from the decimals, not widened from float32: 0.6 is the float64 nearest 0.6.
    assert worked.U[0, 1].item() == 0.6
    assert worked.seqs == (tuple("aaaaaabbaa"), tuple("babbbbabbb"))
    assert worked.scalar.xs == (0.5, 0.6, 0.7, 0.8)


def test_forward_step():
    # Derived by hand in tests/test_rnn.py::test_lab_forward_step_matches_hand_computation.
    step = lab.forward_step()
    expected = {"h1": [0.6, 0.1], "o1": [0.13, -0.07], "h2": [0.43, 0.57], "o2": [0.143, 0.199]}
    assert list(step.values) == list(expected)
    for name, value in expected.items():
        torch.testing.assert_close(step.values[name], torch.tensor(value, dtype=torch.float64))


def test_forward_step_on_other_numbers_matches_torch_nn_rnn():
    # torch.nn.RNN (tanh, no bias) is an independent implementation of equation (1).
    generator = torch.Generator().manual_seed(5)
    U, V, W = (
        torch.randn(*shape, generator=generator, dtype=torch.float64)
        for shape in ((3, 2), (3, 3), (4, 3))
    )
    xs = torch.randn(5, 2, generator=generator, dtype=torch.float64)
    example = replace(
        lab.WORKED, U=U, V=V, W=W, xs=xs, h0=torch.zeros(3, dtype=torch.float64), sigma="tanh"
    )
    reference = torch.nn.RNN(2, 3, bias=False, nonlinearity="tanh").double()
    with torch.no_grad():
        reference.weight_ih_l0.copy_(U)
        reference.weight_hh_l0.copy_(V)
        h, _ = reference(xs)
    step = answers.forward_step(example)
    torch.testing.assert_close(step.h[1:], h)
    torch.testing.assert_close(step.o, h @ W.T)
    assert list(step.values) == [f"{name}{t}" for t in range(1, 6) for name in ("h", "o")]
    assert "the N = 5 inputs give the 6 states h_0 … h_5" in step.one_more_answer


def test_sequence_scores():
    scores = answers.bigram_scores(lab.WORKED)
    seq1, seq2 = scores.sequences
    # seq1 = aaaaaabbaa: six a→a, one a→b, one b→b, one b→a.
    assert seq1.probability == pytest.approx(0.6**6 * 0.4 * 0.7 * 0.3, rel=1e-12)
    # seq2 = babbbbabbb: two b→a, two a→b, five b→b.
    assert seq2.probability == pytest.approx(0.3**2 * 0.4**2 * 0.7**5, rel=1e-12)
    assert (seq1.stays, seq1.switches, seq2.stays, seq2.switches) == (7, 2, 5, 4)
    assert scores.more_likely == "seq1"


def test_the_more_likely_sequence_is_derived_from_the_numbers():
    # Swap the table's preference: switching is now likelier than staying.
    T = torch.tensor([[0.1, 0.9], [0.8, 0.2]], dtype=torch.float64)
    scores = answers.bigram_scores(replace(lab.WORKED, T=T))
    seq1, seq2 = scores.sequences
    assert seq1.probability == pytest.approx(0.1**6 * 0.9 * 0.2 * 0.8, rel=1e-12)
    assert seq2.probability == pytest.approx(0.8**2 * 0.9**2 * 0.2**5, rel=1e-12)
    assert scores.more_likely == "seq2"
    tied = answers.bigram_scores(replace(lab.WORKED, seqs=(tuple("ab"), tuple("ab"))))
    assert tied.more_likely == "none: seq1 and seq2"


def test_tiny_bigram_rnn():
    tiny = answers.tiny_bigram_rnn(lab.WORKED)
    torch.testing.assert_close(tiny.U, torch.eye(2, dtype=torch.float64))
    torch.testing.assert_close(tiny.V, torch.zeros(2, 2, dtype=torch.float64))
    torch.testing.assert_close(tiny.W, lab.WORKED.T.T)
    torch.testing.assert_close(tiny.outputs, lab.WORKED.T)
    assert tiny.matches_T and tiny.equal == (True, True)


def test_plain_data_is_float64_and_json():
    data = answers.plain(answers.forward_step(lab.WORKED))
    assert data["values"]["h1"] == [0.6, 0.1]  # float32 would give 0.6000000238418579
    assert "trace" not in data
    assert json.loads(json.dumps(data)) == data


def reaches(start, target) -> bool:
    """Whether autograd node ``target`` is upstream of node ``start`` in torch's record."""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node is target:
            return True
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(next_node for next_node, _ in node.next_functions)
    return False


def test_the_forward_graph_answer_matches_torchs_record():
    # The answer's claims, checked on torch's own graph, not on a drawing: h1 feeds both
    # o1 and h2, so o2 depends on x1, while h0 reaches o2 only through h1.
    leaves = [t.clone().requires_grad_() for t in (lab.U, lab.V, lab.W, lab.x1, lab.x2, lab.h0)]
    U, V, W, x1, x2, h0 = leaves
    h1 = torch.clamp(U @ x1 + V @ h0, min=0)
    o1 = W @ h1
    h2 = torch.clamp(U @ x2 + V @ h1, min=0)
    o2 = W @ h2
    assert reaches(o1.grad_fn, h1.grad_fn) and reaches(h2.grad_fn, h1.grad_fn)
    (dx1,) = torch.autograd.grad(o2.sum(), x1, retain_graph=True)
    assert dx1.abs().sum() > 0  # o2 depends on x1, through h1


@pytest.fixture
def table_checks(monkeypatch) -> list[torch.Tensor]:
    """Every table the rule for a stochastic T is applied to, from now on: check_stochastic
    and the Example's own check both apply it through rnnlab.validation."""
    checked = []
    rule = validation._check_rows

    def spy(T, *arguments, **keywords):
        checked.append(T)
        return rule(T, *arguments, **keywords)

    monkeypatch.setattr(validation, "_check_rows", spy)
    return checked


def test_the_labs_T_is_checked_once_when_its_example_is_made(table_checks):
    T = torch.tensor([[0.9, 0.1], [0.5, 0.5]], dtype=torch.float64)
    example = replace(lab.WORKED, T=T)
    assert len(table_checks) == 1 and torch.equal(table_checks[0], T)
    lab.answers(example, TrainingConfig(epochs=1, steps_per_epoch=1))
    lab.lab_graphs(example)
    assert len(table_checks) == 1


def test_run_on_a_file_checks_its_T_once(rnnlab, table_checks, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("T = [[0.9, 0.1], [0.5, 0.5]]\n")
    result = rnnlab("run", "--example", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert [T.tolist() for T in table_checks] == [[[0.9, 0.1], [0.5, 0.5]]]


def test_the_library_functions_still_check_T_at_their_boundary(table_checks):
    from rnnlab import BigramLM, bigram_rnn, sequence_probability
    from rnnlab.lab.train import entropy_rate, train

    T = lab.WORKED.T
    sequence_probability(torch.eye(2), T)
    bigram_rnn(T)
    BigramLM(T)
    entropy_rate(T)
    train(T, TrainingConfig(epochs=1, steps_per_epoch=1))
    assert len(table_checks) == 5
    bad = torch.tensor([[0.5, 0.4], [0.3, 0.7]])
    for call in (
        lambda: sequence_probability(torch.eye(2), bad),
        lambda: bigram_rnn(bad),
        lambda: BigramLM(bad),
        lambda: entropy_rate(bad),
        lambda: train(bad),
    ):
        with pytest.raises(InvalidValueError, match=r"^row 1 of T sums to 0.9, expected 1$"):
            call()


def test_answers_takes_an_example_and_a_training_config():
    with pytest.raises(InvalidTypeError, match=r"example is \{'T': 1\}, expected an Example"):
        lab.answers({"T": 1})
    with pytest.raises(InvalidTypeError, match="training is 5, expected a TrainingConfig"):
        lab.answers(lab.WORKED, training=5)
