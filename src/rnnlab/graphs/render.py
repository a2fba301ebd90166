"""Writing a graph to files: its DOT source, then each picture, every file whole or not at all.

Graphviz's own ``Digraph.render`` writes straight to the target names, so an
interrupted run can leave half a PDF behind. Here ``dot`` runs into memory
(``Digraph.pipe``) and each result goes through rnnlab.files.write_atomic.
"""

import os
import re
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
        drawn["svg"] = _small_subscripts(drawn["svg"])
    return drawn


_SUBSCRIPT = re.compile(rb'baseline-shift="sub" font-size="([0-9.]+)"')


def _small_subscripts(svg: bytes) -> bytes:
    """Graphviz writes an HTML-label subscript (<SUB>) at the base letter's font size, so
    browsers draw it full size below the line; set it to 70 % of that, as its PDF does."""
    return _SUBSCRIPT.sub(
        lambda match: b'baseline-shift="sub" font-size="%.2f"' % (0.7 * float(match[1])), svg
    )


def _with_suffix(stem: Path, suffix: str) -> Path:
    # Appended, not Path.with_suffix: a stem such as "graph.v2" keeps its whole name.
    return stem.with_name(f"{stem.name}.{suffix}")
