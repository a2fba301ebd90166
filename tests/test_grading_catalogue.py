"""The catalogue of typical mistakes: each loses points on its own question only, and
correct answers written in other ways keep every point, on both grading paths.

Every notebook is the student hand-out with its answer cells filled in: the correct
answers below, with one of them replaced by a mistake, or by another correct way of
writing it. All are graded with `rnnlab notebook grade` (one run, two at a time) and with
stock `otter run` on the autograder zip; the two totals must agree. The catalogue is how
the checks are measured: add a mistake here, see it caught.
"""

import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from grading_class import POINTS, grade_class, points
from rnnlab import grading
from rnnlab.grading import derivations
from rnnlab.grading.derivations import PLACEHOLDER, TAG

pytestmark = pytest.mark.slow

FORWARD = """\
def relu(x):
    return torch.clamp(x, min=0)


h1 = relu(U @ x1 + V @ h0)
o1 = W @ h1
h2 = relu(U @ x2 + V @ h1)
o2 = W @ h2
"""

BIGRAM = """\
def sequence_probability(seq, T):
    return torch.prod((seq[:-1] @ T * seq[1:]).sum(dim=1))
"""

TINY = """\
h0 = torch.zeros(2)


def sigma(x):
    return x


U = torch.eye(2)
V = torch.zeros(2, 2)
W = T.T
"""

GENERAL = """\
def bigram_rnn_parameters(T):
    size = T.shape[0]
    return torch.eye(size, dtype=T.dtype), torch.zeros(size, size, dtype=T.dtype), T.T
"""

BPTT = """\
def dL_dU(U, V, W, xs, h0):
    N = len(xs) - 1
    h, slopes = [h0], []
    for t in range(1, N + 1):
        z = U * xs[t - 1] + V * h[t - 1]
        slopes.append(1.0 if z > 0 else 0.0)
        h.append(max(z, 0.0))
    total = 0.0
    for t in range(1, N + 1):
        upstream = 2 * (W * h[t] - xs[t]) * W
        for k in range(t, 0, -1):
            total += upstream * slopes[k - 1] * xs[k - 1]
            upstream *= slopes[k - 1] * V
    return total
"""

AUTOGRAD = """\
U_.grad = None
h1_ = relu(U_ @ x1_ + V_ @ h0_)
h11 = h1_[0]
h11.backward()
U_grad = U_.grad
"""

# The derivations of section 3, typed into their Markdown answer cells, one notation each.
D = "\\partial"
DERIVED_1 = (
    f"One path:\n$$\\frac{{{D} L}}{{{D} \\mathbf{{U}}}} = \\frac{{{D} L}}{{{D} o_1}}"
    f"\\frac{{{D} o_1}}{{{D} h_1}}\\frac{{{D} h_1}}{{{D} \\mathbf{{U}}}}$$"
)
DERIVED_2 = "dL/dU = dL/do1 * do1/dh1 * dh1/dU + dL/do2 * do2/dh2 * (dh2/dU + dh2/dh1 * dh1/dU)"
DERIVED_3 = (
    "$$\\sum_{t=1}^{3} \\frac{\\partial L}{\\partial o_t} \\frac{\\partial o_t}{\\partial h_t} "
    "\\sum_{k=1}^{t} \\left(\\prod_{j=k+1}^{t} \\frac{\\partial h_j}{\\partial h_{j-1}}\\right) "
    "\\frac{\\partial h_k}{\\partial \\mathbf{U}}$$"
)
DERIVED_ANY = DERIVED_3.replace("^{3}", "^{N}")

CORRECT = {
    "forward": FORWARD,
    "bigram": BIGRAM,
    "tiny_bigram_RNN": TINY,
    "general_bigram_RNN": GENERAL,
    "bptt": BPTT,
    "automatic_diff": AUTOGRAD,
    "bptt_1": DERIVED_1,
    "bptt_2": DERIVED_2,
    "bptt_3": DERIVED_3,
    "bptt_general": DERIVED_ANY,
}

MARKERS = {
    "forward": "h1 = ...",
    "bigram": "def sequence_probability(",
    "tiny_bigram_RNN": "U = ...",
    "general_bigram_RNN": "def bigram_rnn_parameters(",
    "bptt": "def dL_dU(",
    "automatic_diff": "h1_ = ...",
}
"""A line of each answer cell of the hand-out, by question."""


def edit(question: str, old: str, new: str) -> dict[str, str]:
    """The correct answer to question with old replaced by new (which must be there)."""
    assert old in CORRECT[question], (question, old)
    return {question: CORRECT[question].replace(old, new)}


MISTAKES = {
    # a mistake: the answer cell it changes, of the question it must cost
    "forward without ReLU": edit("forward", "return torch.clamp(x, min=0)", "return x"),
    "forward hard-coded": {
        "forward": FORWARD.split("\n\n\n")[0]
        + "\n\n\nh1 = torch.tensor([0.6, 0.1])\no1 = torch.tensor([0.13, -0.07])\n"
        "h2 = torch.tensor([0.43, 0.57])\no2 = torch.tensor([0.143, 0.199])\n"
    },
    "forward U where V belongs": edit("forward", "V @ h", "U @ h"),
    "forward o2 through V": edit("forward", "o2 = W @ h2", "o2 = V @ h2"),
    "forward h2 from h0": edit("forward", "V @ h1)", "V @ h0)"),
    "bigram returns 1": {"bigram": "def sequence_probability(seq, T):\n    return 1.0\n"},
    "bigram transposed lookup": edit("bigram", "seq[:-1] @ T * seq[1:]", "seq[1:] @ T * seq[:-1]"),
    "tiny V = I": edit("tiny_bigram_RNN", "V = torch.zeros(2, 2)", "V = torch.eye(2)"),
    "general only for 2 words": edit("general_bigram_RNN", "size = T.shape[0]", "size = 2"),
    "dL_dU returns 0": {"bptt": "def dL_dU(U, V, W, xs, h0):\n    return 0.0\n"},
    "dL_dU off by one in the path product": edit(
        "bptt",
        "            total += upstream * slopes[k - 1] * xs[k - 1]\n"
        "            upstream *= slopes[k - 1] * V\n",
        "            upstream *= slopes[k - 1] * V\n"
        "            total += upstream * slopes[k - 1] * xs[k - 1]\n",
    ),
    "dL_dU sign of dL/do flipped": edit("bptt", "2 * (W * h[t] - xs[t])", "2 * (xs[t] - W * h[t])"),
    "dL_dU only the paths k = t": edit("bptt", "range(t, 0, -1)", "range(t, t - 1, -1)"),
    "dL_dU without ReLU's slope": edit("bptt", "1.0 if z > 0 else 0.0", "1.0"),
    "dL_dU endless loop": edit(
        "bptt", "    total = 0.0\n", "    total = 0.0\n    while N:\n        pass\n"
    ),
    "U_grad of h1's second entry": edit("automatic_diff", "h11 = h1_[0]", "h11 = h1_[1]"),
    "U_grad of h1's sum": edit("automatic_diff", "h11 = h1_[0]", "h11 = h1_.sum()"),
    "U_grad all zeros": edit("automatic_diff", "U_grad = U_.grad", "U_grad = torch.zeros(2, 2)"),
    "3.1 through do1/dU": {"bptt_1": "dL/dU = dL/do1 * do1/dh1 * dh1/dU + dL/do1 * do1/dU"},
    "3.2 without the path through h1": edit("bptt_2", " + dh2/dh1 * dh1/dU", ""),
    "3.3 the answer for N = 2": {"bptt_3": DERIVED_2},
    "3.3 the sum over k past t": edit("bptt_3", "\\sum_{k=1}^{t}", "\\sum_{k=1}^{3}"),
}

HURTS = {name: next(iter(cells)) for name, cells in MISTAKES.items()}
"""The question each mistake touches: the one whose answer cell it changes."""

LISTED = set(MISTAKES) - {
    "bigram transposed lookup",
    "tiny V = I",
    "general only for 2 words",
    "dL_dU without ReLU's slope",
    "3.1 through do1/dU",
    "3.2 without the path through h1",
    "3.3 the answer for N = 2",
    "3.3 the sum over k past t",
}
"""The mistakes the issue lists; the others are the catalogue's own."""

BPTT_REVERSE_FLOAT32 = """\
def dL_dU(U, V, W, xs, h0):
    # one backward sweep, as min-char-rnn: dh carries dL/dh_t back, in float32 tensors
    xs = torch.tensor(xs)
    N = len(xs) - 1
    h, z = [torch.tensor(h0)], []
    for t in range(N):
        z.append(U * xs[t] + V * h[-1])
        h.append(torch.relu(z[-1]))
    dU, dh_next = torch.tensor(0.0), torch.tensor(0.0)
    for t in reversed(range(N)):
        dh = 2 * (W * h[t + 1] - xs[t + 1]) * W + dh_next
        dz = dh * (z[t] > 0).float()
        dU = dU + dz * xs[t]
        dh_next = dz * V
    return float(dU)
"""

BPTT_FLOAT64 = """\
def dL_dU(U, V, W, xs, h0):
    U, V, W, h0 = (torch.tensor(w, dtype=torch.float64) for w in (U, V, W, h0))
    xs = torch.tensor(xs, dtype=torch.float64)
    h, slope = [h0], []
    for t in range(len(xs) - 1):
        z = U * xs[t] + V * h[-1]
        slope.append((z > 0).double())
        h.append(torch.maximum(z, torch.zeros_like(z)))
    gradient = torch.zeros((), dtype=torch.float64)
    for t in range(1, len(xs)):
        for k in range(1, t + 1):
            path = torch.ones((), dtype=torch.float64)
            for j in range(k + 1, t + 1):
                path = path * slope[j - 1] * V
            gradient = gradient + 2 * (W * h[t] - xs[t]) * W * path * slope[k - 1] * xs[k - 1]
    return gradient.item()
"""

VARIANTS = {
    "forward: F.relu and torch.mv": {
        "forward": "import torch.nn.functional as F\n\n"
        "h1 = F.relu(torch.mv(U, x1) + torch.mv(V, h0))\no1 = torch.mv(W, h1)\n"
        "h2 = F.relu(torch.mv(U, x2) + torch.mv(V, h1))\no2 = torch.mv(W, h2)\n"
        "relu = F.relu\n"
    },
    "forward: torch.maximum, in float64": {
        "forward": "def relu(x):\n    return torch.maximum(x, torch.zeros_like(x))\n\n\n"
        "h1 = relu(U.double() @ x1.double() + V.double() @ h0.double())\n"
        "o1 = W.double() @ h1\n"
        "h2 = relu(U.double() @ x2.double() + V.double() @ h1)\no2 = W.double() @ h2\n"
    },
    "forward: torch.relu, in a loop over the steps": {
        "forward": "relu = torch.relu\n"
        "h = [h0]\nfor x in (x1, x2):\n    h.append(relu(U @ x + V @ h[-1]))\n"
        "h1, h2 = h[1], h[2]\no1, o2 = W @ h1, W @ h2\n",
    },
    "bigram: torch.mm": edit("bigram", "seq[:-1] @ T * seq[1:]", "torch.mm(seq[:-1], T) * seq[1:]"),
    "bigram: a loop over Python floats": {
        "bigram": "def sequence_probability(seq, T):\n"
        "    probability = 1.0\n"
        "    for t in range(len(seq) - 1):\n"
        "        i, j = int(seq[t].argmax()), int(seq[t + 1].argmax())\n"
        "        probability *= float(T[i, j])\n"
        "    return probability\n",
    },
    "bigram: log space": {
        "bigram": "def sequence_probability(seq, T):\n"
        "    steps = (seq[:-1] @ T * seq[1:]).sum(dim=1)\n"
        "    return torch.exp(torch.log(steps).sum())\n"
    },
    "tiny_bigram_RNN: U = T transposed, W = I": {
        "tiny_bigram_RNN": TINY.replace("U = torch.eye(2)", "U = T.T").replace(
            "W = T.T", "W = torch.eye(2)"
        )
    },
    "general_bigram_RNN: U = T transposed, W = I": {
        "general_bigram_RNN": "def bigram_rnn_parameters(T):\n"
        "    n = len(T)\n"
        "    return T.T.clone(), torch.zeros(n, n, dtype=T.dtype), torch.eye(n, dtype=T.dtype)\n",
    },
    "general_bigram_RNN: float32 matrices for a float64 T": {
        "general_bigram_RNN": "def bigram_rnn_parameters(T):\n"
        "    n = T.shape[0]\n"
        "    return torch.eye(n), torch.zeros(n, n), T.T.float()\n"
    },
    "bptt: the reverse sweep, in float32 tensors": {"bptt": BPTT_REVERSE_FLOAT32},
    "bptt: float64 tensors and torch.maximum": {"bptt": BPTT_FLOAT64},
    "automatic_diff: torch.relu and torch.mv": edit(
        "automatic_diff", "relu(U_ @ x1_ + V_ @ h0_)", "torch.relu(torch.mv(U_, x1_) + V_ @ h0_)"
    ),
    "3.1 in Unicode": {"bptt_1": "∂L/∂U = ∂L/∂o₁ · ∂o₁/∂h₁ · ∂h₁/∂U"},
    "3.2 in LaTeX, terms reordered, each path written out": {
        "bptt_2": f"$$\\frac{{{D} L}}{{{D} o_2}}\\frac{{{D} o_2}}{{{D} h_2}}"
        f"\\frac{{{D} h_2}}{{{D} U}} + "
        f"\\frac{{{D} h_1}}{{{D} U}}\\frac{{{D} o_1}}{{{D} h_1}}\\frac{{{D} L}}{{{D} o_1}} + "
        f"\\frac{{{D} L}}{{{D} o_2}}\\frac{{{D} o_2}}{{{D} h_2}}\\frac{{{D} h_2}}{{{D} h_1}}"
        f"\\frac{{{D} h_1}}{{{D} U}}$$"
    },
    "3.3 with the sums in the other order": {
        "bptt_3": "$$\\sum_{k=1}^{3} \\sum_{t=k}^{3} \\frac{\\partial L}{\\partial o_t} "
        "\\frac{\\partial o_t}{\\partial h_t} \\prod_{j=k+1}^{t} "
        "\\frac{\\partial h_j}{\\partial h_{j-1}} \\frac{\\partial h_k}{\\partial \\mathbf{U}}$$"
    },
}
"""Correct answers written in other ways, each for one question."""


def packed(variants: dict[str, dict[str, str]]) -> list[list[str]]:
    """The variants in as few notebooks as hold at most one variant per question: each
    notebook is graded once, and the variants' questions must all keep every point."""
    notebooks: list[list[str]] = []
    for name, answers in variants.items():
        for names in notebooks:
            if not any(set(answers) & set(variants[other]) for other in names):
                names.append(name)
                break
        else:
            notebooks.append([name])
    return notebooks


CORRECT_NOTEBOOKS = {
    f"correct {number + 1}": names for number, names in enumerate(packed(VARIANTS))
}

MISTAKE_NOTEBOOKS = {
    f"mistakes {number + 1}": names for number, names in enumerate(packed(MISTAKES))
}
"""The mistakes, several to a notebook, each of another question: a notebook is graded
once, and each of its mistakes must cost its own question, the untouched ones nothing."""


def notebook(student: Path, answers: dict[str, str], path: Path) -> Path:
    """The student hand-out with every answer cell filled: CORRECT, then answers. A
    derivation's answer cell is the placeholder after the prompt holding its tag."""
    handout = nbformat.read(student, as_version=4)
    filled = {**CORRECT, **answers}
    derivation = None
    for cell in handout.cells:
        for question, marker in MARKERS.items():
            if cell.cell_type == "code" and marker in cell.source:
                cell.source = filled[question]
        for question in derivations.DERIVATIONS:
            if cell.cell_type == "markdown" and TAG.format(name=question) in cell.source:
                derivation = question
        if derivation and cell.cell_type == "markdown" and cell.source == PLACEHOLDER:
            cell.source, derivation = filled[derivation], None
    nbformat.write(handout, path)
    return path


def otter_run(archive: Path, submission: Path, out: Path) -> dict[str, float]:
    """Stock `otter run` on one submission: each question's score."""
    out.mkdir()
    bin_folder = Path(sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [bin_folder / "otter", "run", "--no-logo", "-a", archive, "-o", out, submission],
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    )
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: float(t["score"]) for t in results["tests"] if t["name"] in POINTS}


def publicly_flagged(feedback: str, question: str) -> bool:
    """Whether a public check of question failed in a student's feedback."""
    section = feedback.split(f"## {question}:", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    return any(line not in ("- hidden test failed", "- all checks passed") for line in lines)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """Every catalogue notebook graded both ways: {name: (rnnlab's row, otter's points,
    the student's feedback)}."""
    folder = tmp_path_factory.mktemp("catalogue")
    built = grading.build(folder / "build")
    cases = {
        name: {q: a for case in names for q, a in {**MISTAKES, **VARIANTS}[case].items()}
        for name, names in {**MISTAKE_NOTEBOOKS, **CORRECT_NOTEBOOKS}.items()
    }
    paths = {}
    for number, (name, answers) in enumerate(cases.items()):
        paths[name] = notebook(
            built.student / "rnn_lab.ipynb", answers, folder / f"n{number:02}.ipynb"
        )
    table = folder / "scores.csv"
    result = grade_class(list(paths.values()), table, built.autograder, 300, 2048)
    assert result.exit_code == 0, result.output
    with open(table, newline="") as stream:
        rows = {Path(row["submission"]).stem: row for row in csv.DictReader(stream)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        otter = dict(
            zip(
                paths,
                pool.map(
                    lambda item: otter_run(built.zip, item[1], folder / f"otter-{item[1].stem}"),
                    paths.items(),
                ),
                strict=True,
            )
        )
    found = {
        name: (
            rows[path.stem],
            otter[name],
            (folder / "feedback" / f"{path.stem}.md").read_text(),
        )
        for name, path in paths.items()
    }
    by_mistake = {m: found[name] for name, names in MISTAKE_NOTEBOOKS.items() for m in names}
    return {**found, **by_mistake}


def report(graded: dict) -> str:
    """The catalogue as a Markdown table: mistake, points lost on each path, flagged."""
    lines = [
        "| mistake | question | rnnlab grade lost | otter run lost | public check flagged it |",
        "|---|---|---|---|---|",
    ]
    for name in MISTAKES:
        row, otter, feedback = graded[name]
        question = HURTS[name]
        lost = POINTS[question] - float(row[question])
        otter_lost = POINTS[question] - otter[question]
        flagged = "yes" if publicly_flagged(feedback, question) else "no"
        lines.append(f"| {name} | {question} | {lost:g} | {otter_lost:g} | {flagged} |")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(MISTAKES))
def test_a_mistake_costs_its_own_question_only_on_both_paths(graded, name):
    row, otter, _ = graded[name]
    question = HURTS[name]
    (together,) = [names for names in MISTAKE_NOTEBOOKS.values() if name in names]
    touched = {HURTS[other] for other in together}
    got = points(row)
    assert got[question] < POINTS[question], (name, got)
    assert {q: p for q, p in got.items() if q not in touched} == {
        q: p for q, p in POINTS.items() if q not in touched
    }, name
    # stock otter gives the same, question by question (the table shows two decimals)
    assert otter == pytest.approx(got, abs=0.005), name
    assert row["status"] == "graded"


@pytest.mark.parametrize("name", sorted(LISTED))
def test_a_public_check_flags_each_mistake_the_issue_lists(graded, name):
    _, _, feedback = graded[name]
    assert publicly_flagged(feedback, HURTS[name]), feedback


@pytest.mark.parametrize("name", list(CORRECT_NOTEBOOKS))
def test_correct_answers_written_other_ways_keep_every_point(graded, name):
    row, otter, feedback = graded[name]
    assert points(row) == POINTS, (CORRECT_NOTEBOOKS[name], feedback)
    assert otter == pytest.approx(POINTS), name


def test_the_catalogue_is_as_large_as_asked():
    assert len(MISTAKES) >= 15 and len(LISTED) == 14 and len(VARIANTS) >= 10
    assert len(CORRECT_NOTEBOOKS) == 3  # three ways of writing the forward step
    assert len(MISTAKE_NOTEBOOKS) == 6  # six mistakes in dL_dU


@pytest.mark.parametrize(
    ("name", "earned", "named"),
    # by hand: 3.1's extra term leaves no share; 3.2 has 2 of its 3 paths, (1, 2) missing;
    # N = 2's answer has 3 of 3.3's 6 paths; k up to 3 adds the 3 terms with k > t.
    [
        ("3.1 through do1/dU", 0.0, "∂o_t/∂U"),
        ("3.2 without the path through h1", 2 / 3 + 2 / 3, "(1, 2)"),
        ("3.3 the answer for N = 2", 1 / 3 + 1 / 3 + 1 / 3, "(1, 3), (2, 3), (3, 3)"),
        ("3.3 the sum over k past t", 1 / 3 + 1 / 3 + 1 / 3, "The sum over k stops at t"),
    ],
)
def test_a_wrong_derivation_loses_its_shares_and_is_told_why(graded, name, earned, named):
    row, otter, feedback = graded[name]
    question = HURTS[name]
    assert float(row[question]) == pytest.approx(earned, abs=0.005)  # the table's 2 decimals
    assert otter[question] == pytest.approx(earned, abs=1e-5)  # results.json: 5 decimals
    section = feedback.split(f"## {question}:", 1)[1].split("\n## ", 1)[0]
    assert named in section, section


def test_the_catalogue_table(graded, capsys):
    table = report(graded)
    assert table.count("\n") == len(MISTAKES) + 1
    with capsys.disabled():
        print("\n" + table)


def test_a_cell_that_hangs_costs_its_own_question_and_the_notebook_goes_on(tmp_path):
    # An endless loop zeroed all 23 points. The sandbox interrupts a cell at its time
    # limit and each check at its own. (Stock otter runs a notebook with no limit per
    # cell, so this one notebook is graded by rnnlab only.)
    built = grading.build(tmp_path / "build")
    hangs = FORWARD.replace("o1 = W @ h1\n", "while True:\n    pass\no1 = W @ h1\n")
    path = notebook(built.student / "rnn_lab.ipynb", {"forward": hangs}, tmp_path / "hangs.ipynb")
    table = tmp_path / "scores.csv"
    result = grade_class([path], table, built.autograder, 120, 2048)
    assert result.exit_code == 0, result.output
    with open(table, newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert row["status"] == "graded"
    # h1, computed before the loop, is right on the lab's example: that check's half point
    assert points(row) == {**POINTS, "forward": 0.5}
    feedback = (tmp_path / "feedback" / "hangs.md").read_text()
    assert "ran past its time limit of 3 s" in feedback, feedback
