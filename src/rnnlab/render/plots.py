"""Plots: vanishing and exploding per-path gradients, and training curves.

Figures are built with matplotlib's object interface (``Figure``, no pyplot), so nothing
touches a global backend or leaks open figures; PNG is drawn by Agg. ``save`` writes PNG
and SVG through rnnlab.files.write_atomic, and ``svg`` gives the SVG text that the report
page inlines.
"""

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from matplotlib import rc_context
from matplotlib.figure import Figure

from rnnlab.errors import InvalidValueError
from rnnlab.files import write_atomic
from rnnlab.lab.train import Training, entropy_rate
from rnnlab.model.bptt import path_contributions
from rnnlab.model.rnn import ElmanRNN

# Text stays text in the SVG: smaller, searchable, and readable in the report's DOM.
_SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "rnnlab"}


@dataclass(frozen=True)
class PathMagnitudes:
    """The size of every path's term in dL/dU, by how far U's entry point is from the loss.

    distance: (P,) t − k for each path (k, t), P = N(N+1)/2; magnitude: (P,) ‖term(k, t)‖,
    the Frobenius norm of that path's product of partial derivatives. last_distance and
    last_magnitude: (N,) the same for the paths into the last output o_N (k = N … 1),
    which share one loss factor and so show the pure effect of the Jacobian product.
    """

    distance: torch.Tensor
    magnitude: torch.Tensor
    last_distance: torch.Tensor
    last_magnitude: torch.Tensor


def path_magnitudes(
    rnn: ElmanRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    h0: "torch.Tensor | None" = None,
) -> PathMagnitudes:
    """‖term(k, t)‖ for every path from U to L (squared error, as in the lab's section 3)."""
    terms = path_contributions(rnn, xs, ys, h0=h0, wrt="U")
    pairs = sorted(terms)
    distance = torch.tensor([t - k for k, t in pairs])
    magnitude = torch.stack([terms[pair].detach().double().norm() for pair in pairs])
    N = max(t for _, t in pairs)
    last = [i for i, (_, t) in enumerate(pairs) if t == N]
    order = torch.tensor(last)[distance[last].argsort()]
    return PathMagnitudes(distance, magnitude, distance[order], magnitude[order])


def vanishing_exploding_rnns(
    hidden_size: int = 4, scales: Sequence[float] = (0.7, 1.3), seed: int = 0
) -> dict[float, ElmanRNN]:
    """Linear RNNs (σ = identity) whose V is ``scale`` times a random orthogonal matrix.

    Then ‖V^d x‖ = scale^d ‖x‖ exactly, so V contracts (spectral norm < 1) or expands
    (> 1) every state by the same factor, and each path's term scales with scale^(t−k).
    """
    generator = torch.Generator().manual_seed(seed)
    H = hidden_size
    Q, _ = torch.linalg.qr(torch.randn(H, H, dtype=torch.float64, generator=generator))
    U = torch.randn(H, 1, dtype=torch.float64, generator=generator)
    W = torch.randn(1, H, dtype=torch.float64, generator=generator)
    return {scale: ElmanRNN(U, scale * Q, W, sigma="identity") for scale in scales}


def vanishing_exploding_figure(
    N: int = 30, hidden_size: int = 4, scales: Sequence[float] = (0.7, 1.3), seed: int = 0
) -> Figure:
    """Per-path gradient magnitude against t − k for a contracting and an expanding V.

    The RNNs come from ``vanishing_exploding_rnns``; the input is x_t = 1, the target 0.
    """
    if isinstance(N, bool) or not isinstance(N, int) or N < 2:
        raise InvalidValueError(f"N is {N!r}, expected a whole number of steps, at least 2")
    xs = torch.ones(N, 1, dtype=torch.float64)
    ys = torch.zeros(N, 1, dtype=torch.float64)
    curves = {
        _spectral_label(rnn): path_magnitudes(rnn, xs, ys)
        for rnn in vanishing_exploding_rnns(hidden_size, scales, seed).values()
    }
    return path_magnitude_figure(curves, N)


def path_magnitude_figure(curves: dict[str, PathMagnitudes], N: int) -> Figure:
    """One coloured series per RNN: every path as a dot, the paths into o_N as a line."""
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    axes = figure.add_subplot()
    for i, (label, curve) in enumerate(curves.items()):
        colour = f"C{i}"
        axes.plot(
            curve.last_distance,
            curve.last_magnitude,
            color=colour,
            marker="o",
            markersize=3,
            label=f"{label}: paths into o_{N}",
        )
        axes.scatter(curve.distance, curve.magnitude, color=colour, s=6, alpha=0.25)
    axes.set_yscale("log")
    axes.set_xlabel("t − k: steps between where U enters (h_k) and the output o_t")
    axes.set_ylabel("‖term(k, t)‖ of dL/dU")
    axes.set_title(f"Vanishing and exploding gradients, N = {N}, linear RNN")
    axes.legend(loc="best", fontsize="small")
    axes.grid(True, which="major", alpha=0.3)
    return figure


@dataclass(frozen=True)
class Curve:
    """One training run's history, per epoch: loss and distance to the table T."""

    epoch: Sequence[int]
    loss: Sequence[float]
    distance: Sequence[float]


def training_figure(
    curve: Curve, entropy: "float | None" = None, target: "float | None" = None
) -> Figure:
    """Loss (left) and distance to T (right, log scale) against the epoch.

    entropy: the lowest loss any model can reach on data from T (the chain's entropy
    rate), drawn as a dashed line; target: the distance aimed for, likewise.
    """
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    loss_axes, distance_axes = figure.subplots(1, 2)
    loss_axes.plot(curve.epoch, curve.loss, color="tab:blue", label="training loss")
    if entropy is not None:
        loss_axes.axhline(entropy, color="grey", linestyle="--", label="entropy rate of T")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("cross-entropy per token (nats)")
    loss_axes.legend(fontsize="small")
    distance_axes.plot(
        curve.epoch, curve.distance, color="tab:red", label="max |softmax(o_t) − T_i|"
    )
    if target is not None:
        distance_axes.axhline(target, color="grey", linestyle="--", label=f"target {target:g}")
    distance_axes.set_yscale("log")
    distance_axes.set_xlabel("epoch")
    distance_axes.set_ylabel("distance to T")
    distance_axes.legend(fontsize="small")
    figure.suptitle("An RNN learning a bigram model")
    return figure


def training_result_figure(result: Training, T: torch.Tensor) -> Figure:
    """training_figure for a finished rnnlab.lab.train run on the table T."""
    curve = Curve(
        epoch=[epoch.epoch for epoch in result.history],
        loss=[epoch.loss for epoch in result.history],
        distance=[epoch.distance.max_abs for epoch in result.history],
    )
    return training_figure(curve, entropy=entropy_rate(T))


def png(figure: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (Agg)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def svg(figure: Figure) -> str:
    """The figure as SVG text, with its text kept as text."""
    buffer = io.BytesIO()
    with rc_context(_SVG_STYLE):
        figure.savefig(buffer, format="svg")
    return buffer.getvalue().decode()


def save(figure: Figure, stem: "str | os.PathLike[str]") -> list[Path]:
    """Write ``stem.png`` and ``stem.svg``, each whole or not at all; return both paths."""
    stem = Path(stem)
    pictures = {"png": png(figure), "svg": svg(figure).encode()}
    return [
        write_atomic(stem.with_name(f"{stem.name}.{kind}"), data) for kind, data in pictures.items()
    ]


def _spectral_label(rnn: ElmanRNN) -> str:
    norm = float(torch.linalg.matrix_norm(rnn.V.detach(), ord=2))
    kind = "contracting" if norm < 1 else "expanding"
    return f"{kind} V, ‖V‖₂ = {norm:.2g}"
