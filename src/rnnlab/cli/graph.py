"""``rnnlab graph N``: the lab's computation graphs drawn for a sequence of N steps.

It writes the unrolled RNN of N steps, with the paths from U (or V) to L highlighted
as asked, and torch's autograd graph of the scalar RNN's loss over N steps, as in the
lab's sections 3.1–3.3. (``rnnlab run`` writes the lab's own graphs: rnnlab.render.run.)

The unrolled graph's files are named after N, wrt and the highlighted paths
(``unrolled_3_U_1-1``), so one drawing never replaces another; a file already there
with other content (another command's, or an older rnnlab's) is kept unless ``--force``.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rnnlab.cli import app
from rnnlab.cli.budgets import SHOW_PROGRESS_SECONDS, check_layout, layout_seconds
from rnnlab.cli.display import console, heading
from rnnlab.errors import InvalidValueError

if TYPE_CHECKING:  # for the annotations only: graphviz and rnnlab.lab load in the commands
    import graphviz

MOST_AUTOGRAD_STEPS = 30
"""Past this N autograd's graph (about ten nodes a step) takes Graphviz minutes to lay out."""


def save_graphs(
    drawn: "dict[str, graphviz.Digraph]",
    out: Path,
    formats: "tuple[str, ...] | list[str]",
    progress: bool = False,
) -> list[Path]:
    """Write each graph as ``out/name.gv`` and ``out/name.<format>``; return the paths.

    Without Graphviz's ``dot`` every source is still written, then one
    GraphvizNotFoundError says how to install it. With ``progress``, a bar on stderr
    (a terminal's) counts the graphs while ``dot`` lays them out.
    """
    from rich.console import Console
    from rich.progress import Progress

    from rnnlab import graphs

    written: list[Path] = []
    missing: graphs.GraphvizNotFoundError | None = None
    stderr = Console(stderr=True)
    shown = progress and stderr.is_terminal
    with Progress(console=stderr, transient=True, disable=not shown) as bar:
        task = bar.add_task("Graphviz lays out", total=len(drawn))
        for name, graph in drawn.items():
            bar.update(task, description=f"Graphviz lays out {name}")
            try:
                written += graphs.save(graph, out / name, formats)
            except graphs.GraphvizNotFoundError as error:
                missing = error
                written.append(out / f"{name}.gv")
            bar.advance(task)
    if missing is not None:
        raise graphs.GraphvizNotFoundError(
            f"cannot draw the graphs: Graphviz's `dot` program was not found; "
            f"{graphs.INSTALL_GRAPHVIZ}. Their sources are in {out}"
        ) from missing
    return written


def _path(text: str) -> tuple[int, int]:
    """ "2,3" → (2, 3)."""
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
        raise InvalidValueError(f"--highlight {text!r}: expected a path k,t such as 1,3")
    return int(parts[0]), int(parts[1])


def unrolled_name(N: int, wrt: str, highlight: "list[tuple[int, int]] | str") -> str:
    """The unrolled graph's file name: unrolled_3_U, unrolled_3_U_all, unrolled_5_V_1-1_2-4."""
    if highlight == "all":
        return f"unrolled_{N}_{wrt}_all"
    return "_".join([f"unrolled_{N}_{wrt}", *(f"{k}-{t}" for k, t in highlight)])


def _refuse_to_replace(drawn: "dict[str, graphviz.Digraph]", out: Path, formats: list[str]) -> None:
    """Refuse when a file this command would write is there and holds another graph.

    The DOT source tells: the same source means the same pictures, so writing them again
    loses nothing; a picture without its source, or another source, is someone else's.
    """
    for name, graph in drawn.items():
        source = out / f"{name}.gv"
        if source.exists() and source.read_text(encoding="utf-8", errors="replace") == graph.source:
            continue
        for path in [source, *(out / f"{name}.{suffix}" for suffix in formats)]:
            if path.exists():
                raise InvalidValueError(
                    f"{path} is already there and holds another graph; "
                    "give --force to replace it, or another --out"
                )


def _check_highlighted(N: int, chosen: "list[tuple[int, int]] | str") -> None:
    """Refuse, in the command's words, more highlighted paths than can be told apart."""
    from rnnlab.graphs.unrolled import MOST_HIGHLIGHTED
    from rnnlab.model.paths import count_paths

    count = count_paths(N) if chosen == "all" else len(chosen)
    if count > MOST_HIGHLIGHTED:
        given = "--all-paths" if chosen == "all" else f"--highlight {count} times"
        raise InvalidValueError(
            f"{given}: {count:,} paths are too many to tell apart in one picture, at most "
            f"{MOST_HIGHLIGHTED} (every path up to N = 7); pick some with --highlight K,T"
        )


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
            help="A path k,t to highlight: U enters at h_k and leaves through o_t. "
            "Repeatable (default: none).",
        ),
    ] = None,
    all_paths: Annotated[
        bool, typer.Option("--all-paths", help="Highlight every path from U to L.")
    ] = False,
    wrt: Annotated[str, typer.Option("--wrt", metavar="U|V", help="Paths from U or from V.")] = "U",
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format", metavar="FORMAT", help="pdf, svg or png; repeatable (default: pdf and svg)."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the files.", file_okay=False)
    ] = Path("rnnlab-out"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace same-named files that hold another graph.")
    ] = False,
) -> None:
    """Draw the unrolled RNN of N steps and, up to 30 steps, autograd's graph of its loss."""
    from rnnlab import graphs, lab

    if all_paths and highlight:
        raise InvalidValueError("--all-paths and --highlight: give one or the other")
    check_layout(N)  # before anything is built: N = 3000 would take Graphviz hours
    chosen = "all" if all_paths else [_path(text) for text in highlight or []]
    _check_highlighted(N, chosen)
    drawn = {unrolled_name(N, wrt, chosen): graphs.unrolled_graph(N, wrt, chosen or None)}
    if N <= MOST_AUTOGRAD_STEPS:
        drawn[f"computation_graph_{N}"] = lab.backward_graph(N)
    formats = formats or ["pdf", "svg"]
    if not force:
        _refuse_to_replace(drawn, out, formats)
    slow = layout_seconds(N) > SHOW_PROGRESS_SECONDS
    written = save_graphs(drawn, out, formats, progress=slow)
    heading("Written")
    for path in written:
        console.print(str(path), soft_wrap=True)
    if N > MOST_AUTOGRAD_STEPS:
        console.print(
            f"(autograd's graph is drawn up to N = {MOST_AUTOGRAD_STEPS}; "
            "past that Graphviz takes minutes to lay it out)"
        )
