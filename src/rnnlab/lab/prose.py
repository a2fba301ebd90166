"""The lab's written answers, as sentences built from the numbers that answer them.

One notation throughout, plain text that reads the same on the terminal and the page:
a subscript is ``_t`` or, when it has more than one character, ``_(t-1)``; no TeX.
"""

from collections.abc import Sequence

import torch

from rnnlab.render.tables import number, vector


def one_more_state(N: int) -> str:
    """Section 1.2's question: why h has one more element than x and o."""
    return (
        "Each step needs the state from before it: h_t is computed from x_t and h_(t-1). "
        "The first step therefore needs a state that no input produced, the initial h_0, "
        f"so the N = {N} inputs give the {N + 1} states h_0 … h_{N}, while each input yields "
        f"exactly one output, o_t = W h_t for t = 1 … {N}."
    )


def forward_graph(N: int, sigma: str) -> str:
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


def more_likely(
    transitions: Sequence[tuple[str, int, int]],
    likeliest: Sequence[str],
    T: torch.Tensor,
    vocab: Sequence[str],
) -> str:
    """Section 2.1's question: which sequence is more likely, and why.

    transitions: (name, stays, switches) for each sequence; likeliest: the names of the
    sequences with the highest probability.
    """
    if len(likeliest) == 1:
        verdict = f"The more likely is {likeliest[0]}."
    else:
        verdict = f"{' and '.join(likeliest)} are equally likely."
    counts = "; ".join(
        f"{name} stays on its word {_times(stays)} and switches {_times(switches)}"
        for name, stays, switches in transitions
    )
    stay = T.diagonal()
    switch = T[~torch.eye(len(vocab), dtype=torch.bool)]
    if len(vocab) > 1 and float(stay.min()) > float(switch.max()):
        why = (
            f" With this T staying ({_entries(T, vocab, True)}) is likelier than switching "
            f"({_entries(T, vocab, False)}), so fewer switches make a likelier sequence."
        )
    else:
        why = " Its probability is the product of the T entries of its transitions."
    return f"{verdict} {counts}.{why}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _entries(T: torch.Tensor, vocab: Sequence[str], stay: bool) -> str:
    """T's staying (diagonal) or switching entries as "a→a 0.6, b→b 0.7", at most six."""
    pairs = [(i, j) for i in range(len(vocab)) for j in range(len(vocab)) if (i == j) == stay]
    shown = ", ".join(f"{vocab[i]}→{vocab[j]} {number(float(T[i, j]))}" for i, j in pairs[:6])
    return shown + (", …" if len(pairs) > 6 else "")


def general_bigram_rnn(size: int) -> str:
    """Section 2.3's question: the RNN that outputs T_i given v_i, for any V × V table."""
    return (
        f"For a V × V table T (here V = {size}), use the identity as σ, the V × V identity "
        "matrix as U, the V × V zero matrix as V, and Tᵀ as W (take h_0 = 0). Then "
        "h_t = U x_t = x_t: the hidden state is the one-hot vector of the current word, and "
        "V = 0 makes it forget every earlier word, just as a bigram model does. The output "
        "o_t = Tᵀ x_t picks out column i of Tᵀ, which is row T_i: the distribution of the "
        "next word after v_i. Equally, U = Tᵀ and W = I works; what matters is that U and W "
        "multiply to Tᵀ and that V drops the history."
    )


def paths(counts: dict[int, int]) -> str:
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


def h11(x1: torch.Tensor, by_sigma: dict[str, torch.Tensor], is_zero: bool) -> str:
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


def U_grad(sigma: str, z11: float, slope: float, x1: torch.Tensor, gradient: torch.Tensor) -> str:
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
