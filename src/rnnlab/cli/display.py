"""Printing numbers, vectors and matrices readably on the terminal.

Numbers are written as rnnlab.render.tables writes them, which needs no torch: every
command module imports this one at its top, and ``rnnlab --help`` must not load torch.
"""

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rnnlab.render.tables import number, vector

if TYPE_CHECKING:  # for the annotations only
    import torch

__all__ = ["bold", "console", "heading", "matrix_table", "number", "vector"]

# markup=False: values such as "[0.6, 0.1]" must print as they are.
console = Console(highlight=False, markup=False)


def matrix_table(title: str, M: "torch.Tensor") -> Table:
    """A matrix as right-aligned columns under a title."""
    table = Table(title=title, show_header=False, box=None, padding=(0, 1), title_justify="left")
    for _ in range(M.shape[1]):
        table.add_column(justify="right")
    for row in M.detach().tolist():
        table.add_row(*(number(v) for v in row))
    return table


def heading(text: str) -> None:
    """A section rule, as the lab numbers its sections."""
    console.print()
    console.rule(Text(text, style="bold"), align="left")


def bold(text: str) -> None:
    console.print(Text(text, style="bold"))
