"""Plots: vanishing and exploding per-path gradients, and training curves.

Each figure draws data that rnnlab.lab.drawings computed; nothing here computes. Figures
are built with matplotlib's object interface (``Figure``, no pyplot), so nothing
touches a global backend or leaks open figures; PNG is drawn by Agg. ``save`` writes PNG
and SVG through rnnlab.files.write_atomic, and ``svg`` gives the SVG text that the report
page inlines.
"""

import io
import os
from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure

from rnnlab.files import write_atomic
from rnnlab.lab.drawings import Curve, PathMagnitudes, VanishingExploding

# Text stays text in the SVG: smaller, searchable, and readable in the report's DOM.
_SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "rnnlab"}


def vanishing_exploding_figure(data: VanishingExploding) -> Figure:
    """Per-path gradient magnitude against t − k for each RNN of ``data``."""
    return path_magnitude_figure(data.curves, data.N)


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


def training_figure(curve: Curve, target: "float | None" = None) -> Figure:
    """Loss (left) and distance to T (right, log scale) against the epoch.

    The curve's entropy rate, where it has one, is drawn as a dashed line; target: the
    distance aimed for, likewise.
    """
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    loss_axes, distance_axes = figure.subplots(1, 2)
    loss_axes.plot(curve.epoch, curve.loss, color="tab:blue", label="training loss")
    if curve.entropy is not None:
        loss_axes.axhline(curve.entropy, color="grey", linestyle="--", label="entropy rate of T")
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
