"""``rnnlab run``: the whole lab, on its worked example or a user's own numbers.

The lab is answered once (rnnlab.lab.answers), laid out once (rnnlab.render.layout), printed
here block by block, and written by rnnlab.render.run, whose report page renders the same
blocks. torch, matplotlib and sympy are imported inside the command, so that
``rnnlab --help`` stays fast.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

from rnnlab.cli import app
from rnnlab.cli.display import console
from rnnlab.cli.terminal import print_sections

if TYPE_CHECKING:  # for the annotation only: rnnlab.render.run loads torch
    from rnnlab.render.run import RunFiles


@app.command()
def run(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for what the run writes.", file_okay=False)
    ] = Path("rnnlab-out"),
    example: Annotated[
        Path | None,
        typer.Option(
            "--example",
            help="A JSON or TOML file of your own numbers, keyed by the lab's names "
            "(`rnnlab example` writes one to start from; default: the lab's worked example).",
            dir_okay=False,
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every file the run writes.")
    ] = False,
) -> None:
    """Carry out the whole lab and print each section's results (worked example by default)."""
    # Ctrl-C is one line and status 130 for every command: rnnlab.cli.main. Every file
    # is written whole or not at all, so nothing half-written is left.
    _run(out, example, verbose)


def _run(out: Path, example_file: "Path | None", verbose: bool) -> None:
    import torch

    from rnnlab import lab
    from rnnlab.lab.example import read_example
    from rnnlab.render import layout
    from rnnlab.render.run import write_run

    # This process runs small tensors only: a thread pool costs more than it saves
    # (see benchmarks/RESULTS.md), and the command, not the library, owns the process.
    torch.set_num_threads(1)
    example = lab.WORKED if example_file is None else read_example(example_file, lab.WORKED)
    source = (
        "the lab's worked example" if example_file is None else f"the numbers in {example_file}"
    )
    with Console(stderr=True).status("Answering the lab…"):
        answers = lab.answers(example)
        sections = layout.lab_document(answers)
        files = write_run(out, answers, sections, source)
    print_sections(sections, files.paths)  # after the writing: it names what was written
    if files.warning is not None:
        print(f"rnnlab: warning: {files.warning}", file=sys.stderr)
    print_ending(out, files, verbose)


def print_ending(out: Path, files: "RunFiles", verbose: bool = False) -> None:
    """What was written, in one line (every file with ``verbose``), then what to do next."""
    console.print()
    if verbose:
        console.rule(Text("Written", style="bold"), align="left")
        for path in files.paths:
            console.print(str(path), soft_wrap=True)
    else:
        console.print(
            f"Wrote {len(files.paths)} files to {out}: the graphs, plots and results.json "
            "(--verbose lists them).",
            soft_wrap=True,
        )
    console.print(
        f"Next: open {out / 'report.html'} in a browser: the whole lab on one page.",
        soft_wrap=True,
    )
