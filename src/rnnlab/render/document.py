"""The lab's answers laid out once, as sections of blocks, for the terminal and the page.

``lab_document(answers)`` turns rnnlab.lab.sections.Answers into a tuple of ``Section``s made
of a few kinds of block: paragraphs, questions and their answers, tables of text cells,
formulas (plain text and LaTeX), and figures by name. ``rnnlab run`` prints these blocks
and rnnlab.render.report renders the same blocks as HTML, so the two cannot say different
things; neither computes or words anything of its own.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from rnnlab.render.tables import number, vector

DIGITS = 6
"""Significant digits of the backward section's numbers: each printed term is the product
of the printed factors to this precision, so a student can check one by hand."""
SHOWN_ENTRIES = 5
"""Entries of a distribution listed where V is large: the largest ones."""
SHOWN_ROWS = 10
"""Rows of a table over the vocabulary shown where V is large."""


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Question:
    text: str


@dataclass(frozen=True)
class Answer:
    text: str


@dataclass(frozen=True)
class Table:
    """Text cells under an optional header (empty for a matrix), with a caption above."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: "str | None" = None


@dataclass(frozen=True)
class Formula:
    """One formula: ``lines`` of plain text for the terminal, ``latex`` for the page."""

    lines: tuple[str, ...]
    latex: str


@dataclass(frozen=True)
class Figure:
    """A graph or plot written beside the page as name.svg (and .pdf or .png)."""

    name: str
    caption: str


Block = Paragraph | Question | Answer | Table | Formula | Figure


@dataclass(frozen=True)
class Section:
    """A section as the lab numbers it ("2.1"; "" beyond the lab) and titles it."""

    number: str
    title: str
    anchor: str
    blocks: tuple[Block, ...]

    @property
    def heading(self) -> str:
        return f"{self.number}  {self.title}" if self.number else self.title


FORMULA_WIDTH = 76
"""The longest formula line on the terminal: 80 columns less the indent it is printed with."""


def formula(text: str, latex: str) -> Formula:
    """A formula whose text breaks before a "·" or "+" where it would pass FORMULA_WIDTH,
    each further line indented under the right-hand side."""
    indent = " " * (text.index(" = ") + 1) if " = " in text else ""
    lines = [""]
    for piece in re.split(r"(?= [·+] )", text):
        if lines[-1] and len(lines[-1]) + len(piece) > FORMULA_WIDTH:
            lines.append(indent + piece.lstrip())
        else:
            lines[-1] += piece
    return Formula(lines=tuple(lines), latex=latex)


def matrix(name: str, M: torch.Tensor, digits: int = 4) -> Table:
    """A matrix (R, C) as a headerless table, captioned with its name and shape."""
    rows = tuple(
        tuple(number(v, digits) for v in row) for row in M.detach().reshape(M.shape[0], -1).tolist()
    )
    return Table(header=(), rows=rows, caption=f"{name} ({' × '.join(str(s) for s in M.shape)})")


def named_matrix(caption: str, M: torch.Tensor, names: Sequence[str]) -> Table:
    """A V × V matrix with its words as row and column names, the first SHOWN_ROWS of each."""
    shown = min(len(names), SHOWN_ROWS)
    more = f" (the first {shown} of {len(names)} words)" if shown < len(names) else ""
    rows = tuple((names[i], *(number(float(M[i, j])) for j in range(shown))) for i in range(shown))
    return Table(header=("", *names[:shown]), rows=rows, caption=caption + more)


def distribution(row: torch.Tensor, names: Sequence[str]) -> str:
    """A distribution over the words: the whole vector when short, else its largest entries."""
    if len(row) <= SHOWN_ENTRIES:
        return vector(row)
    top = torch.topk(row.detach(), SHOWN_ENTRIES)
    listed = ", ".join(
        f"{names[i]} {number(v)}"
        for v, i in zip(top.values.tolist(), top.indices.tolist(), strict=True)
    )
    return f"{listed}, … ({len(row) - SHOWN_ENTRIES} more)"


def words(sequence: Sequence[str]) -> str:
    """One-letter words run together ("aab"), others separated by spaces."""
    return "".join(sequence) if all(len(word) == 1 for word in sequence) else " ".join(sequence)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def learning_table(
    rows: Sequence,
    T: torch.Tensor,
    constructed: Mapping[int, torch.Tensor],
    names: Sequence[str],
    steps: int,
) -> Table:
    """The learnt next-word distributions beside T's rows and bigram_rnn(T)'s outputs.

    rows: rnnlab.lab.train.LearntRow per word read, of which the first SHOWN_ROWS are shown;
    constructed: bigram_rnn(T)'s o_1 (V,) after each of those words, by word id.
    """
    shown = rows[:SHOWN_ROWS]
    more = f"; the first {len(shown)} of {len(rows)} words" if len(shown) < len(rows) else ""
    return Table(
        header=("after", "T_i", "learnt softmax(o_t), mean", "largest error", "bigram_rnn(T) o_t"),
        rows=tuple(
            (
                names[row.word],
                distribution(T[row.word], names),
                distribution(row.mean, names),
                number(row.max_error),
                distribution(constructed[row.word], names),
            )
            for row in shown
        ),
        caption=f"Next-word distributions over a held-out sample of {steps} steps{more}",
    )
