"""Printing rnnlab.render.document's blocks on the terminal: the blocks the report page shows."""

from collections.abc import Collection
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from rnnlab.cli.display import console


def print_sections(sections, written: Collection[Path], terminal: Console = console) -> None:
    """Every section of rnnlab.render.layout.lab_document on the terminal, block by block.

    written: the files the run wrote; each figure names the one it is in.
    """
    files = {path.name: path for path in written}
    for section in sections:
        terminal.print()
        terminal.rule(Text(section.heading, style="bold"), align="left")
        for block in section.blocks:
            _print_block(block, files, terminal)


def _print_block(block, files: dict[str, Path], terminal: Console) -> None:
    from rnnlab.render import document  # inside: the CLI's modules import no math at start-up

    if isinstance(block, document.Question):
        terminal.print(Text(block.text, style="bold"))
    elif isinstance(block, (document.Paragraph, document.Answer)):
        terminal.print(block.text)
    elif isinstance(block, document.Formula):
        for line in block.lines:
            terminal.print("  " + line)
    elif isinstance(block, document.Table):
        print_table(block, terminal)
    elif isinstance(block, document.Figure):
        terminal.print(f"({_where(block.name, files)}: {block.caption})", soft_wrap=True)


def _where(name: str, files: dict[str, Path]) -> str:
    """Where a figure was written: its SVG, or only its DOT source where dot was missing."""
    if f"{name}.svg" in files:
        return f"drawn as {files[f'{name}.svg']}"
    if f"{name}.gv" in files:
        return f"not drawn, Graphviz's dot was not found; its source is {files[f'{name}.gv']}"
    return f"{name} was not written"


def print_table(block, terminal: Console = console) -> None:
    """A document.Table: its caption on a line of its own, then the table."""
    if block.caption:
        # A line of its own: a table's title would wrap inside the table's width.
        terminal.print(block.caption)
    terminal.print(_table(block))


def _table(block) -> Table:
    if not block.header:  # a matrix: right-aligned numbers, no rules
        table = Table(show_header=False, box=None, padding=(0, 1))
        for _ in block.rows[0]:
            table.add_column(justify="right")
    else:
        table = Table(*block.header)
    for row in block.rows:
        table.add_row(*row)
    return table
