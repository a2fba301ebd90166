"""Writing a graph to files: its DOT source, then each picture, every file whole or not at all.

Graphviz's own ``Digraph.render`` writes straight to the target names, so an
interrupted run can leave half a PDF behind. Here ``dot`` runs into memory
(``Digraph.pipe``) and each result goes through rnnlab.files.write_atomic.

``Drawing`` is the Digraph that ``make_dot`` returns: where Graphviz's ``dot`` is missing,
a notebook shows one sentence saying how to get it instead of a traceback.
"""

import os
import re
import sys
from pathlib import Path

import graphviz

from rnnlab.errors import InvalidValueError
from rnnlab.files import write_atomic

FORMATS = ("pdf", "svg", "png")

INSTALL_GRAPHVIZ = (
    "install Graphviz, which provides it: `sudo apt-get install graphviz` (Debian, Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz`, or https://graphviz.org/download/"
)


class GraphvizNotFoundError(FileNotFoundError):
    """Graphviz's ``dot`` program is not installed, so no picture can be drawn.

    A FileNotFoundError, as for any missing program; the command line reports it in one line.
    """


NO_DOT = f"This graph cannot be drawn: Graphviz's `dot` is not installed; {INSTALL_GRAPHVIZ}"


class Drawing(graphviz.Digraph):
    """A graphviz.Digraph for notebooks: without Graphviz's ``dot``, showing it gives NO_DOT
    as its text, and ``render`` in a Jupyter kernel prints NO_DOT (the DOT source is still
    written) where elsewhere it raises GraphvizNotFoundError."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": NO_DOT}

    def render(self, *args, **kwargs) -> "str | None":
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            if not _in_jupyter():
                raise GraphvizNotFoundError(NO_DOT) from error
            print(NO_DOT, file=sys.stderr)
            return None


def _in_jupyter() -> bool:
    """Whether this runs in a Jupyter kernel (an IPython shell with a kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def save(
    graph: graphviz.Digraph,
    stem: "str | os.PathLike[str]",
    formats: "tuple[str, ...] | list[str]" = ("pdf",),
) -> list[Path]:
    """Write ``stem.gv`` (the DOT source) and ``stem.<format>`` for each format; return the paths.

    The source is written first, so it is there even when ``dot`` is missing, in which
    case GraphvizNotFoundError says how to install it and no picture is written at all.
    """
    unknown = [name for name in formats if name not in FORMATS]
    if unknown:
        raise InvalidValueError(
            f"format {unknown[0]!r} is not one rnnlab draws, expected one of {', '.join(FORMATS)}"
        )
    stem = Path(stem)
    source = write_atomic(_with_suffix(stem, "gv"), graph.source)
    try:
        # Every picture is drawn before any is written: all of them appear, or none.
        pictures = draw(graph, formats)
    except GraphvizNotFoundError as error:
        raise GraphvizNotFoundError(f"{error}. The graph's source is in {source}") from error
    return [source] + [
        write_atomic(_with_suffix(stem, name), data) for name, data in pictures.items()
    ]


def draw(graph: graphviz.Digraph, formats: "tuple[str, ...] | list[str]") -> dict[str, bytes]:
    """The graph drawn in memory by ``dot``, by format; GraphvizNotFoundError without it."""
    try:
        drawn = {name: graph.pipe(format=name, quiet=True) for name in dict.fromkeys(formats)}
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(
            f"cannot draw the graphs: Graphviz's `dot` program was not found; {INSTALL_GRAPHVIZ}"
        ) from error
    if "svg" in drawn:
        svg = svg_text_runs(_small_subscripts(drawn["svg"]).decode("utf-8"))
        drawn["svg"] = svg.encode("utf-8")
    return drawn


_SUBSCRIPT = re.compile(rb'baseline-shift="sub" font-size="([0-9.]+)"')


def _small_subscripts(svg: bytes) -> bytes:
    """Graphviz writes an HTML-label subscript (<SUB>) at the base letter's font size, so
    browsers draw it full size below the line; set it to 70 % of that, as its PDF does."""
    return _SUBSCRIPT.sub(
        lambda match: b'baseline-shift="sub" font-size="%.2f"' % (0.7 * float(match[1])), svg
    )


# One <text> element on a line of its own, as dot writes them: attributes, then content.
_TEXT = re.compile(r"<text (?P<attributes>[^>]*?)>(?P<content>[^<]*)</text>")
_PLACE = re.compile(r'(?:^|\s)(?:text-anchor|x|y)="[^"]*"')


def svg_text_runs(svg_text: str) -> str:
    """Join each letter and its subscripts into one <text> of <tspan>s.

    dot writes "h" and its subscript "1" as two <text> elements, each placed at an x
    that dot measured with its own font metrics. A browser's font is narrower, so the
    pieces drift apart ("h 1"). As one <text>, the browser places each piece after the
    one before, and the subscript keeps its smaller size and baseline shift. A piece
    joins the one before it when either is a subscript on the same line; other pieces
    on a line (a table's cells) keep their own places.
    """
    joined: list[list[re.Match[str]] | str] = []
    for line in svg_text.split("\n"):
        piece = _TEXT.fullmatch(line)
        last = joined[-1] if joined else None
        if piece and isinstance(last, list) and _continues(last[-1], piece):
            last.append(piece)
        else:
            joined.append([piece] if piece else line)
    return "\n".join(item if isinstance(item, str) else _one_text(item) for item in joined)


def _continues(before: re.Match[str], piece: re.Match[str]) -> bool:
    """Whether ``piece`` is part of the same label as ``before``: a subscript or its tail."""
    same_line = _attribute(before, "y") == _attribute(piece, "y")
    left_aligned = _attribute(before, "text-anchor") == _attribute(piece, "text-anchor") == "start"
    subscript = "sub" in (_attribute(before, "baseline-shift"), _attribute(piece, "baseline-shift"))
    return same_line and left_aligned and subscript


def _one_text(pieces: list[re.Match[str]]) -> str:
    if len(pieces) == 1:
        return pieces[0].group(0)
    first = pieces[0]
    place = " ".join(f'{name}="{_attribute(first, name)}"' for name in ("text-anchor", "x", "y"))
    spans = "".join(
        f"<tspan {_PLACE.sub('', piece['attributes']).strip()}>{piece['content']}</tspan>"
        for piece in pieces
    )
    return f"<text {place}>{spans}</text>"


def _attribute(piece: re.Match[str], name: str) -> "str | None":
    found = re.search(rf'(?:^|\s){name}="([^"]*)"', piece["attributes"])
    return found[1] if found else None


def _with_suffix(stem: Path, suffix: str) -> Path:
    # Appended, not Path.with_suffix: a stem such as "graph.v2" keeps its whole name.
    return stem.with_name(f"{stem.name}.{suffix}")
