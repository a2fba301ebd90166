"""The notebook's checks, one source of truth for both ways of grading it (SPEC §8).

Each autograded question is a list of ``Check``s: an expression on the student's names,
its expected value (computed here by rnnlab and torch, never typed in), a tolerance,
whether it is hidden, and the message a student reads when a public one fails. From
these come

- the master notebook's test cells (``test_cells``, written by ``sync_master``), which
  otter assign turns into the autograder zip's tests: each cell calls
  ``rnnlab.grading.plain.check(expression, expected, tolerance, message)``;
- ``checks.json`` (``to_json``), which ``rnnlab notebook grade`` reads as data: the
  expressions go into the sandbox, their plain values come out, and the comparison with
  the expected values happens outside it.

Points are shared equally among a question's checks, as otter shares them among test
cases. Run ``python -m rnnlab.grading`` after changing a check: it rewrites the master
notebook's test cells (a test fails while they are out of step).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnlab import lab
from rnnlab.bigram import sequence_probability
from rnnlab.bptt import bptt, next_token_targets
from rnnlab.construction import bigram_rnn
from rnnlab.rnn import ElmanRNN

CHECKS_FORMAT = 1
"""The version of checks.json's layout; the grader refuses any other."""


@dataclass(frozen=True)
class Check:
    """One test case: ``expression`` evaluated on the student's names must give ``expected``.

    The expression may use the student's names, ``torch`` and ``rnnlab``. ``expected`` is
    plain data (``rnnlab.grading.plain``); numbers match within
    ``tolerance`` × max(1, |expected|).
    """

    expression: str
    expected: object
    message: str
    hidden: bool = False
    tolerance: float = 1e-6


@dataclass(frozen=True)
class Question:
    """A question of the notebook, as in its ``# BEGIN QUESTION`` cell.

    An autograded question has checks; a written one (``written``) is graded by hand.
    """

    name: str
    points: float
    checks: tuple[Check, ...] = ()
    written: bool = False

    @property
    def points_per_check(self) -> float:
        return self.points / len(self.checks) if self.checks else 0.0


def _typed(tensor: torch.Tensor) -> torch.Tensor:
    """One of the lab's float32 tensors in float64, with the decimals the lab typed.

    (0.6 in float32 is 0.6000000238...; its shortest decimal form, 7 digits, is 0.6.)
    """
    values = [float(f"{value:.7g}") for value in tensor.reshape(-1).tolist()]
    return torch.tensor(values, dtype=torch.float64).reshape(tensor.shape)


def _values(tensor: torch.Tensor) -> object:
    """A tensor as plain data in float64."""
    return tensor.detach().to(torch.float64).tolist()


def _literal(tensor: torch.Tensor) -> str:
    """Python source that makes this float64 tensor again, digit for digit."""
    return f"torch.tensor({_values(tensor)!r}, dtype=torch.float64)"


def _stochastic(size: int, generator: torch.Generator, floor: float) -> torch.Tensor:
    """A random size × size table whose rows sum to 1, no entry below about floor / size."""
    T = torch.rand(size, size, generator=generator, dtype=torch.float64) + floor
    return T / T.sum(dim=1, keepdim=True)


def _forward() -> Question:
    U, V, W, x1, x2, h0 = map(_typed, (lab.U, lab.V, lab.W, lab.x1, lab.x2, lab.h0))
    trace = ElmanRNN(U, V, W).forward(torch.stack([x1, x2]), h0)
    expected = {"o1": trace.o[0], "h1": trace.h[1], "h2": trace.h[2], "o2": trace.o[1]}
    checks = [
        Check(
            name,
            _values(value),
            f"{name} should be a tensor of 2 numbers computed by equations (1) and (2) "
            "with ReLU as sigma",
            hidden=name != "o1",
        )
        for name, value in expected.items()
    ]
    return Question("forward", 4, tuple(checks))


def _bigram() -> Question:
    T = _typed(lab.T)
    lab_sequences = {
        "aaaaaabbaa": [0, 0, 0, 0, 0, 0, 1, 1, 0, 0],
        "babbbbabbb": [1, 0, 1, 1, 1, 1, 0, 1, 1, 1],
        "b alone": [1],
    }
    checks = [
        Check(
            f"float(sequence_probability(torch.eye(2)[{ids!r}], torch.tensor({T.tolist()!r})))",
            float(sequence_probability(torch.eye(2, dtype=torch.float64)[ids], T)),
            f"sequence_probability of {words} under the lab's T should be the product of "
            "Pr(w_t+1 | w_t) over its consecutive pairs",
            hidden=number > 0,
        )
        for number, (words, ids) in enumerate(lab_sequences.items())
    ]
    generator = torch.Generator().manual_seed(5)
    # Short enough that no probability is far below the tolerance's scale of 1.
    for size, length in [(3, 7), (5, 6), (8, 4)]:
        T = _stochastic(size, generator, floor=0.1)
        ids = torch.randint(size, (length,), generator=generator).tolist()
        checks.append(
            Check(
                f"float(sequence_probability(torch.eye({size}, dtype=torch.float64)[{ids!r}], "
                f"{_literal(T)}))",
                float(sequence_probability(torch.eye(size, dtype=torch.float64)[ids], T)),
                f"sequence_probability for a vocabulary of {size}",
                hidden=True,
                tolerance=1e-9,
            )
        )
    return Question("bigram", 3, tuple(checks))


def _tiny_bigram_rnn() -> Question:
    first = Check(
        "W @ sigma(U @ torch.tensor([1.0, 0.0], dtype=U.dtype) + V @ h0)",
        _values(_typed(lab.T)[0]),
        "for the input v_1 = [1, 0] and h0 = [0, 0], o1 = W sigma(U v_1 + V h0) should be "
        "row 1 of T",
    )
    unrolled = [
        Check(
            f"rnnlab.ElmanRNN(U, V, W, sigma=sigma).forward(torch.eye(2)[{ids!r}], h0=h0).o",
            _values(_typed(lab.T)[ids]),
            "at every step the output should be the row of T of the current word",
            hidden=True,
        )
        for ids in ([0, 0, 0, 0, 0, 0, 1, 1, 0, 0], [1, 0, 1, 1, 1, 1, 0, 1, 1, 1])
    ]
    return Question("tiny_bigram_RNN", 4, (first, *unrolled))


def _general_bigram_rnn() -> Question:
    def run(T: torch.Tensor, ids: list[int]) -> str:
        return (
            f"rnnlab.ElmanRNN(*bigram_rnn_parameters({_literal(T)}), sigma='identity')"
            f".forward(torch.eye({T.shape[0]}, dtype=torch.float64)[{ids!r}]).o"
        )

    T_lab = _typed(lab.T)
    checks = [
        Check(
            run(T_lab, [0, 1]),
            _values(bigram_rnn(T_lab).forward(torch.eye(2, dtype=torch.float64)).o),
            "bigram_rnn_parameters(T) for the lab's T: the input v_i should give row i of T",
        )
    ]
    generator = torch.Generator().manual_seed(11)
    for size in (1, 3, 5, 8):
        T = _stochastic(size, generator, floor=0.05)
        ids = torch.randint(size, (12,), generator=generator).tolist()
        xs = torch.eye(size, dtype=torch.float64)[ids]
        checks.append(
            Check(
                run(T, ids),
                _values(bigram_rnn(T).forward(xs).o),
                f"bigram_rnn_parameters for a vocabulary of {size}",
                hidden=True,
                tolerance=1e-9,
            )
        )
    return Question("general_bigram_RNN", 4, tuple(checks))


def _bptt() -> Question:
    def case(U: float, V: float, W: float, xs: list[float], h0: float, hidden: bool) -> Check:
        U64, V64, W64, h0_64 = (torch.tensor(w, dtype=torch.float64) for w in (U, V, W, h0))
        inputs, targets = next_token_targets(torch.tensor(xs, dtype=torch.float64))
        rnn = ElmanRNN(U64, V64, W64)
        gradient = bptt(rnn, inputs, targets, h0=h0_64, method="autograd").U
        return Check(
            f"float(dL_dU({U!r}, {V!r}, {W!r}, {xs!r}, {h0!r}))",
            float(gradient),
            f"dL_dU for N = {len(xs) - 1} should agree with autograd",
            hidden=hidden,
            tolerance=1e-9,
        )

    lab_xs = [0.5, 0.6, 0.7, 0.8]
    checks = [case(0.1, 0.2, 0.3, lab_xs[: N + 1], 0.0, hidden=N > 1) for N in (1, 2, 3)]
    # Random weights and inputs, some negative, so that ReLU is sometimes flat.
    generator = torch.Generator().manual_seed(3)
    for N in (1, 2, 3, 5, 8):
        U, V, W, h0 = (torch.rand(4, generator=generator, dtype=torch.float64) * 2 - 1).tolist()
        xs = (torch.rand(N + 1, generator=generator, dtype=torch.float64) * 2 - 1).tolist()
        checks.append(case(U, V, W, xs, h0, hidden=True))
    return Question("bptt", 6, tuple(checks))


def _automatic_diff() -> Question:
    U = _typed(lab.U).requires_grad_(True)
    V, x1, h0 = map(_typed, (lab.V, lab.x1, lab.h0))
    h1 = torch.clamp(U @ x1 + V @ h0, min=0)
    h1[0].backward()
    checks = (
        Check("list(U_grad.shape)", [2.0, 2.0], "U_grad should have the shape of U, 2 × 2"),
        Check(
            "float(U_grad[0, 0])",
            float(U.grad[0, 0]),
            "dh11/dU11, row 1 and column 1 of U_grad, should be your answer above",
        ),
        Check("U_grad", _values(U.grad), "U_grad should be dh11/dU", hidden=True),
    )
    return Question("automatic_diff", 2, checks)


def questions() -> tuple[Question, ...]:
    """Every question of the notebook, in its order: autograded ones with their checks."""
    return (
        Question("h_one_more", 1, written=True),
        _forward(),
        _bigram(),
        _tiny_bigram_rnn(),
        Question("general_bigram_RNN_answer", 2, written=True),
        _general_bigram_rnn(),
        Question("bptt_1", 2, written=True),
        Question("bptt_2", 2, written=True),
        Question("bptt_3", 2, written=True),
        _bptt(),
        Question("looking_back", 1, written=True),
        _automatic_diff(),
    )


def test_cell(check: Check) -> str:
    """The source of a master notebook test cell (otter's input) for one check."""
    rnnlab = ["import rnnlab"] if "rnnlab." in check.expression else []
    lines = [
        *(["# HIDDEN"] if check.hidden else []),
        "import torch",
        "",
        *rnnlab,
        "from rnnlab.grading.plain import check",
        "",
        "check(",
        f"    {check.expression},",
        f"    {check.expected!r},",
        f"    {check.tolerance!r},",
        f"    {check.message!r},",
        ")",
    ]
    return "\n".join(lines)


def to_json(all_questions: "tuple[Question, ...] | None" = None) -> str:
    """checks.json: every question, with its checks, as the grader reads it."""
    return json.dumps(
        {
            "format": CHECKS_FORMAT,
            "questions": [
                {
                    "name": question.name,
                    "points": question.points,
                    "written": question.written,
                    "checks": [
                        {
                            "expression": check.expression,
                            "expected": check.expected,
                            "tolerance": check.tolerance,
                            "hidden": check.hidden,
                            "message": check.message,
                        }
                        for check in question.checks
                    ],
                }
                for question in all_questions or questions()
            ],
        },
        indent=1,
    )


def sync_master(notebook: dict, all_questions: "tuple[Question, ...] | None" = None) -> dict:
    """The master notebook (an nbformat NotebookNode) with each question's test cells
    made from its checks.

    Also writes each question's points and, for a written one, ``manual: true`` into its
    ``# BEGIN QUESTION`` cell; raises ValueError when the master's questions are not these.
    Cell ids are derived from the question, so a second sync changes nothing.
    """
    import nbformat

    by_name = {question.name: question for question in all_questions or questions()}
    cells, seen, question, skipping = [], [], None, False
    for cell in notebook.cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            name = next(
                line.split(":", 1)[1].strip()
                for line in cell.source.splitlines()
                if line.startswith("name:")
            )
            if name not in by_name:
                raise ValueError(f"the master's question {name} has no entry in checks.py")
            question = by_name[name]
            seen.append(name)
            manual = ["manual: true"] if question.written else []
            cell.source = "\n".join(
                ["# BEGIN QUESTION", f"name: {name}", f"points: {question.points:g}", *manual]
            )
        elif cell.cell_type == "raw" and cell.source.startswith("# BEGIN TESTS"):
            cells.append(cell)
            for number, check in enumerate(question.checks):
                test = nbformat.v4.new_code_cell(test_cell(check))
                test.id = f"test-{question.name}-{number}"
                cells.append(test)
            skipping = True
            continue
        elif cell.cell_type == "raw" and cell.source.startswith("# END TESTS"):
            skipping = False
        if not skipping:
            cells.append(cell)
    if seen != list(by_name):
        raise ValueError(f"the master's questions are {seen}, checks.py's are {list(by_name)}")
    notebook.cells = cells
    return notebook


def write_master(path: Path) -> None:
    """Rewrite the master notebook's test cells from the checks (a developer's tool)."""
    import nbformat

    from rnnlab.files import write_atomic

    notebook = sync_master(nbformat.read(path, as_version=4))
    write_atomic(path, nbformat.writes(notebook) + "\n")
