"""The notebook's checks (one source for otter's tests and the grader) and plain data."""

import itertools
import math
from pathlib import Path

import nbformat
import pytest
import torch

from rnnlab.grading import MASTER, checks
from rnnlab.grading.plain import MAX_DEPTH, check, close, is_plain, plain

QUESTIONS = {question.name: question for question in checks.questions()}


def relu(x):
    return torch.clamp(x, min=0)


def reference_solution() -> dict:
    """A correct answer to every question, written here independently of rnnlab."""
    U = torch.tensor([[-0.3, 0.6], [0.2, 0.1]], dtype=torch.float64)
    V = torch.tensor([[0.4, 0.4], [0.9, -0.7]], dtype=torch.float64)
    W = torch.tensor([[0.2, 0.1], [-0.2, 0.5]], dtype=torch.float64)
    x1, x2 = torch.tensor([0.0, 1.0]).double(), torch.tensor([0.3, 0.4]).double()
    h0 = torch.zeros(2, dtype=torch.float64)
    h1 = relu(U @ x1 + V @ h0)
    h2 = relu(U @ x2 + V @ h1)

    def sequence_probability(seq, T):
        probability = torch.tensor(1.0, dtype=torch.float64)
        for current, following in itertools.pairwise(seq):
            probability = probability * T[current.argmax(), following.argmax()]
        return probability

    def bigram_rnn_parameters(T):
        size = T.shape[0]
        return torch.eye(size, dtype=T.dtype), torch.zeros(size, size, dtype=T.dtype), T.T

    def dL_dU(U, V, W, xs, h0):
        U = torch.tensor(U, dtype=torch.float64, requires_grad=True)
        h, loss = torch.tensor(h0, dtype=torch.float64), 0
        for t in range(len(xs) - 1):
            h = torch.clamp(U * xs[t] + V * h, min=0)
            loss = loss + (xs[t + 1] - W * h) ** 2
        loss.backward()
        return float(U.grad)

    U_ = U.clone().requires_grad_(True)
    relu(U_ @ x1 + V @ h0)[0].backward()
    T = torch.tensor([[0.6, 0.4], [0.3, 0.7]], dtype=torch.float64)
    return {
        "h1": h1,
        "o1": W @ h1,
        "h2": h2,
        "o2": W @ h2,
        "sequence_probability": sequence_probability,
        "bigram_rnn_parameters": bigram_rnn_parameters,
        "dL_dU": dL_dU,
        "U_grad": U_.grad,
        # section 2.2's tiny bigram RNN, which overwrites U, V, W and h0, in float32 as the lab
        "U": torch.eye(2),
        "V": torch.zeros(2, 2),
        "W": T.T.float(),
        "h0": torch.zeros(2),
        "sigma": lambda x: x,
    }


def evaluate(check: checks.Check, names: dict) -> object:
    import rnnlab

    return plain(eval(check.expression, {**names, "torch": torch, "rnnlab": rnnlab}))


def test_the_expected_values_match_the_lab_worked_by_hand():
    forward = {c.expression: c.expected for c in QUESTIONS["forward"].checks}
    # h1 = ReLU(U x1) = ReLU([0.6, 0.1]); h2 = ReLU(U x2 + V h1) = ReLU([0.15 + 0.28, 0.1 + 0.47])
    for name, value in {
        "h1": [0.6, 0.1],
        "o1": [0.13, -0.07],
        "h2": [0.43, 0.57],
        "o2": [0.143, 0.199],
    }.items():
        assert forward[name] == pytest.approx(value, abs=1e-12)
    bigram = [c.expected for c in QUESTIONS["bigram"].checks[:3]]
    assert bigram == pytest.approx([0.6**6 * 0.4 * 0.7 * 0.3, 0.3**2 * 0.4**2 * 0.7**5, 1.0])
    # N = 1: dL/dU = 2 (W h1 - x2) W x1 with h1 = U x1 = 0.05
    assert QUESTIONS["bptt"].checks[0].expected == pytest.approx(2 * (0.3 * 0.05 - 0.6) * 0.3 * 0.5)
    assert QUESTIONS["automatic_diff"].checks[2].expected == [[0.0, 1.0], [0.0, 0.0]]


@pytest.mark.parametrize("name", [q for q in QUESTIONS if not QUESTIONS[q].written])
def test_an_independent_solution_passes_every_check(name):
    names = reference_solution()
    for check_ in QUESTIONS[name].checks:
        got = evaluate(check_, names)
        assert close(got, check_.expected, check_.tolerance), (check_.expression, got)


def test_a_wrong_solution_fails_the_hidden_checks_too():
    names = reference_solution()
    right = names["sequence_probability"]
    names["sequence_probability"] = lambda seq, T: right(seq, T) * 0.6
    assert not any(
        close(evaluate(c, names), c.expected, c.tolerance) for c in QUESTIONS["bigram"].checks
    )
    names["dL_dU"] = lambda U, V, W, xs, h0: 0.0  # right only where ReLU is flat throughout
    passed = [close(evaluate(c, names), c.expected, c.tolerance) for c in QUESTIONS["bptt"].checks]
    assert passed.count(True) <= 1


def test_every_question_has_a_public_and_a_hidden_check():
    for question in QUESTIONS.values():
        if question.written:
            assert question.checks == ()
            continue
        assert any(c.hidden for c in question.checks), question.name
        assert any(not c.hidden for c in question.checks), question.name
        assert all(is_plain(c.expected) for c in question.checks)
    assert sum(q.points for q in QUESTIONS.values() if not q.written) == 23
    assert sum(q.points for q in QUESTIONS.values() if q.written) == 10


def test_the_master_notebooks_test_cells_are_made_from_the_checks():
    master = nbformat.read(MASTER, as_version=4)
    synced = checks.sync_master(nbformat.read(MASTER, as_version=4))
    assert [(c.cell_type, c.source) for c in synced.cells] == [
        (c.cell_type, c.source) for c in master.cells
    ], "run: python -m rnnlab.grading"
    sources = "\n".join(c.source for c in master.cells)
    for question in QUESTIONS.values():
        for check_ in question.checks:
            assert f"    {check_.expression},\n    {check_.expected!r}," in sources


def test_the_repositorys_notebook_is_the_master():
    copy = Path(__file__).resolve().parents[1] / "notebooks" / "rnn_lab.ipynb"
    assert copy.read_bytes() == MASTER.read_bytes()


def test_a_test_cell_runs_as_otter_runs_it():
    names = reference_solution()
    for question in QUESTIONS.values():
        for check_ in question.checks:
            exec(checks.test_cell(check_), dict(names))  # raises where it fails
    names["o1"] = torch.tensor([0.13, 0.07])
    with pytest.raises(AssertionError, match=r"o1 should be .*got \[0.129"):
        exec(checks.test_cell(QUESTIONS["forward"].checks[0]), dict(names))


def test_plain_turns_values_into_json_data():
    assert plain(torch.tensor([[1, 2]], dtype=torch.int64)) == [[1.0, 2.0]]
    assert plain((torch.tensor(0.5), 3, True, None, "a")) == [0.5, 3.0, True, None, "a"]
    assert plain([math.nan, math.inf, -math.inf]) == ["nan", "inf", "-inf"]
    assert plain(torch.tensor([1.0], requires_grad=True) * 2) == [2.0]
    for bad, error in [
        (len, TypeError),
        ({"a": 1}, TypeError),
        (torch.tensor([1j]), TypeError),
        (torch.zeros(200_000), ValueError),
    ]:
        with pytest.raises(error):
            plain(bad)
    deep: list = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    with pytest.raises(ValueError, match="levels"):
        plain(deep)


def test_close_compares_structure_and_numbers_within_the_tolerance():
    assert close([1.0, [2.0]], [1.0, [2.0 + 1e-7]], 1e-6)
    assert close(1000.0, 1000.0005, 1e-6)  # relative above 1
    assert not close(1.0, 1.00001, 1e-6)
    assert not close([1.0], [1.0, 2.0], 1e-6)
    assert not close([[1.0, 2.0]], [1.0, 2.0], 1e-6)
    assert not close(True, 1.0, 1e-6) and not close(1.0, True, 1e-6)
    assert not close("nan", 1.0, 1e-6) and not close(None, 0.0, 1e-6)
    assert not is_plain(math.nan) and not is_plain({"a": 1}) and is_plain([1, "x", None])
    with pytest.raises(AssertionError, match="got 2.0, expected 1.0"):
        check(2, 1.0, 1e-6, "message")
