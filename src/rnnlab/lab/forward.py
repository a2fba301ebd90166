"""Section 1 of the lab, the forward step: h_1, o_1, h_2, o_2 for the worked example, why
h has one state more than x, and what the computation graph shows, as numbers and the
sentences built from them."""

from dataclasses import dataclass, field

import torch

from rnnlab.lab.example import LIVE, Example
from rnnlab.model.rnn import ElmanRNN, Trace

# The written answers are plain text that reads the same on the terminal and the page: a
# subscript is ``_t`` or, when it has more than one character, ``_(t-1)``; no TeX.


@dataclass(frozen=True, eq=False)
class ForwardStep:
    """Section 1.2: the RNN run on x_1 … x_N from h0. z (N, H), h (N+1, H), o (N, O).

    ``values``: h1, o1, h2, o2, … by the lab's names.
    """

    sigma: str
    xs: torch.Tensor
    z: torch.Tensor
    h: torch.Tensor
    o: torch.Tensor
    values: dict[str, torch.Tensor]
    one_more_answer: str
    graph_answer: str
    trace: Trace = field(metadata=LIVE)


def forward_step(example: Example) -> ForwardStep:
    """Section 1.2: the RNN with the example's σ run on its inputs from h0."""
    trace = ElmanRNN(example.U, example.V, example.W, sigma=example.sigma).forward(
        example.xs, example.h0
    )
    N = len(example.xs)
    values = {}
    for t in range(1, N + 1):
        values |= {f"h{t}": trace.h[t], f"o{t}": trace.o[t - 1]}
    return ForwardStep(
        sigma=example.sigma,
        xs=example.xs,
        z=trace.z,
        h=trace.h,
        o=trace.o,
        values=values,
        one_more_answer=one_more_sentence(N),
        graph_answer=graph_sentence(N, example.sigma),
        trace=trace,
    )


def one_more_sentence(N: int) -> str:
    """Section 1.2's question: why h has one more element than x and o."""
    return (
        "Each step needs the state from before it: h_t is computed from x_t and h_(t-1). "
        "The first step therefore needs a state that no input produced, the initial h_0, "
        f"so the N = {N} inputs give the {N + 1} states h_0 … h_{N}, while each input yields "
        f"exactly one output, o_t = W h_t for t = 1 … {N}."
    )


def graph_sentence(N: int, sigma: str) -> str:
    """Section 1.3's question: is the computation graph what you expected?"""
    reuse = (
        f"U, V and W each feed all {N} steps, because the same parameters are used at every "
        "step; h0 enters only through V h0 in the first step; "
        + (
            "h1 feeds both o1 and the second step, which is how the later outputs come to "
            "depend on x1."
            if N > 1
            else "with one step, h1 feeds o1 only."
        )
    )
    return (
        f"It should look like equations (1) and (2) unrolled over {N} "
        f"step{'s' if N != 1 else ''}, and it does, with torch's own detail added: each "
        "operation torch ran is a node of its own (a matrix-vector product mv for U x_t, "
        f"V h_(t-1) and W h_t, an add), and h_t is σ = {sigma} of that sum. {reuse} Arrows "
        "run from what was used to what was computed; backpropagation walks them the "
        "other way."
    )
