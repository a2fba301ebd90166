"""Beyond the lab: the three ways to dL/dU (reverse sweep, paths, autograd) side by side.

``compare_methods`` answers the lab's comparison; ``three_ways``, ``largest_difference``
and ``largest_paths`` are what it and ``rnnlab grad`` compute, for any RNN.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from rnnlab.lab.example import Example
from rnnlab.model.bptt import METHOD_NAMES, Gradients, Path, bptt
from rnnlab.model.rnn import ElmanRNN

GRADIENT_NAMES = ("U", "V", "W", "h0")


@dataclass(frozen=True, eq=False)
class MethodRow:
    """One method's dL/dU, its loss L and its largest difference from autograd."""

    method: str
    dL_dU: torch.Tensor
    loss: float
    difference: float


@dataclass(frozen=True, eq=False)
class MethodComparison:
    """The three ways to the gradient on one RNN and sequence."""

    caption: str
    rows: tuple[MethodRow, ...]


def three_ways(
    rnn: ElmanRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    h0: "torch.Tensor | None" = None,
    loss: str = "squared_error",
    on_method: "Callable[[str], None] | None" = None,
) -> dict[str, Gradients]:
    """The gradients by each method of rnnlab.bptt, by its name; on_method(name) is
    called as each method starts."""
    results = {}
    for method in METHOD_NAMES:
        if on_method is not None:
            on_method(method)
        results[method] = bptt(rnn, xs, ys, h0, loss=loss, method=method)
    return results


def largest_difference(first: Gradients, second: Gradients) -> float:
    """The largest |first − second| over every entry of dL/dU, dL/dV, dL/dW and dL/dh0."""
    return max(
        float((getattr(first, name) - getattr(second, name)).abs().max()) for name in GRADIENT_NAMES
    )


def largest_paths(terms: "dict[Path, torch.Tensor]", top: int = 5) -> list[tuple[Path, float]]:
    """The ``top`` paths (k, t) of ``terms`` (``path_contributions``' terms of dL/dU)
    whose terms have the largest Frobenius norms, largest first, each with its norm."""
    sizes = {path: float(term.norm()) for path, term in terms.items()}
    return sorted(sizes.items(), key=lambda item: -item[1])[:top]


def compare_methods(
    rnn: ElmanRNN, xs: torch.Tensor, ys: torch.Tensor, loss: str, caption: str
) -> MethodComparison:
    """Each method's dL/dU and its largest difference from autograd over U, V, W and h0."""
    results = three_ways(rnn, xs, ys, loss=loss)
    rows = tuple(
        MethodRow(
            method=method,
            dL_dU=gradients.U,
            loss=gradients.loss,
            difference=largest_difference(gradients, results["autograd"]),
        )
        for method, gradients in results.items()
    )
    return MethodComparison(caption=caption, rows=rows)


def method_comparison(example: Example) -> MethodComparison:
    """The three methods on the example's scalar RNN over all of its inputs."""
    scalar = example.scalar
    rnn = ElmanRNN(
        *(torch.tensor(p, dtype=torch.float64) for p in (scalar.U, scalar.V, scalar.W)),
        sigma=example.sigma,
    )
    xs = torch.tensor(scalar.xs, dtype=torch.float64)
    N = len(xs) - 1
    return compare_methods(
        rnn, xs[:-1], xs[1:], "squared_error", f"The scalar RNN, N = {N}, squared error"
    )


def random_comparison(D: int = 3, H: int = 4, N: int = 8, seed: int = 0) -> MethodComparison:
    """The three methods on a random tanh RNN with one-hot inputs and cross-entropy."""
    generator = torch.Generator().manual_seed(seed)
    U, V, W = (
        0.5 * torch.randn(*shape, dtype=torch.float64, generator=generator)
        for shape in ((H, D), (H, H), (D, H))
    )
    ids = torch.randint(D, (N + 1,), generator=generator)
    xs = torch.eye(D, dtype=torch.float64)[ids[:-1]]
    caption = (
        f"A random RNN, D = {D}, H = {H}, σ = tanh, N = {N} one-hot inputs, "
        f"cross-entropy against the next token (seed {seed})"
    )
    return compare_methods(ElmanRNN(U, V, W, sigma="tanh"), xs, ids[1:], "cross_entropy", caption)
