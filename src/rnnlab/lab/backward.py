"""Section 3 of the lab, the backward step, on its scalar RNN and on the vector one.

The scalar RNN h_t = σ(U x_t + V h_{t-1}), o_t = W h_t from h_0 = 0 reads x_1 … x_{N+1}
and is scored by the lab's L = Σ_t (x_{t+1} − o_t)². For N = 1, 2 and 3 (sections
3.1–3.3) ``backward`` evaluates every partial derivative of the chain-rule formula
(rnnlab.formulas) on the numbers, each path's term, and their sum, which
rnnlab.bptt's reverse sweep and torch autograd check. ``h11_gradient`` answers 3.4 and
the autograd check after it: ∂h_(1,1)/∂U by hand and by torch.
"""

from dataclasses import dataclass

import sympy
import torch

from rnnlab.lab.example import Example, ScalarExample
from rnnlab.model import formulas
from rnnlab.model.activations import HIDDEN_NAMES, get_activation
from rnnlab.model.bptt import bptt
from rnnlab.model.losses import get_loss
from rnnlab.model.paths import count_paths, paths
from rnnlab.model.rnn import ElmanRNN
from rnnlab.render.tables import number, vector

# The written answers are plain text that reads the same on the terminal and the page: a
# subscript is ``_t`` or, when it has more than one character, ``_(t-1)``; no TeX.


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
        paths_answer=paths_sentence({case.N: case.path_count for case in cases}),
        general_formula=formulas.general_text(),
        general_latex=formulas.general_latex(),
        general_answer=GENERAL_N,
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


@dataclass(frozen=True, eq=False)
class H11Gradient:
    """Section 3.4 on section 1's U, V, x_1, h0: ∂h_1/∂U_(1,1) for each σ (autograd),
    U_grad (the gradient of h_(1,1) with respect to U with the example's σ), z_1."""

    sigma: str
    dh1_dU11: dict[str, torch.Tensor]
    U_grad: torch.Tensor
    z1: torch.Tensor
    is_zero: bool
    answer: str
    U_grad_answer: str


def h11_gradient(example: Example) -> H11Gradient:
    """Section 3.4: ∂h_1/∂U_(1,1) for every σ, and ∂h_(1,1)/∂U by h11.backward()."""
    U, V, x1, h0 = example.U, example.V, example.xs[0], example.h0

    def h1(U11: torch.Tensor, sigma: str) -> torch.Tensor:
        varied = torch.cat([U11[None], U[0, 1:]])
        return get_activation(sigma)(torch.cat([varied[None], U[1:]]) @ x1 + V @ h0)  # (1)

    by_sigma = {
        name: torch.autograd.functional.jacobian(lambda u, name=name: h1(u, name), U[0, 0])
        for name in HIDDEN_NAMES
    }
    # The lab's own cell: h11.backward() fills U.grad.
    U_leaf = U.clone().requires_grad_()
    sigma = get_activation(example.sigma)
    h11 = sigma(U_leaf @ x1 + V @ h0)[0]
    h11.backward()
    z1 = U @ x1 + V @ h0
    slope = float(sigma.derivative(z1[:1], sigma(z1[:1]))[0])
    is_zero = all(bool((value == 0).all()) for value in by_sigma.values())
    return H11Gradient(
        sigma=example.sigma,
        dh1_dU11=by_sigma,
        U_grad=U_leaf.grad,
        z1=z1,
        is_zero=is_zero,
        answer=h11_sentence(x1, by_sigma, is_zero),
        U_grad_answer=U_grad_sentence(example.sigma, float(z1[0]), slope, x1, U_leaf.grad),
    )


def paths_sentence(counts: dict[int, int]) -> str:
    """Sections 3.1–3.3's question: how many paths from U to L, and how many h's on each."""
    listed = ", ".join(
        f"N = {N} has {count} path{'s' if count != 1 else ''}" for N, count in counts.items()
    )
    longest = max(counts)
    return (
        "U is used at every step, so it reaches L along one path for every pair k ≤ t: the "
        "path (k, t) enters the chain of hidden states at h_k, is passed along "
        "h_(k+1), …, h_t, and leaves through o_t into L. Each path is one term of dL/dU. "
        f"{listed}; in general there are N(N + 1)/2. The path (k, t) holds the t − k + 1 "
        f"hidden states h_k … h_t, so for N = {longest} the paths hold "
        f"{_one_to(longest)} of them."
    )


def _one_to(N: int) -> str:
    if N == 1:
        return "1"
    return ", ".join(str(n) for n in range(1, N)) + f" or {N}"


GENERAL_N = (
    "For N steps, add up the product of partial derivatives along every path from U to L. "
    "Group the paths by the output o_t they leave through (the outer sum) and, for each, "
    "by the state h_k where U comes in (the inner sum); in between, the path is carried "
    "from h_k to h_t by one factor ∂h_j/∂h_(j-1) per step. That is N(N + 1)/2 terms, and "
    "the inner product has t − k factors, so a term from far back in the sequence is "
    "multiplied many times by ∂h_j/∂h_(j-1) = σ'(z_j) V: it shrinks to nothing or grows "
    "without bound, the vanishing and exploding gradients."
)
"""Section 3.5's answer: the general formula's shape (rnnlab.formulas writes the formula)."""


def h11_sentence(x1: torch.Tensor, by_sigma: dict[str, torch.Tensor], is_zero: bool) -> str:
    """Section 3.4's question: ∂h_1/∂U_(1,1), and whether σ was needed for it."""
    x11 = float(x1[0])
    rule = (
        "Only the first entry of h_1 involves U_(1,1): h_(1,1) = σ(Σ_j U_(1,j) x_(1,j) + "
        "(V h_0)_1), so by the chain rule ∂h_(1,1)/∂U_(1,1) = σ'(z_(1,1)) · x_(1,1), and "
        "every other entry of h_1 has derivative 0."
    )
    if is_zero:
        zero = vector(next(iter(by_sigma.values())))
        return (
            f"∂h_1/∂U_(1,1) = {zero}. {rule} The input x_1 = {vector(x1)} has x_(1,1) = "
            f"{number(x11)}, which makes the product 0 whatever σ'(z_(1,1)) is; that is why "
            "σ was never needed."
        )
    values = "; ".join(f"{name}: {vector(value)}" for name, value in by_sigma.items())
    return (
        f"{rule} Here x_1 = {vector(x1)} has x_(1,1) = {number(x11)} ≠ 0, so the answer "
        f"depends on σ through σ'(z_(1,1)): {values}."
    )


def U_grad_sentence(
    sigma: str, z11: float, slope: float, x1: torch.Tensor, gradient: torch.Tensor
) -> str:
    """Section 3.4's second question: what h11.backward() leaves in U_grad."""
    entry = float(gradient[0, 0])
    agrees = "agree" if entry == slope * float(x1[0]) else "DISAGREE"
    return (
        "h11.backward() fills U_grad, the gradient of h_(1,1) with respect to every entry "
        "of U. Its other rows are 0, because only row 1 of U reaches h_(1,1); its first row "
        f"is σ'(z_(1,1)) x_1ᵀ, and with σ = {sigma} and z_(1,1) = {number(z11)} the slope is "
        f"{number(slope)}, giving {vector(gradient[0])}. Its (1, 1) entry is "
        f"σ'(z_(1,1)) · x_(1,1) = {number(entry)}, the value found by hand, so the two "
        f"{agrees}."
    )
