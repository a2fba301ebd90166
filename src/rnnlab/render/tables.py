"""Numbers as HTML tables, for the report page and for Jupyter's ``_repr_html_``.

Plain HTML with inline styles and no scripts, so a table reads the same in a notebook,
in a saved page and offline. Every piece of text goes through html.escape.
"""

import re
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: a table is text, torch is not needed to write it
    import torch

_TABLE = "border-collapse:collapse;font-family:monospace;margin:0.3em 0"
_CELL = "border:1px solid #ccc;padding:0.15em 0.6em;text-align:right"
_HEAD = _CELL + ";background:#f2f2f2;text-align:center"
_CAPTION = "font-family:sans-serif;font-size:0.9em;color:#555"


def number(value: float, digits: int = 4) -> str:
    """A number rounded to ``digits`` significant figures, without trailing noise."""
    rounded = float(f"{value:.{digits}g}")
    # Printed with the same digits: a bare :g would stop at six.
    return "0" if rounded == 0 else f"{rounded:.{digits}g}"


def vector(values: "torch.Tensor", digits: int = 4) -> str:
    """A tensor's entries as "[a, b, …]" (plain text; escape it before putting it in HTML)."""
    return "[" + ", ".join(number(v, digits) for v in values.detach().reshape(-1).tolist()) + "]"


_SUBSCRIPT = re.compile(r"(?<!\w)(∂?[^\W\d_])_(?:\(([^()\s]*)\)|([A-Za-z0-9]{1,3}))(?![\w(])")
"""A subscript as the terminal writes it: x_t, h_(t-1), U_(1,1), ∂h_1 (not U_grad, bigram_rnn)."""


def text_html(text: str) -> str:
    """Text for a page: escaped, its subscripts (x_t, h_(t-1)) set as <sub>."""
    return _SUBSCRIPT.sub(
        lambda found: f"{found[1]}<sub>{found[2] or found[3]}</sub>", escape(text)
    )


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    caption: "str | None" = None,
) -> str:
    """An HTML table of text cells under a header row; every cell is escaped here."""
    parts = []
    if caption is not None:
        # A heading above the table rather than a <caption>, so a long caption does not
        # stretch a narrow table.
        parts.append(f'<div style="{_CAPTION}">{text_html(caption)}</div>')
    parts.append(f'<table style="{_TABLE}">')
    if header:
        parts.append("<tr>" + "".join(f'<th style="{_HEAD}">{text_html(h)}</th>' for h in header))
    for row in rows:
        parts.append("<tr>" + "".join(f'<td style="{_CELL}">{text_html(c)}</td>' for c in row))
    parts.append("</table>")
    return f'<div style="margin:0.4em 0">{"".join(parts)}</div>'


def matrix(
    M: "torch.Tensor",
    caption: "str | None" = None,
    row_names: "Sequence[str] | None" = None,
    column_names: "Sequence[str] | None" = None,
    digits: int = 4,
) -> str:
    """A matrix (R, C), or a vector (C,) as one row, as an HTML table with optional names."""
    values = M.detach()
    if values.ndim < 2:
        values = values.reshape(1, -1)
    rows = [[number(v, digits) for v in row] for row in values.tolist()]
    if row_names is not None:
        rows = [[name, *row] for name, row in zip(row_names, rows, strict=True)]
    header: list[str] = []
    if column_names is not None:
        header = ([""] if row_names is not None else []) + list(column_names)
    return table(header, rows, caption)


SHOWN = 12
"""Rows (and columns) a Jupyter table shows before it says how many more there are."""


def more(count: int, what: str) -> str:
    """A line saying how many more rows a table leaves out, or nothing."""
    return f"<div>… and {count} more {escape(what)}</div>" if count > 0 else ""
