"""What Jupyter shows for a Trace, Gradients and a BigramLM: HTML tables of their values.

Each function is registered with rnnlab.model.display, which the classes' ``_repr_html_``
asks; the package names this module there, so it is imported at the first display.
"""

import torch

from rnnlab.bigram.model import BigramLM
from rnnlab.model import display
from rnnlab.model.bptt import Gradients
from rnnlab.model.rnn import Trace
from rnnlab.render import tables


@display.draws(Trace)
def trace_html(trace: Trace) -> str:
    """A trace as a table of t, z_t, h_t, o_t, ŷ_t per sequence."""
    if trace.h.ndim == 2:
        return _trace_table(trace.h, trace.z, trace.o, trace.y_hat, None)
    shown = min(len(trace.h), tables.SHOWN)
    parts = [
        _trace_table(trace.h[b], trace.z[b], trace.o[b], trace.y_hat[b], f"sequence {b + 1}")
        for b in range(shown)
    ]
    return "".join(parts) + tables.more(len(trace.h) - shown, "sequences")


def _trace_table(h, z, o, y_hat, caption: "str | None") -> str:
    """One sequence's trace as a table; row 0 holds h_0, then the first SHOWN steps."""
    N, vector = len(z), tables.vector
    rows = [["0", "", vector(h[0]), "", ""]]
    rows += [
        [str(t), vector(z[t - 1]), vector(h[t]), vector(o[t - 1]), vector(y_hat[t - 1])]
        for t in range(1, min(N, tables.SHOWN) + 1)
    ]
    header = ["t", "z_t = U x_t + V h_(t−1)", "h_t", "o_t", "ŷ_t"]
    return tables.table(header, rows, caption) + tables.more(N - tables.SHOWN, "steps")


@display.draws(Gradients)
def gradients_html(gradients: Gradients) -> str:
    """The four gradients side by side, and the loss."""
    matrices = "".join(
        f'<div style="margin-right:1.5em">'
        f"{tables.matrix(getattr(gradients, name), f'dL/d{name}')}</div>"
        for name in ("U", "V", "W", "h0")
    )
    loss = tables.table([], [[f"L = {tables.number(gradients.loss, 8)}"]])
    return (
        f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start">{matrices}</div>' + loss
    )


@display.draws(BigramLM)
def bigram_html(lm: BigramLM) -> str:
    """The model as its table T, words naming the rows and columns."""
    V, shown = lm.size, min(lm.size, tables.SHOWN)
    names = list(lm.vocab or (f"v_{i + 1}" for i in range(V)))[:shown]
    caption = f"T[i, j] = Pr(v_j | v_i), V = {V}" + (
        f", the first {shown} shown" if shown < V else ""
    )
    corner: torch.Tensor = lm._corner(shown)
    return tables.matrix(corner, caption, row_names=names, column_names=names)
