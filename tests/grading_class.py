"""What the grading tests share: the lab's points, and grading a class as an instructor does."""

import csv
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from rnnlab.cli import app

POINTS = {
    "forward": 4.0,
    "bigram": 3.0,
    "tiny_bigram_RNN": 4.0,
    "general_bigram_RNN": 4.0,
    "bptt": 6.0,
    "automatic_diff": 2.0,
    "bptt_1": 2.0,
    "bptt_2": 2.0,
    "bptt_3": 2.0,
}
"""Each autograded question's points, as the lab gives them: written here by hand. Each is
a column of the score table; the derivations 3.1-3.3 are graded from their answer cells."""

TESTED = (*POINTS, "bptt_general")
"""The questions with otter tests: the autograded ones and 3.5's derivation (0 points, no
column: its check gives feedback only)."""


def grade_class(
    submissions: list[Path], out: Path, autograder: Path, timeout: float, memory_mib: int
) -> Result:
    """`rnnlab notebook grade` on the submissions, two at a time, in this process."""
    arguments = ["notebook", "grade", *map(str, submissions), "--out", str(out)]
    arguments += ["--autograder", str(autograder), "--timeout", str(timeout)]
    arguments += ["--memory", str(memory_mib), "--jobs", "2"]
    return CliRunner().invoke(app, arguments)


def rows_by_student(table: Path) -> dict[str, dict]:
    """The score table's rows by submission name, less its two-character prefix (c_, d_)."""
    with open(table, newline="") as stream:
        return {Path(row["submission"]).stem[2:]: row for row in csv.DictReader(stream)}


def points(row: dict, names=POINTS) -> dict[str, float]:
    """A row's points for each question in ``names``."""
    return {name: float(row[name]) for name in names}
