"""Section 3 of the lab on its scalar RNN: dL/dU as a formula, path by path, and in numbers.

The scalar RNN h_t = σ(U x_t + V h_{t-1}), o_t = W h_t from h_0 = 0 reads x_1 … x_{N+1}
and is scored by the lab's L = Σ_t (x_{t+1} − o_t)². For N = 1, 2 and 3 (sections
3.1–3.3) ``backward`` evaluates every partial derivative of the chain-rule formula
(rnnlab.formulas) on the numbers, each path's term, and their sum, which
rnnlab.bptt's reverse sweep and torch autograd check.
"""

from dataclasses import dataclass

import sympy
import torch

from rnnlab.lab import prose
from rnnlab.lab.example import ScalarExample
from rnnlab.model import formulas
from rnnlab.model.bptt import bptt
from rnnlab.model.losses import get_loss
from rnnlab.model.paths import count_paths, paths
from rnnlab.model.rnn import ElmanRNN


@dataclass(frozen=True, eq=False)
class ScalarBackward:
    """dL/dU for a sequence of N steps.

    ``formula``: the chain-rule formula as one line; ``formula_lines``: the same, one
    term a line; ``latex``: the formula in LaTeX; ``term_text`` and ``term_latex``: each
    path's term, in the order of ``path_terms``.
    ``partials``: each partial derivative by its symbol's text ("∂L/∂o_1"), on the
    numbers. ``path_terms``: each path (k, t)'s term. ``dL_dU``: their sum; ``reverse``
    and ``autograd``: the same gradient by rnnlab.bptt's reverse sweep and by torch.
    """

    N: int
    formula: str
    formula_lines: tuple[str, ...]
    latex: str
    term_text: tuple[str, ...]
    term_latex: tuple[str, ...]
    partials: dict[str, float]
    path_terms: dict[tuple[int, int], float]
    dL_dU: float
    reverse: float
    autograd: float

    @property
    def path_count(self) -> int:
        return len(self.path_terms)

    @property
    def states_on_path(self) -> dict[tuple[int, int], int]:
        """How many h's path (k, t) passes through: h_k … h_t."""
        return {(k, t): t - k + 1 for k, t in self.path_terms}


@dataclass(frozen=True, eq=False)
class Backward:
    """Sections 3.1–3.3 and 3.5: the scalar RNN's run and dL/dU for each lab length.

    ``xs``: x_1 … x_{N+1}; ``h``: h_0 … h_N; ``o``: o_1 … o_N, for the longest N.
    ``cases``: one ScalarBackward per N of 1, 2, 3 that the inputs allow.
    ``path_counts``: (N, paths from U to L) for N = 1 … 6.
    """

    sigma: str
    U: float
    V: float
    W: float
    xs: tuple[float, ...]
    h: tuple[float, ...]
    o: tuple[float, ...]
    cases: tuple[ScalarBackward, ...]
    path_counts: tuple[tuple[int, int], ...]
    paths_answer: str
    general_formula: str
    general_latex: str
    general_answer: str


def backward(scalar: ScalarExample, sigma: str) -> Backward:
    """Every answer of section 3 on the scalar RNN, for N = 1, 2, 3 as its inputs allow."""
    rnn = ElmanRNN(
        *(torch.tensor(p, dtype=torch.float64) for p in (scalar.U, scalar.V, scalar.W)), sigma=sigma
    )
    xs = torch.tensor(scalar.xs, dtype=torch.float64)
    trace = rnn.forward(xs[:-1], torch.zeros(1, dtype=torch.float64))
    cases = tuple(scalar_backward(rnn, xs[: N + 1]) for N in scalar.lengths)
    counts = tuple((N, count_paths(N)) for N in range(1, 7))
    return Backward(
        sigma=sigma,
        U=scalar.U,
        V=scalar.V,
        W=scalar.W,
        xs=scalar.xs,
        h=tuple(trace.h.reshape(-1).tolist()),
        o=tuple(trace.o.reshape(-1).tolist()),
        cases=cases,
        path_counts=counts,
        paths_answer=prose.paths({case.N: case.path_count for case in cases}),
        general_formula=formulas.general_text(),
        general_latex=formulas.general_latex(),
        general_answer=prose.GENERAL_N,
    )


def scalar_backward(rnn: ElmanRNN, inputs: torch.Tensor) -> ScalarBackward:
    """dL/dU for L = Σ_t (x_{t+1} − o_t)², inputs x_1 … x_{N+1} (N+1,), h_0 = 0."""
    xs, ys = inputs[:-1], inputs[1:]
    N = len(xs)
    h0 = torch.zeros(1, dtype=inputs.dtype)
    trace = rnn.forward(xs, h0)
    slope = rnn.sigma.derivative(trace.z, trace.h[1:]).reshape(-1)  # σ'(z_t)
    dL_do = get_loss("squared_error").gradient(trace.o, ys[:, None]).reshape(-1)
    W, V = float(rnn.W), float(rnn.V)
    values = {}
    for t in range(1, N + 1):
        values[formulas.partial("L", f"o_{t}")] = float(dL_do[t - 1])  # 2(o_t − x_{t+1})
        values[formulas.partial(f"o_{t}", f"h_{t}")] = W  # (2): o_t = W h_t
        if t > 1:  # h_0 is not a function of U: no path goes through it
            values[formulas.partial(f"h_{t}", f"h_{t - 1}")] = float(slope[t - 1]) * V  # (1)
        values[formulas.partial(f"h_{t}", "U")] = float(slope[t - 1] * xs[t - 1])  # (1)
    terms = formulas.terms(N)
    return ScalarBackward(
        N=N,
        formula=formulas.text(N),
        formula_lines=tuple(formulas.text_lines(N)),
        latex=formulas.latex(N),
        term_text=tuple(formulas.product_text(term) for term in terms),
        term_latex=tuple(sympy.latex(term) for term in terms),
        partials={str(symbol): value for symbol, value in values.items()},
        path_terms={
            path: float(term.xreplace(values)) for path, term in zip(paths(N), terms, strict=True)
        },
        dL_dU=float(formulas.gradient(N).xreplace(values)),
        reverse=float(bptt(rnn, xs, ys, h0, method="reverse").U),
        autograd=float(bptt(rnn, xs, ys, h0, method="autograd").U),
    )
