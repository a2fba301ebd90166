"""rnnlab.lab.example: the lab's numbers read from a user's JSON or TOML file, and written back."""

import dataclasses
import json
import math
import re

import pytest
import torch

from rnnlab import lab
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.lab.example import KEYS, Example, example_text, parse_example, read_example


def test_the_written_example_reads_back_as_the_worked_one(tmp_path):
    path = tmp_path / "example.toml"
    path.write_text(example_text(lab.WORKED))
    read = read_example(path, base=lab.WORKED)
    for name in ("U", "V", "W", "xs", "h0", "T"):
        assert torch.equal(getattr(read, name), getattr(lab.WORKED, name))
    assert (read.sigma, read.Vocab, read.seqs) == ("relu", ("a", "b"), lab.WORKED.seqs)
    assert read.scalar.xs == (0.5, 0.6, 0.7, 0.8)
    assert path.read_text().startswith("# ")


def test_a_json_file_changes_only_the_keys_it_has(tmp_path):
    path = tmp_path / "mine.json"
    data = {
        "U": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
        "V": [[0.1, 0, 0], [0, 0.2, 0], [0, 0, 0.3]],
        "W": [[1, 0, 0]],
        "xs": [[1, 0, 0], [0, 1, 0]],
        "h0": [0, 0, 0],
        "sigma": "tanh",
        "Vocab": ["the", "cat", "sat"],
        "T": [[0, 1, 0], [0, 0, 1], [1, 0, 0]],
        "seqs": [["the", "cat", "sat"], ["sat", "the"]],
        "scalar": {"xs": [1, 2]},
    }
    path.write_text(json.dumps(data))
    example = read_example(path, base=lab.WORKED)
    assert example.U.dtype == torch.float64 and example.U.shape == (3, 3)
    assert example.seqs == (("the", "cat", "sat"), ("sat", "the"))
    # Keys the file does not have keep the worked example's value.
    assert (example.scalar.U, example.scalar.V, example.scalar.W) == (0.1, 0.2, 0.3)
    assert example.scalar.xs == (1.0, 2.0) and example.scalar.lengths == (1,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Q": 1}, "unknown key 'Q' = 1"),
        ({"U": [[1, 2], [3]]}, r"U = \[\[1, 2\], \[3\]\]: its rows differ in length"),
        ({"U": [[1, 2, 3], [4, 5, 6]]}, r"V = .*worked example's.*is 2 × 2, expected 2 × 2|xs ="),
        ({"sigma": "softplus"}, 'sigma = "softplus", expected one of relu'),
        ({"T": [[0.5, 0.4], [0.3, 0.7]]}, r"row 1 of T = \[0.5, 0.4\] sums to 0.9"),
        ({"seqs": ["abc"]}, "the word 'c' is not in Vocab"),
        ({"h0": [0, "x"]}, 'h0 = "x", expected a number'),
        ({"scalar": {"xs": [1]}}, r"scalar.xs = \[1\], expected at least two inputs"),
        ({"scalar": {"q": 1}}, "unknown key 'scalar.q' = 1"),
        ({"W": [[float("nan"), 0]]}, "W = NaN, expected a finite number"),
    ],
)
def test_a_bad_key_is_named_with_its_value(data, message):
    with pytest.raises(InvalidValueError, match=message):
        parse_example(data, lab.WORKED)


@pytest.mark.parametrize(
    ("data", "message", "not_named"),
    [
        (
            {"Vocab": ["a", "b", "c"]},
            r"T = .*the worked example's.* is 2 × 2, expected 3 × 3 to match Vocab \(3 words\)",
            "U",
        ),
        (
            {"V": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]},
            r"V = .* expected 2 × 2: H × H, H = 2 from U",
            "Vocab",
        ),
        ({"W": [[1, 0, 0]]}, r"W = .* expected 1 × 2: O × H, H = 2 from U", "Vocab"),
        ({"xs": [[1, 0, 0]]}, r"xs = .* expected 1 × 2: N × D, D = 2 from U", "Vocab"),
        ({"h0": [0, 0, 0]}, r"h0 = .* expected 2 long: H = 2 from U", "Vocab"),
    ],
)
def test_a_size_that_does_not_fit_names_what_it_must_fit(data, message, not_named):
    with pytest.raises(InvalidValueError, match=message) as error:
        parse_example(data, lab.WORKED)
    assert not_named not in str(error.value).split("expected")[1]


def test_the_scalar_rnn_takes_the_labs_h0_of_zero_and_says_why_not_another():
    scalar = parse_example({"scalar": {"h0": 0, "U": 2}}, lab.WORKED).scalar
    assert (scalar.U, scalar.V, scalar.xs) == (2.0, lab.WORKED.scalar.V, lab.WORKED.scalar.xs)
    with pytest.raises(
        InvalidValueError, match=r"scalar.h0 = 0.5: the scalar RNN starts from h_0 = 0.*U, V, W, xs"
    ):
        parse_example({"scalar": {"h0": 0.5}}, lab.WORKED)


def test_a_file_that_does_not_parse_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("U = [[1, 2]\n")
    with pytest.raises(InvalidValueError, match="bad.toml: not valid TOML"):
        read_example(path, lab.WORKED)
    other = tmp_path / "numbers.txt"
    other.write_text("{}")
    with pytest.raises(InvalidValueError, match="expected a .json or .toml file"):
        read_example(other, lab.WORKED)


def test_run_on_a_users_file_prints_numbers_computed_independently(rnnlab, tmp_path):
    # σ = identity, h0 = 0, x1 = [1, 0], x2 = [0, 1]: h1 = U x1 = [1, 3],
    # h2 = U x2 + V h1 = [2, 4] + [0.5·1, 0.5·3] = [2.5, 5.5], o_t = [1, 1] h_t.
    path = tmp_path / "mine.toml"
    path.write_text(
        "U = [[1.0, 2.0], [3.0, 4.0]]\nV = [[0.5, 0.0], [0.0, 0.5]]\nW = [[1.0, 1.0]]\n"
        'xs = [[1.0, 0.0], [0.0, 1.0]]\nsigma = "identity"\n'
        'T = [[0.9, 0.1], [0.5, 0.5]]\nseqs = ["ab", "aa"]\n'
        "[scalar]\nU = 2.0\nV = 0.5\nW = 1.0\nxs = [1.0, 0.0]\n"
    )
    result = rnnlab("run", "--example", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    for value in ("[1, 3]", "[2.5, 5.5]", "[4]", "[8]"):
        assert value in result.stdout
    # Pr(ab) = T_ab = 0.1 and Pr(aa) = 0.9: the second is the more likely.
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    probabilities = [s["probability"] for s in data["bigram"]["sequences"]]
    assert probabilities == pytest.approx([0.1, 0.9], rel=1e-12)
    assert data["bigram"]["more_likely"] == "seq2"
    # Scalar, σ = identity: h1 = 2, o1 = 2, L = (0 − 2)², dL/dU = 2(2 − 0) · 1 · 1 = 4.
    assert data["backward"]["cases"][0]["dL_dU"] == 4.0
    assert "the numbers in" in (tmp_path / "out" / "report.html").read_text()


def test_run_names_a_bad_key_in_one_line(rnnlab, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"sigma": "softplus"}')
    result = rnnlab("run", "--example", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and 'sigma = "softplus"' in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_example_command_writes_a_file_run_accepts(rnnlab, tmp_path):
    path = tmp_path / "start.toml"
    assert rnnlab("example", str(path)).returncode == 0
    assert read_example(path, lab.WORKED).T.tolist() == [[0.6, 0.4], [0.3, 0.7]]
    again = rnnlab("example", str(path))
    assert again.returncode == 2 and "--force" in again.stderr


def test_an_example_too_large_to_print_or_draw_is_refused():
    with pytest.raises(InvalidValueError, match="xs = .* has steps 31, more than the 30"):
        parse_example({"xs": [[0.0, 1.0]] * 31}, lab.WORKED)
    big = [[0.0] * 13 for _ in range(13)]
    with pytest.raises(InvalidValueError, match="U = .* has size 13, more than the 12"):
        parse_example({"U": big, "V": big, "xs": [[0.0] * 13], "h0": [0.0] * 13}, lab.WORKED)


def test_five_scalar_inputs_are_n_4_in_the_step_table_the_text_and_grad(rnnlab, tmp_path):
    from rnnlab.render import layout

    example = parse_example({"scalar": {"xs": [0.5, 0.6, 0.7, 0.8, 0.9]}}, lab.WORKED)
    # dL/dU by torch autograd on the scalar RNN, L = Σ_t (x_(t+1) − o_t)², t = 1 … 4.
    U = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
    h, L = torch.tensor(0.0, dtype=torch.float64), 0
    for x, target in zip(example.scalar.xs[:-1], example.scalar.xs[1:], strict=True):
        h = torch.relu(U * x + 0.2 * h)
        L = L + (target - 0.3 * h) ** 2
    L.backward()
    sections = {section.number: section for section in layout.lab_document(lab.answers(example))}
    backward = sections["3"].blocks
    steps = next(block for block in backward if getattr(block, "caption", "").startswith("The"))
    assert len(steps.rows) == 4
    said = " ".join(getattr(block, "text", "") for block in backward)
    assert "these 5 inputs give N = 4 steps" in said and "3.1–3.3 take N = 1, 2, 3" in said
    path = tmp_path / "five.toml"
    path.write_text("[scalar]\nxs = [0.5, 0.6, 0.7, 0.8, 0.9]\n")
    printed = rnnlab("grad", "--example", str(path)).stdout
    assert "N = 4, h0 = 0" in printed
    reverse, paths, autograd = re.search(
        r"\(1, 1\)\s*│\s*(\S+)\s*│\s*(\S+)\s*│\s*(\S+)", printed
    ).groups()
    for value in (reverse, paths, autograd):
        assert float(value) == pytest.approx(float(U.grad), rel=1e-9)  # -1.3570328


@pytest.mark.parametrize(
    ("T", "message"),
    [
        ([[0.5, 0.4], [0.3, 0.7]], r"row 1 of T = \[0.5, 0.4\] sums to 0.9, expected 1"),
        ([[1.5, -0.5], [0.3, 0.7]], r"T_\(1,1\) is 1.5 \(in row 1 of T = \[1.5, -0.5\]\)"),
        ([[0.6, 0.4], [-0.3, 1.3]], r"T_\(2,1\) is -0.3 .*expected a probability in \[0, 1\]"),
        ([[0.6, 0.4], [float("nan"), 0.7]], "T = NaN, expected a finite number"),
        ([[0.6, 0.4, 0.0], [0.3, 0.7, 0.0]], r"T = \[\[0.6, 0.4, 0.0\].* is 2 × 3, expected 2 × 2"),
    ],
)
def test_an_example_with_a_bad_T_cannot_be_made(T, message):
    # The same T refused however the Example is made: directly, by replace, from a file.
    fields = {key: getattr(lab.WORKED, key) for key in KEYS}
    for made in (
        lambda: Example(**{**fields, "T": torch.tensor(T, dtype=torch.float64)}),
        lambda: dataclasses.replace(lab.WORKED, T=T),
        lambda: parse_example({"T": T}, lab.WORKED),
    ):
        with pytest.raises(InvalidValueError, match=message):
            made()


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"U": torch.ones(2)}, InvalidValueError, r"U = \[1.0, 1.0\], expected a list of rows"),
        ({"h0": [[0.0, 0.0]]}, InvalidValueError, r"h0 = \[0.0, 0.0\], expected a number"),
        ({"V": torch.full((2, 2), math.inf)}, InvalidValueError, "V = Infinity, expected a finite"),
        ({"W": torch.ones(2, 2, dtype=torch.bool)}, InvalidTypeError, "W has dtype torch.bool"),
        ({"xs": torch.ones(2, 3)}, InvalidValueError, r"xs = .* is 2 × 3, expected 2 × 2: N × D"),
        ({"sigma": "softplus"}, InvalidValueError, 'sigma = "softplus", expected one of relu'),
        ({"Vocab": ("a", "a")}, InvalidValueError, "expected distinct, non-empty words"),
        ({"seqs": (("a", "c"),)}, InvalidValueError, "the word 'c' is not in Vocab"),
        ({"scalar": (0.1, 0.2)}, InvalidTypeError, r"scalar = \[0.1, 0.2\], expected a Scalar"),
        ({"xs": [[0.0, 1.0]] * 31}, InvalidValueError, "xs = .* has steps 31, more than the 30"),
    ],
)
def test_every_field_of_an_example_is_checked_when_it_is_made(changes, error, message):
    with pytest.raises(error, match=message):
        dataclasses.replace(lab.WORKED, **changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"xs": (0.5,)}, r"scalar.xs = \[0.5\], expected at least two inputs"),
        ({"U": math.nan}, "scalar.U = NaN, expected a finite number"),
        ({"W": "0.3"}, 'scalar.W = "0.3", expected a number'),
        ({"xs": [0.0] * 32}, r"scalar.xs = .* has steps 31, more than the 30"),
    ],
)
def test_a_scalar_example_is_checked_when_it_is_made(changes, message):
    with pytest.raises(InvalidValueError, match=message):
        dataclasses.replace(lab.WORKED.scalar, **changes)


def test_an_example_holds_its_own_float64_copies():
    T = torch.tensor([[0.5, 0.5], [0.25, 0.75]], dtype=torch.float32)
    U = [[1.0, 0.0], [0.0, 1.0]]
    example = dataclasses.replace(lab.WORKED, T=T, U=U)
    assert example.T.dtype == example.U.dtype == torch.float64
    T[0] = torch.tensor([2.0, -1.0])  # in place, as through a numpy view or .data
    T.numpy()[1, 0] = 9.0
    U[0][0] = 5.0
    assert example.T.tolist() == [[0.5, 0.5], [0.25, 0.75]]
    assert example.U.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    copy = dataclasses.replace(example)
    assert copy.T is not example.T and torch.equal(copy.T, example.T)
    assert dataclasses.replace(lab.WORKED.scalar, xs=[1, 2]).xs == (1.0, 2.0)


def test_a_replaced_example_does_not_say_its_values_came_from_a_file():
    with pytest.raises(InvalidValueError) as error:
        dataclasses.replace(lab.WORKED, Vocab=("a", "b", "c"))
    assert "T = [[0.6, 0.4], [0.3, 0.7]] is 2 × 2, expected 3 × 3" in str(error.value)
    assert "worked example's" not in str(error.value)
