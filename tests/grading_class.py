"""What the grading tests share: the lab's points, and grading a class as an instructor does."""

import contextlib
import csv
import os
from collections.abc import Iterable
from pathlib import Path

import psutil
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


def left_running(processes: Iterable[psutil.Process]) -> list[dict]:
    """The processes (found by ``psutil.process_iter`` with ``info``) that this test's own
    grade left running: those that ended since, zombies (the host's init reaps them) and
    those below another pytest-xdist worker are left out. `make test` runs the test files
    in parallel, so another file's class may be in its sandboxes at the same moment; a
    process of this test's grade is never below another worker, and one with no grader
    above it counts for every test."""
    found = list(processes)
    others = _below_other_workers()  # after the search: it holds whatever that found
    left = []
    for process in found:
        with contextlib.suppress(psutil.NoSuchProcess):
            if process.pid not in others and process.status() != psutil.STATUS_ZOMBIE:
                left.append(process.info)
    return left


def _below_other_workers() -> set[int]:
    """The process IDs below the other workers of this pytest-xdist run; none in a serial run."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return set()
    this = psutil.Process()
    below: set[int] = set()
    for worker in this.parent().children():
        if worker.pid != this.pid:
            with contextlib.suppress(psutil.NoSuchProcess):
                below.update(process.pid for process in worker.children(recursive=True))
    return below
