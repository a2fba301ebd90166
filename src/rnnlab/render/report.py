"""The report page: the lab's sections (rnnlab.render.layout) as one self-contained HTML file.

Nothing is fetched when the page opens: graphs and plots are inline SVG, formulas are
MathML converted here from LaTeX (latex2mathml), and the style sheet is in the page.
There are no scripts. The page renders the same sections the terminal prints and
computes nothing; every piece of text that is not our own markup goes through
html.escape.
"""

import os
import re
from collections.abc import Sequence
from html import escape
from pathlib import Path

from latex2mathml.converter import convert

from rnnlab.files import write_atomic
from rnnlab.render import document, tables

TITLE = "rnnlab — the RNN lab, worked"

MATH_FONTS = '"DejaVu Math TeX Gyre", "STIX Two Math", "Latin Modern Math", "Cambria Math", math'
"""Fonts with the OpenType MATH table that sizes Σ, ∏ and their limits; Debian's
fonts-dejavu-extra has the first (scripts/setup.sh installs it)."""

_STYLE = f"""
body {{ font-family: system-ui, sans-serif; max-width: 62em; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; color: #222; }}
math {{ font-family: {MATH_FONTS}; }}
h1 {{ border-bottom: 2px solid #333; }}
h2 {{ border-bottom: 1px solid #bbb; margin-top: 2em; }}
nav ol {{ columns: 2; list-style: none; padding-left: 0; }}
figure {{ margin: 1em 0; overflow-x: auto; }}
figure svg {{ max-width: 100%; height: auto; }}
figcaption {{ font-size: 0.9em; color: #555; }}
math[display="block"] {{ margin: 0.8em 0; font-size: 1.15em; }}
mtable {{ math-style: normal; }}
mtd[columnalign="left"] {{ text-align: left; }}
mtd[columnalign="right"] {{ text-align: right; }}
.question {{ font-weight: bold; margin-bottom: 0.2em; }}
.answer {{ background: #f7f7f2; border-left: 3px solid #9a6; padding: 0.5em 0.8em; margin-top: 0; }}
.wide {{ overflow-x: auto; }}
.row {{ display: flex; gap: 2em; flex-wrap: wrap; align-items: flex-start; }}
"""


def math(latex: str, display: bool = True) -> str:
    """LaTeX as MathML, which browsers render without any script or font download."""
    return convert(latex, display="block" if display else "inline")


def formula_rows(formula: document.Formula) -> str:
    """The formula's LaTeX, one term a row where its text takes several lines.

    Browsers do not break a MathML formula across lines, so a long sum would have to be
    scrolled sideways: it is set as an array instead, the left-hand side and "=" in the
    first column, each term (after the first, with its "+") in the second.
    """
    sides = _split_top(formula.latex, " = ", most=1)
    terms = _split_top(sides[-1], " + ")
    if len(formula.lines) == 1 or len(sides) < 2 or len(terms) < 2:
        return formula.latex
    rows = [rf"{sides[0]} = & {terms[0]}", *(f"& + {term}" for term in terms[1:])]
    return r"\begin{array}{rl} " + r" \\ ".join(rows) + r" \end{array}"


def _split_top(latex: str, separator: str, most: int = -1) -> "list[str]":
    r"""latex cut at each ``separator`` outside braces and \left … \right (at most ``most``
    cuts; every one where ``most`` is negative)."""
    pieces, depth, start = [], 0, 0
    for found in re.finditer(r"\\left|\\right|[{}]|" + re.escape(separator), latex):
        token = found.group()
        if token in ("{", r"\left"):
            depth += 1
        elif token in ("}", r"\right"):
            depth -= 1
        elif depth == 0 and len(pieces) != most:
            pieces.append(latex[start : found.start()])
            start = found.end()
    return [*pieces, latex[start:]]


def inline_svg(svg: str) -> str:
    """An SVG document cut down to its <svg> element, for placing inside HTML.

    The XML declaration, DOCTYPE and comments are dropped (HTML does not allow them
    there); the element itself, with its viewBox, is kept, so CSS can scale it.
    """
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("no <svg> element in the picture")
    return re.sub(r"<!--.*?-->", "", svg[start:], flags=re.DOTALL).strip()


def block_html(block: document.Block, pictures: dict[str, str]) -> str:
    """One block of a section as HTML; a figure not in ``pictures`` gets a note instead."""
    if isinstance(block, document.Paragraph):
        return f"<p>{tables.text_html(block.text)}</p>"
    if isinstance(block, document.Question):
        return f'<p class="question">{tables.text_html(block.text)}</p>'
    if isinstance(block, document.Answer):
        return f'<p class="answer">{tables.text_html(block.text)}</p>'
    if isinstance(block, document.Table):
        return tables.table(block.header, block.rows, block.caption)
    if isinstance(block, document.Formula):
        return f'<div class="wide">{math(formula_rows(block))}</div>'
    if isinstance(block, document.Figure):
        return _figure(block, pictures)
    raise TypeError(f"no HTML for {type(block).__name__}")


def _blocks_html(blocks: Sequence[document.Block], pictures: dict[str, str]) -> str:
    """The blocks in order, matrices that follow one another side by side in a row."""
    parts: list[str] = []
    row: list[str] = []
    for block in blocks:
        if isinstance(block, document.Table) and not block.header:
            row.append(block_html(block, pictures))
            continue
        if row:
            parts.append(f'<div class="row">{"".join(row)}</div>')
            row = []
        parts.append(block_html(block, pictures))
    if row:
        parts.append(f'<div class="row">{"".join(row)}</div>')
    return "".join(parts)


def _figure(figure: document.Figure, pictures: dict[str, str]) -> str:
    if figure.name not in pictures:
        return (
            f"<p>({escape(figure.name)} is not drawn here: Graphviz's dot program was not "
            f"found when the page was made; its source is in {escape(figure.name)}.gv.)</p>"
        )
    return (
        f"<figure>{inline_svg(pictures[figure.name])}"
        f"<figcaption>{tables.text_html(figure.caption)}</figcaption></figure>"
    )


def report_html(
    sections: Sequence[document.Section],
    pictures: dict[str, str],
    source: str = "the lab's worked example",
) -> str:
    """The report page as one HTML string.

    sections: rnnlab.render.layout.lab_document's; pictures: SVG text by figure name; source:
    what the numbers were computed from, for the page's first sentence.
    """
    contents = "".join(
        f'<li><a href="#{escape(s.anchor)}">{escape(s.heading)}</a></li>' for s in sections
    )
    body = "".join(
        f'<section id="{escape(s.anchor)}"><h2>{escape(s.heading)}</h2>'
        + _blocks_html(s.blocks, pictures)
        + "</section>"
        for s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(TITLE)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(TITLE)}</h1>"
        f"<p>Every value, table, graph and formula below was computed by rnnlab from "
        f"{escape(source)} when this page was made. The page needs no network: it has no "
        "scripts, and its pictures and formulas are part of it.</p>"
        f"<nav><ol>{contents}</ol></nav>{body}</body></html>\n"
    )


def write_report(
    path: "str | os.PathLike[str]",
    sections: Sequence[document.Section],
    pictures: dict[str, str],
    source: str = "the lab's worked example",
) -> Path:
    """Write the report page to path, whole or not at all."""
    return write_atomic(path, report_html(sections, pictures, source))
