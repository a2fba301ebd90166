"""``rnnlab notebook build`` and ``rnnlab notebook grade``: hand the lab out, grade it locally."""

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from rnnlab import grading as notebook
from rnnlab.cli import app
from rnnlab.cli.display import console, heading
from rnnlab.errors import InvalidValueError

notebook_app = typer.Typer(
    help="The lab as an autograded notebook: build the student and autograder versions, grade.",
    no_args_is_help=True,
)
app.add_typer(notebook_app, name="notebook")


@notebook_app.command()
def build(
    directory: Annotated[Path, typer.Argument(help="Folder to write student/ and autograder/ in.")],
) -> None:
    """Run otter assign on the lab's master notebook: DIRECTORY/student and DIRECTORY/autograder.

    The student folder installs anywhere (requirements.txt, rnnlab's wheel, a README);
    the zip grades with stock otter. A rebuild replaces both folders or neither.
    """
    built = notebook.build(directory)
    console.print(f"Student version (hand this out): {built.student}", soft_wrap=True)
    console.print(f"  rnnlab's wheel:                {built.wheel}", soft_wrap=True)
    console.print(f"Autograder version:              {built.autograder}", soft_wrap=True)
    console.print(f"Autograder zip:                  {built.zip}", soft_wrap=True)


@notebook_app.command()
def grade(
    submissions: Annotated[list[Path], typer.Argument(help="Submitted notebooks (.ipynb).")],
    out: Annotated[Path, typer.Option("--out", help="CSV file for the score table.")] = Path(
        "scores.csv"
    ),
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=1, help="Seconds allowed per submission; over it scores 0."),
    ] = notebook.DEFAULT_TIMEOUT,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", min=1, help="Submissions graded at once (default: all cores)."),
    ] = None,
    autograder: Annotated[
        Path | None,
        typer.Option(
            "--autograder",
            help="Autograder zip, or a folder from 'rnnlab notebook build' "
            "(default: build one from the lab's master notebook).",
        ),
    ] = None,
) -> None:
    """Grade notebooks locally, without Docker, each in its own process with a time limit."""
    notebook.check_submissions(submissions)
    if out.is_dir():
        raise InvalidValueError(f"--out {out} is a folder; give the CSV file to write")
    with tempfile.TemporaryDirectory(prefix="rnnlab-autograder-") as scratch:
        if autograder is None:
            autograder = notebook.build(scratch).zip
        with Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("grading", total=len(submissions))
            scores = notebook.grade(
                submissions,
                autograder,
                timeout=timeout,
                jobs=jobs,
                on_score=lambda _: progress.advance(task),
            )
    written = notebook.write_scores(out, scores)
    print_summary(scores)
    console.print(f"Score table: {written}")


def print_summary(scores: list[notebook.Score]) -> None:
    """One row per submission, then the counts and the mean."""
    heading("Scores")
    table = Table("submission", "total", "status", "reason")
    for score in scores:
        # Text cells: a reason quotes the submission's own output, never markup.
        table.add_row(
            Text(str(score.submission)),
            f"{score.total:g} / {score.total_possible:g}",
            score.status,
            Text(score.reason),
        )
    console.print(table)
    counts = {status: sum(s.status == status for s in scores) for status in ("graded", "timeout")}
    failed = len(scores) - counts["graded"] - counts["timeout"]
    mean = sum(score.total for score in scores) / len(scores) if scores else 0.0
    possible = scores[0].total_possible if scores else 0.0
    console.print(
        f"{len(scores)} submissions: {counts['graded']} graded, {counts['timeout']} timed out, "
        f"{failed} failed; mean {mean:.2f} / {possible:g}"
    )
