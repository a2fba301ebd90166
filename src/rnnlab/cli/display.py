"""Printing numbers, vectors and matrices readably on the terminal."""

import torch
from rich.console import Console
from rich.table import Table
from rich.text import Text

# markup=False: values such as "[0.6, 0.1]" must print as they are.
console = Console(highlight=False, markup=False)


def number(value: float, digits: int = 4) -> str:
    """A number rounded to ``digits`` significant figures, without trailing noise."""
    rounded = float(f"{value:.{digits}g}")
    return "0" if rounded == 0 else f"{rounded:g}"


def vector(values: torch.Tensor, digits: int = 4) -> str:
    """A tensor's entries as "[a, b, …]"."""
    return "[" + ", ".join(number(v, digits) for v in values.detach().reshape(-1).tolist()) + "]"


def matrix_table(title: str, M: torch.Tensor) -> Table:
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
