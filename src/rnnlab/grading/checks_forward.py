"""The checks of the lab's first two parts: the forward step, the bigram model and the
RNNs that are bigram models, each with the cases where the lab's own numbers cannot tell
a mistake from the answer."""

import torch

from rnnlab import lab
from rnnlab.bigram import sequence_probability
from rnnlab.grading.cases import (
    Check,
    Question,
    float32_literal,
    float64_literal,
    stochastic,
    typed,
    values_of,
    words_of,
)
from rnnlab.model.bigram_rnn import bigram_rnn
from rnnlab.model.rnn import ElmanRNN

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
    given = ", ".join(f"{name!r}: {float32_literal(value)}" for name, value in inputs.items())
    expression = f"rerun_cells({{{given}}}, {FORWARD_ANSWERS!r})"
    expected = {"h1": trace.h[1], "o1": trace.o[0], "h2": trace.h[2], "o2": trace.o[1]}
    return expression, {name: values_of(value) for name, value in expected.items()}


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


def forward_question() -> Question:
    U, V, W, x1, x2, h0 = map(typed, (lab.U, lab.V, lab.W, lab.x1, lab.x2, lab.h0))
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
    inputs = ", ".join(f"{name} = {words_of(value)}" for name, value in SECOND_FORWARD.items())
    checks = [
        Check("o1", values_of(on_lab["o1"]), f"{how['o1']} for the lab's example"),
        Check(
            f"{second}['o2']",
            on_second["o2"],
            f"{how['o2']}, for other inputs ({inputs}; your cell run again on them)",
        ),
        *(
            Check(name, values_of(on_lab[name]), f"{how[name]} for the lab's example", hidden=True)
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


def bigram_question() -> Question:
    T = typed(lab.T)
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
        table = stochastic(size, generator, floor=0.1)
        ids = torch.randint(size, (length,), generator=generator).tolist()
        literal = float64_literal(table) if dtype else float32_literal(table)
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


def _unrolled(
    parameters: str, ids: list[int], size: int, h0: str = "", sigma: str = "answered(sigma)"
) -> str:
    """The outputs of the student's RNN (sigma as given) on the one-hot inputs ids, in
    float64 whatever the dtype of the student's matrices: ``plain.unrolled``, plain torch,
    which the student wheel holds."""
    start = f", answered({h0})" if h0 else ""
    inputs = f"torch.eye({size}, dtype=torch.float64)[{ids!r}]"
    return f"unrolled(answered({parameters}), {sigma}, {inputs}{start})"


def tiny_bigram_rnn_question() -> Question:
    T = typed(lab.T)
    run = lambda ids: _unrolled("(U, V, W)", ids, 2, h0="h0")  # noqa: E731
    checks = (
        Check(
            run([0]),
            values_of(T[[0]]),
            "for the input v_1 = [1, 0] and h0 = [0, 0], o1 = W sigma(U v_1 + V h0) should be "
            "row 1 of T",
        ),
        Check(
            run([0, 1]),
            values_of(T[[0, 1]]),
            "for the inputs v_1 then v_2, o2 should be row 2 of T whatever came before "
            "(what V h1 adds must not change it)",
        ),
        *(
            Check(
                run(ids),
                values_of(T[ids]),
                "at every step the output should be the row of T of the current word",
                hidden=True,
            )
            for ids in ([0, 0, 0, 0, 0, 0, 1, 1, 0, 0], [1, 0, 1, 1, 1, 1, 0, 1, 1, 1])
        ),
    )
    return Question("tiny_bigram_RNN", 4, checks)


def general_bigram_rnn_question() -> Question:
    def case(T: torch.Tensor, ids: list[int], message: str, hidden: bool = True) -> Check:
        literal = float32_literal(T) if len(T) == 2 else float64_literal(T)
        parameters = f"bigram_rnn_parameters({literal})"
        expression = _unrolled(parameters, ids, len(T), sigma="'identity'")
        xs = torch.eye(len(T), dtype=torch.float64)[ids]
        return Check(
            expression,
            values_of(bigram_rnn(T).forward(xs).o),
            message,
            hidden=hidden,
        )

    generator = torch.Generator().manual_seed(11)
    tables = {size: stochastic(size, generator, floor=0.05) for size in (3, 5, 8)}
    ids = {size: torch.randint(size, (12,), generator=generator).tolist() for size in tables}
    checks = [
        case(
            typed(lab.T),
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
