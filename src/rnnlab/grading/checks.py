"""The notebook's checks, one source of truth for both ways of grading it (SPEC §8).

Each autograded question is a list of ``Check``s: an expression on the student's names,
its expected value (computed here by rnnlab and torch, never typed in), tolerances,
whether it is hidden, and the message a student reads when a public one fails. From
these come

- the master notebook's test cells (``test_cell``, written by ``sync_master``), which
  otter assign turns into the autograder zip's exception-based tests: each is a
  function calling ``rnnlab.grading.plain.check(env, expression, expected, rtol, atol,
  message)`` on the notebook's names;
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
from rnnlab.activations import relu
from rnnlab.bigram import sequence_probability
from rnnlab.bptt import bptt, next_token_targets
from rnnlab.construction import bigram_rnn
from rnnlab.rnn import ElmanRNN

CHECKS_FORMAT = 2
"""The version of checks.json's layout; the grader refuses any other."""


@dataclass(frozen=True)
class Check:
    """One test case: ``expression`` evaluated on the student's names must give ``expected``.

    The expression may use the student's names, ``torch``, ``rnnlab`` and
    ``rerun_cells(inputs, answers)``, which runs the student's answer cells again on other
    inputs (``plain.rerun_cells``). ``expected`` is plain data (``rnnlab.grading.plain``);
    numbers match within ``tolerance`` × |expected| + ``atol``: a relative tolerance sized
    for float32, whose rounding a correct answer computed in float32 carries.
    """

    expression: str
    expected: object
    message: str
    hidden: bool = False
    tolerance: float = 1e-4
    atol: float = 1e-6


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


def _literal(tensor: torch.Tensor, dtype: str = "torch.float64") -> str:
    """Python source that makes this tensor again, digit for digit, in dtype."""
    return f"torch.tensor({_values(tensor)!r}, dtype={dtype})"


def _float32(tensor: torch.Tensor, requires_grad: bool = False) -> str:
    """Python source for this tensor in float32, as the lab types its tensors."""
    grad = ", requires_grad=True" if requires_grad else ""
    return f"torch.tensor({_values(tensor)!r}{grad})"


def _words(tensor: torch.Tensor) -> str:
    """A tensor in the few digits it was typed with: [[0.5, -0.4], [-0.6, 0.3]]."""
    return repr(_values(tensor))


def _stochastic(size: int, generator: torch.Generator, floor: float) -> torch.Tensor:
    """A random size × size table whose rows sum to 1, no entry below about floor / size."""
    T = torch.rand(size, size, generator=generator, dtype=torch.float64) + floor
    return T / T.sum(dim=1, keepdim=True)


FORWARD_ANSWERS = "h1 o1 h2 o2"
"""What the forward cell computes: re-run on other inputs, these are read back."""

SECOND_FORWARD = {
    "U": torch.tensor([[0.5, -0.4], [-0.6, 0.3]], dtype=torch.float64),
    "V": torch.tensor([[0.2, -0.6], [0.7, 0.5]], dtype=torch.float64),
    "W": torch.tensor([[0.3, -0.5], [0.6, 0.4]], dtype=torch.float64),
    "x1": torch.tensor([1.0, 0.5], dtype=torch.float64),
    "x2": torch.tensor([-0.5, 1.0], dtype=torch.float64),
    "h0": torch.tensor([0.5, -1.0], dtype=torch.float64),
}
"""Inputs on which every part of the forward step shows: h0 ≠ 0 (V counts in h1), and
one pre-activation below 0 at each step (ReLU cuts), which the lab's example has not."""


def _forward_case(inputs: dict[str, torch.Tensor]) -> tuple[str, dict[str, object]]:
    """The expression that re-runs the forward cell on inputs, and rnnlab's h1, o1, h2, o2."""
    trace = ElmanRNN(inputs["U"], inputs["V"], inputs["W"]).forward(
        torch.stack([inputs["x1"], inputs["x2"]]), inputs["h0"]
    )
    given = ", ".join(f"{name!r}: {_float32(value)}" for name, value in inputs.items())
    expression = f"rerun_cells({{{given}}}, {FORWARD_ANSWERS!r})"
    expected = {"h1": trace.h[1], "o1": trace.o[0], "h2": trace.h[2], "o2": trace.o[1]}
    return expression, {name: _values(value) for name, value in expected.items()}


def _third_forward() -> dict[str, torch.Tensor]:
    """Random inputs of size 3 with h0 ≠ 0, rounded to 2 decimals, on which ReLU cuts at
    both steps (the first seed from 7 that gives that)."""
    for seed in range(7, 100):
        generator = torch.Generator().manual_seed(seed)
        values = {
            name: (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1).round(
                decimals=2
            )
            for name, shape in [
                ("U", (3, 3)), ("V", (3, 3)), ("W", (3, 3)),
                ("x1", (3,)), ("x2", (3,)), ("h0", (3,)),
            ]
        }  # fmt: skip
        trace = ElmanRNN(values["U"], values["V"], values["W"]).forward(
            torch.stack([values["x1"], values["x2"]]), values["h0"]
        )
        if all(bool((z < 0).any() and (z > 0).any()) for z in trace.z):
            return values
    raise AssertionError("no seed gives pre-activations of both signs")


def _forward() -> Question:
    U, V, W, x1, x2, h0 = map(_typed, (lab.U, lab.V, lab.W, lab.x1, lab.x2, lab.h0))
    trace = ElmanRNN(U, V, W).forward(torch.stack([x1, x2]), h0)
    on_lab = {"h1": trace.h[1], "o1": trace.o[0], "h2": trace.h[2], "o2": trace.o[1]}
    how = {
        "h1": "h1 should be ReLU(U x1 + V h0)",
        "o1": "o1 should be W h1",
        "h2": "h2 should be ReLU(U x2 + V h1)",
        "o2": "o2 should be W h2, with h2 = ReLU(U x2 + V h1)",
    }
    second, on_second = _forward_case(SECOND_FORWARD)
    third, on_third = _forward_case(_third_forward())
    inputs = ", ".join(f"{name} = {_words(value)}" for name, value in SECOND_FORWARD.items())
    checks = [
        Check("o1", _values(on_lab["o1"]), f"{how['o1']} for the lab's example"),
        Check(
            f"{second}['o2']",
            on_second["o2"],
            f"{how['o2']}, for other inputs ({inputs}; your cell run again on them)",
        ),
        *(
            Check(name, _values(on_lab[name]), f"{how[name]} for the lab's example", hidden=True)
            for name in ("h1", "h2", "o2")
        ),
        Check(
            f"[{second}[name] for name in ('h1', 'o1')]",
            [on_second["h1"], on_second["o1"]],
            "h1 and o1 for the second inputs",
            hidden=True,
        ),
        Check(f"{second}['h2']", on_second["h2"], "h2 for the second inputs", hidden=True),
        Check(
            f"[{third}[name] for name in {FORWARD_ANSWERS.split()!r}]",
            [on_third[name] for name in FORWARD_ANSWERS.split()],
            "h1, o1, h2 and o2 for random inputs of size 3",
            hidden=True,
        ),
    ]
    return Question("forward", 4, tuple(checks))


def _sequence(words: str) -> list[int]:
    return ["ab".index(word) for word in words]


def _bigram() -> Question:
    T = _typed(lab.T)
    lab_T = f"torch.tensor({T.tolist()!r})"

    def probability(ids: list[int], table: torch.Tensor = T) -> float:
        return float(sequence_probability(torch.eye(len(table), dtype=torch.float64)[ids], table))

    def call(ids: list[int], table: str = lab_T, size: int = 2, dtype: str = "") -> str:
        return f"sequence_probability(torch.eye({size}{dtype})[{ids!r}], {table})"

    checks = [
        Check(
            call(_sequence("aaaaaabbaa")),
            probability(_sequence("aaaaaabbaa")),
            "sequence_probability of aaaaaabbaa under the lab's T should be the product of "
            "Pr(w_t+1 | w_t) over its 9 consecutive pairs",
        ),
        # b follows a once and a never follows b: reading T[next, current] gives another value
        Check(
            call(_sequence("aabbb")),
            probability(_sequence("aabbb")),
            "sequence_probability of aabbb should be Pr(a | a) Pr(b | a) Pr(b | b) Pr(b | b), "
            "with Pr(v_j | v_i) = T[i, j] (row: the word before)",
        ),
        Check(
            call(_sequence("babbbbabbb")),
            probability(_sequence("babbbbabbb")),
            "sequence_probability of babbbbabbb",
            hidden=True,
        ),
        # A single word has no pair: probability 1, beside one that a constant 1 cannot match.
        Check(
            f"[{call(_sequence('b'))}, {call(_sequence('bbba'))}]",
            [probability(_sequence("b")), probability(_sequence("bbba"))],
            "sequence_probability of b alone and of bbba",
            hidden=True,
        ),
    ]
    generator = torch.Generator().manual_seed(5)
    # Short enough that no probability is far below float32's reach.
    for size, length, dtype in [(3, 7, ""), (8, 4, ", dtype=torch.float64")]:
        table = _stochastic(size, generator, floor=0.1)
        ids = torch.randint(size, (length,), generator=generator).tolist()
        literal = _literal(table) if dtype else _float32(table)
        checks.append(
            Check(
                call(ids, literal, size, dtype),
                probability(ids, table),
                f"sequence_probability for a vocabulary of {size}",
                hidden=True,
                atol=0.0,
            )
        )
    return Question("bigram", 3, tuple(checks))


def _unrolled(parameters: str, ids: list[int], size: int, h0: str = "") -> str:
    """The outputs of the student's RNN (sigma as given) on the one-hot inputs ids, in
    float64 whatever the dtype of the student's matrices."""
    start = f", h0=torch.as_tensor(answered({h0})).double()" if h0 else ""
    return (
        f"rnnlab.ElmanRNN(*(torch.as_tensor(m).double() for m in answered({parameters})), "
        f"sigma=answered(sigma)).forward(torch.eye({size}, dtype=torch.float64)[{ids!r}]{start}).o"
    )


def _tiny_bigram_rnn() -> Question:
    T = _typed(lab.T)
    run = lambda ids: _unrolled("(U, V, W)", ids, 2, h0="h0")  # noqa: E731
    checks = (
        Check(
            run([0]),
            _values(T[[0]]),
            "for the input v_1 = [1, 0] and h0 = [0, 0], o1 = W sigma(U v_1 + V h0) should be "
            "row 1 of T",
        ),
        Check(
            run([0, 1]),
            _values(T[[0, 1]]),
            "for the inputs v_1 then v_2, o2 should be row 2 of T whatever came before "
            "(what V h1 adds must not change it)",
        ),
        *(
            Check(
                run(ids),
                _values(T[ids]),
                "at every step the output should be the row of T of the current word",
                hidden=True,
            )
            for ids in ([0, 0, 0, 0, 0, 0, 1, 1, 0, 0], [1, 0, 1, 1, 1, 1, 0, 1, 1, 1])
        ),
    )
    return Question("tiny_bigram_RNN", 4, checks)


def _general_bigram_rnn() -> Question:
    def case(T: torch.Tensor, ids: list[int], message: str, hidden: bool = True) -> Check:
        literal = _float32(T) if len(T) == 2 else _literal(T)
        sigma = "sigma=answered(sigma)"
        expression = _unrolled(f"bigram_rnn_parameters({literal})", ids, len(T))
        xs = torch.eye(len(T), dtype=torch.float64)[ids]
        return Check(
            expression.replace(sigma, "sigma='identity'"),
            _values(bigram_rnn(T).forward(xs).o),
            message,
            hidden=hidden,
        )

    generator = torch.Generator().manual_seed(11)
    tables = {size: _stochastic(size, generator, floor=0.05) for size in (3, 5, 8)}
    ids = {size: torch.randint(size, (12,), generator=generator).tolist() for size in tables}
    checks = [
        case(
            _typed(lab.T),
            [0, 1],
            "bigram_rnn_parameters(T) for the lab's T: the input v_i should give row i of T",
            hidden=False,
        ),
        case(
            tables[3],
            ids[3],
            "bigram_rnn_parameters(T) for a T of 3 words (the T in this check): at every "
            "step the output should be the row of T of the current word",
            hidden=False,
        ),
        *(case(tables[size], ids[size], f"a vocabulary of {size}") for size in (5, 8)),
    ]
    return Question("general_bigram_RNN", 4, tuple(checks))


def _dL_dU(U: float, V: float, W: float, xs: list[float], h0: float) -> float:
    """rnnlab's dL/dU of the scalar ReLU RNN, by autograd in float64."""
    U64, V64, W64, h0_64 = (torch.tensor(w, dtype=torch.float64) for w in (U, V, W, h0))
    inputs, targets = next_token_targets(torch.tensor(xs, dtype=torch.float64))
    return float(bptt(ElmanRNN(U64, V64, W64), inputs, targets, h0=h0_64, method="autograd").U)


def _bptt_case(weights: tuple, xs: list[float], h0: float, message: str, hidden: bool) -> Check:
    U, V, W = weights
    return Check(
        f"dL_dU({U!r}, {V!r}, {W!r}, {xs!r}, {h0!r})",
        _dL_dU(U, V, W, xs, h0),
        message,
        hidden=hidden,
    )


BPTT_LAB = ((0.1, 0.2, 0.3), [0.5, 0.6, 0.7, 0.8])
BPTT_SECOND = ((0.5, -0.8, 0.7), [1.0, -0.5, 0.8, 0.3], 0.4)
"""A case on which the ReLU's slope is 0 at a step and h0 ≠ 0 (the lab's has neither)."""


def _ragged_cases() -> list[tuple]:
    """Random cases, N = 2, 3, 5, 8: weights and inputs of both signs, h0 ≠ 0, each with a
    flat ReLU somewhere and a gradient far from 0 (no constant can pass)."""
    generator = torch.Generator().manual_seed(3)
    cases = []
    for N in (2, 3, 5, 8):
        while True:
            U, V, W, h0 = (torch.rand(4, generator=generator, dtype=torch.float64) * 2 - 1).tolist()
            xs = (torch.rand(N + 1, generator=generator, dtype=torch.float64) * 2 - 1).tolist()
            U, V, W, h0 = (round(w, 3) for w in (U, V, W, h0))
            xs = [round(x, 3) for x in xs]
            z, h, flat = 0.0, h0, False
            for x in xs[:-1]:
                z = U * x + V * h
                flat |= z < 0
                h = max(z, 0.0)
            if flat and abs(_dL_dU(U, V, W, xs, h0)) > 0.05:
                cases.append(((U, V, W), xs, h0))
                break
    return cases


def _bptt() -> Question:
    weights, xs = BPTT_LAB
    second_weights, second_xs, second_h0 = BPTT_SECOND
    how = "should be the sum over the paths from U to L of the products along them"
    checks = [
        _bptt_case(weights, xs[:2], 0.0, f"dL_dU for the lab's example with N = 1 {how}", False),
        _bptt_case(weights, xs[:3], 0.0, "dL_dU for the lab's example with N = 2", True),
        _bptt_case(
            weights,
            xs,
            0.0,
            f"dL_dU for the lab's example with N = 3 {how} (six paths, through up to three "
            "hidden states)",
            False,
        ),
        _bptt_case(
            second_weights,
            second_xs,
            second_h0,
            f"dL_dU for U = 0.5, V = -0.8, W = 0.7, xs = {second_xs}, h0 = 0.4 (where ReLU is "
            "flat at step 2, so its slope there is 0)",
            False,
        ),
        *(
            _bptt_case(w, x, h, f"dL_dU for N = {len(x) - 1}, random values", True)
            for w, x, h in _ragged_cases()
        ),
    ]
    return Question("bptt", 6, tuple(checks))


AUTOGRAD_ANSWERS = "h1_ h11 U_grad"

SECOND_AUTOGRAD = {
    "U_": torch.tensor([[0.5, -0.4], [0.3, 0.2]], dtype=torch.float64),
    "V_": torch.tensor([[0.4, 0.4], [0.9, -0.7]], dtype=torch.float64),
    "x1_": torch.tensor([0.5, -1.0], dtype=torch.float64),
    "h0_": torch.tensor([0.3, 0.1], dtype=torch.float64),
}
"""Inputs where x1_ has no 0 (so every entry of dh11/dU in row 1 is not 0) and both
entries of h1_ are above 0: its first entry, its second and their sum have different
gradients, which the lab's example (x1 = [0, 1]) cannot tell apart in column 1."""


def _autograd_case(inputs: dict[str, torch.Tensor]) -> tuple[str, list, float]:
    """The expression re-running the autograd cell on inputs; rnnlab's dh11/dU and h11."""
    U = inputs["U_"].clone().requires_grad_(True)
    h1 = relu(U @ inputs["x1_"] + inputs["V_"] @ inputs["h0_"])
    h1[0].backward()
    given = ", ".join(
        f"{name!r}: {_float32(value, requires_grad=name == 'U_')}" for name, value in inputs.items()
    )
    return f"rerun_cells({{{given}}}, {AUTOGRAD_ANSWERS!r})", _values(U.grad), float(h1[0].detach())


def _automatic_diff() -> Question:
    U = _typed(lab.U).requires_grad_(True)
    V, x1, h0 = map(_typed, (lab.V, lab.x1, lab.h0))
    h1 = relu(U @ x1 + V @ h0)
    h1[0].backward()
    second, second_grad, second_h11 = _autograd_case(SECOND_AUTOGRAD)
    third_inputs = {**SECOND_AUTOGRAD, "x1_": torch.tensor([0.8, 0.6], dtype=torch.float64)}
    third, third_grad, _ = _autograd_case(third_inputs)
    inputs = ", ".join(f"{name} = {_words(value)}" for name, value in SECOND_AUTOGRAD.items())
    checks = (
        Check(
            f"{second}['U_grad']",
            second_grad,
            "U_grad should be dh11/dU, with h11 the first entry of h1_ = ReLU(U_ x1_ + V_ h0_), "
            f"for other inputs ({inputs}; your cell run again on them)",
        ),
        Check("U_grad", _values(U.grad), "U_grad for the lab's example", hidden=True),
        Check(f"{second}['h11']", second_h11, "h11 for the second inputs", hidden=True),
        Check(f"{third}['U_grad']", third_grad, "U_grad for a third input x1_", hidden=True),
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


def test_cell(check: Check, name: str) -> str:
    """The source of a master notebook test cell (otter's input) for one check: otter's
    exception-based test, a function ``name`` of the notebook's names ``env``.

    A failed check shows its message and what it got in a line or two, not a traceback.
    """
    lines = [
        *(["# HIDDEN"] if check.hidden else []),
        f"def {name}(env):",
        f"    expression = {check.expression!r}",
        f"    expected = {check.expected!r}",
        f"    rtol, atol = {check.tolerance!r}, {check.atol!r}",
        f"    message = {check.message!r}",
        "    from rnnlab.grading.plain import check",
        "",
        "    check(env, expression, expected, rtol, atol, message)",
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
                            "atol": check.atol,
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
                test = nbformat.v4.new_code_cell(test_cell(check, f"test_{question.name}_{number}"))
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
