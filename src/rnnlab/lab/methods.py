"""Beyond the lab: the three ways to dL/dU (reverse sweep, paths, autograd) side by side."""

from dataclasses import dataclass

import torch

from rnnlab.lab.example import Example
from rnnlab.model.bptt import METHOD_NAMES, bptt
from rnnlab.model.rnn import ElmanRNN


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


def compare_methods(
    rnn: ElmanRNN, xs: torch.Tensor, ys: torch.Tensor, loss: str, caption: str
) -> MethodComparison:
    """Each method's dL/dU and its largest difference from autograd over U, V, W and h0."""
    results = {method: bptt(rnn, xs, ys, loss=loss, method=method) for method in METHOD_NAMES}
    reference = results["autograd"]
    rows = tuple(
        MethodRow(
            method=method,
            dL_dU=gradients.U,
            loss=gradients.loss,
            difference=max(
                float((getattr(gradients, name) - getattr(reference, name)).abs().max())
                for name in ("U", "V", "W", "h0")
            ),
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
