"""``rnnlab notebook build``, ``grade`` and ``merge``: hand the lab out, grade it locally."""

import enum
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from rnnlab.cli import app
from rnnlab.cli.display import console, heading
from rnnlab.errors import InvalidValueError
from rnnlab.extras import require

notebook_app = typer.Typer(
    help="The lab as an autograded notebook: build the student and autograder versions, grade.",
    no_args_is_help=True,
)
app.add_typer(notebook_app, name="notebook")

DEFAULT_TIMEOUT = 120.0  # rnnlab.grading.DEFAULT_TIMEOUT, here without importing grading


class Handout(enum.StrEnum):
    """What the hand-out's wheel holds (rnnlab.grading.assignment.HANDOUTS)."""

    student = "student"
    full = "full"


@notebook_app.command()
def build(
    directory: Annotated[Path, typer.Argument(help="Folder to write student/ and autograder/ in.")],
    handout: Annotated[
        Handout,
        typer.Option(
            "--handout",
            help="The wheel students get: 'student' (make_dot and the checks' helper only) "
            "or 'full' (the whole library, which computes every answer of the lab).",
        ),
    ] = Handout.student,
) -> None:
    """Run otter assign on the lab's master notebook: DIRECTORY/student and DIRECTORY/autograder.

    The student folder installs anywhere (requirements.txt, the student wheel, a README);
    the zip grades with stock otter. A rebuild replaces both folders or neither.
    """
    require("grading", "rnnlab notebook build")
    from rnnlab import grading

    if handout is Handout.full:
        print(
            "rnnlab: --handout full: the hand-out holds the whole library, and with it the "
            "answers to the lab (rnnlab run, bptt, bigram_rnn, ...)",
            file=sys.stderr,
        )
    built = grading.build(directory, handout=handout.value)
    console.print(f"Student version (hand this out): {built.student}", soft_wrap=True)
    console.print(f"  rnnlab's wheel:                {built.wheel}", soft_wrap=True)
    console.print(f"Autograder version:              {built.autograder}", soft_wrap=True)
    console.print(f"Autograder zip:                  {built.zip}", soft_wrap=True)


@notebook_app.command()
def grade(
    submissions: Annotated[
        list[Path], typer.Argument(help="Submitted notebooks (.ipynb), or folders of them.")
    ],
    out: Annotated[Path, typer.Option("--out", help="CSV file for the score table.")] = Path(
        "scores.csv"
    ),
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds allowed per submission; over it scores 0.")
    ] = DEFAULT_TIMEOUT,
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
    memory: Annotated[
        int | None,
        typer.Option(
            "--memory",
            help="MiB of memory per submission (default: 4096, less on a small machine).",
        ),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option(
            "--feedback",
            help="Folder for feedback/ (one file per student) and written/ (one file per "
            "written question); default: the CSV's folder.",
        ),
    ] = None,
) -> None:
    """Grade notebooks, each in a sandbox (bubblewrap) with limits on time, memory and processes."""
    require("grading", "rnnlab notebook grade")
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rnnlab import grading
    from rnnlab.grading import sandbox
    from rnnlab.grading.feedback import students
    from rnnlab.grading.grader import limits

    paths = grading.submissions_in(submissions)
    students(paths)  # two submissions that would be one student fail here, before grading
    if out.is_dir():
        raise InvalidValueError(f"--out {out} is a folder; give the CSV file to write")
    if out.resolve() in {path.resolve() for path in paths}:
        raise InvalidValueError(f"--out {out} is one of the submissions")
    memory_bytes = memory * 2**20 if memory is not None else None
    limits(timeout, jobs or 1, memory_bytes)  # bad limits fail here, before a build
    console.print(sandbox.probe().describe(), soft_wrap=True)
    with tempfile.TemporaryDirectory(prefix="rnnlab-autograder-") as scratch:
        if autograder is None:
            autograder = grading.build(scratch).zip
        questions = grading.read_checks(autograder)
        with Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("grading", total=len(paths))
            scores = grading.grade(
                paths,
                autograder,
                timeout=timeout,
                jobs=jobs,
                memory=memory_bytes,
                on_score=lambda _: progress.advance(task),
            )
    folder = feedback if feedback is not None else out.resolve().parent
    grading.write_all(scores, questions, out, folder)
    print_summary(scores)
    print_pass_rates(scores, questions)
    console.print(f"Score table: {out}", soft_wrap=True)
    console.print(f"Feedback:    {folder / 'feedback'}", soft_wrap=True)
    console.print(f"Written answers, to grade by hand: {folder / 'written'}", soft_wrap=True)
    console.print(
        f"For you only (hidden checks' cases, pass rates): {folder / 'instructor.md'}",
        soft_wrap=True,
    )


@notebook_app.command()
def merge(
    scores: Annotated[Path, typer.Argument(help="Score table from 'rnnlab notebook grade'.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file for the final table.")],
    autograder: Annotated[
        Path | None,
        typer.Option(
            "--autograder", help="The autograder it was graded with (default: the lab's)."
        ),
    ] = None,
) -> None:
    """Add the points given by hand (the written questions' columns) to the totals."""
    from rnnlab import grading
    from rnnlab.files import write_atomic

    if out.resolve() == scores.resolve():
        raise InvalidValueError(f"--out {out} is the score table itself; give another file")
    questions = grading.read_checks(autograder) if autograder else grading.questions()
    written = write_atomic(out, grading.merge(scores, questions))
    console.print(f"Final table, written answers included: {written}", soft_wrap=True)


def print_summary(scores: list) -> None:
    """One row per submission, then the counts and the mean."""
    from rich.table import Table
    from rich.text import Text

    from rnnlab.grading.feedback import names, plural, shown_points
    from rnnlab.grading.inert import line

    heading("Scores")
    table = Table("student", "total", "status", "reason")
    for student, score in zip(names(scores), scores, strict=True):
        # Text cells with every control character escaped (names() escapes the names): a
        # reason may quote the submission's own output, never markup nor an escape sequence.
        table.add_row(
            Text(student),
            f"{shown_points(score.total)} / {shown_points(score.total_possible)}",
            score.status,
            Text(line(score.reason, 300)),
        )
    console.print(table)
    statuses = ("graded", "unreadable", "timeout")
    counts = {status: sum(s.status == status for s in scores) for status in statuses}
    failed = len(scores) - sum(counts.values())
    mean = sum(score.total for score in scores) / len(scores) if scores else 0.0
    possible = scores[0].total_possible if scores else 0.0
    console.print(
        f"{plural(len(scores), 'submission')}: {counts['graded']} graded, "
        f"{counts['unreadable']} unreadable, {counts['timeout']} timed out, {failed} failed; "
        f"mean {mean:.2f} / {possible:g}"
    )


def print_pass_rates(scores: list, questions) -> None:
    """Each check's pass rate across the class, hidden ones included."""
    from rich.table import Table

    from rnnlab.grading.feedback import pass_rates

    heading("Pass rates")
    table = Table()
    for column in ("question", "check", "hidden", "passed", "what it checks"):
        table.add_column(column, no_wrap=True)
    for name, number, hidden, message, passed, graded in pass_rates(scores, questions):
        share = f" ({100 * passed / graded:.0f}%)" if graded else ""
        what = message if len(message) <= 48 else message[:47] + "…"
        table.add_row(name, str(number), "yes" if hidden else "", f"{passed}/{graded}{share}", what)
    console.print(table)
