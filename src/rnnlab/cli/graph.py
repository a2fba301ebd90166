"""``rnnlab graph N``: the lab's computation graphs drawn for a sequence of N steps.

It writes the unrolled RNN of N steps, with the paths from U (or V) to L highlighted
as asked, and torch's autograd graph of the scalar RNN's loss over N steps, as in the
lab's sections 3.1–3.3. ``rnnlab run`` writes the lab's own graphs through
``save_graphs`` below.
"""

import sys
from pathlib import Path
from typing import Annotated

import graphviz
import typer

from rnnlab import graphs, lab
from rnnlab.cli import app
from rnnlab.cli.display import console, heading
from rnnlab.errors import InvalidValueError

MOST_AUTOGRAD_STEPS = 30
"""Past this N autograd's graph (about ten nodes a step) takes Graphviz minutes to lay out."""


def save_graphs(
    drawn: "dict[str, graphviz.Digraph]", out: Path, formats: "tuple[str, ...] | list[str]"
) -> list[Path]:
    """Write each graph as ``out/name.gv`` and ``out/name.<format>``; return the paths.

    Without Graphviz's ``dot`` every source is still written, then one
    GraphvizNotFoundError says how to install it.
    """
    written: list[Path] = []
    missing: graphs.GraphvizNotFoundError | None = None
    for name, graph in drawn.items():
        try:
            written += graphs.save(graph, out / name, formats)
        except graphs.GraphvizNotFoundError as error:
            missing = error
            written.append(out / f"{name}.gv")
    if missing is not None:
        raise graphs.GraphvizNotFoundError(
            f"cannot draw the graphs: Graphviz's `dot` program was not found; "
            f"{graphs.INSTALL_GRAPHVIZ}. Their sources are in {out}"
        ) from missing
    return written


def save_lab_graphs(out: Path) -> list[Path]:
    """``rnnlab run``'s graphs, as PDF and SVG: without ``dot``, a warning and the sources only."""
    drawn = lab.lab_graphs()
    try:
        return save_graphs(drawn, out, ("pdf", "svg"))
    except graphs.GraphvizNotFoundError as error:
        print(f"rnnlab: warning: {error}", file=sys.stderr)
        return [out / f"{name}.gv" for name in drawn]


def _path(text: str) -> tuple[int, int]:
    """ "2,3" → (2, 3)."""
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
        raise InvalidValueError(f"--highlight {text!r}: expected a path k,t such as 1,3")
    return int(parts[0]), int(parts[1])


@app.command()
def graph(
    N: Annotated[
        int,
        typer.Argument(help="Number of steps of the sequence.", metavar="N", show_default=False),
    ],
    highlight: Annotated[
        list[str] | None,
        typer.Option(
            "--highlight",
            metavar="K,T",
            help="A path k,t to highlight: U enters at h_k and leaves through o_t. Repeatable.",
        ),
    ] = None,
    all_paths: Annotated[
        bool, typer.Option("--all-paths", help="Highlight every path from U to L.")
    ] = False,
    wrt: Annotated[str, typer.Option("--wrt", metavar="U|V", help="Paths from U or from V.")] = "U",
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format", metavar="FORMAT", help="pdf, svg or png; repeatable. Default: pdf and svg."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the files.", file_okay=False)
    ] = Path("rnnlab-out"),
) -> None:
    """Draw the unrolled RNN of N steps and, up to 30 steps, autograd's graph of its loss."""
    if all_paths and highlight:
        raise InvalidValueError("--all-paths and --highlight: give one or the other")
    chosen = "all" if all_paths else [_path(text) for text in highlight or []]
    drawn = {f"unrolled_{N}": graphs.unrolled_graph(N, wrt=wrt, highlight=chosen or None)}
    if N <= MOST_AUTOGRAD_STEPS:
        drawn[f"computation_graph_{N}"] = lab.backward_graph(N)
    written = save_graphs(drawn, out, formats or ["pdf", "svg"])
    heading("Written")
    for path in written:
        console.print(str(path), soft_wrap=True)
    if N > MOST_AUTOGRAD_STEPS:
        console.print(
            f"(autograd's graph is drawn up to N = {MOST_AUTOGRAD_STEPS}; "
            "past that Graphviz takes minutes to lay it out)"
        )
