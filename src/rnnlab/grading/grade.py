"""Grading notebooks locally (SPEC §8): each submission in a worker process of its own.

``grade(submissions, autograder)`` grades notebooks without Docker. Each submission gets
its own scratch folder and its own worker process (``rnnlab/grading/worker.py``), and
the worker is killed, kernel included, when the time limit runs out. Grading is done in
two phases so that the hidden tests are never within reach of the notebook's own code:

1. The worker runs the submission in a fresh Jupyter kernel, with the scratch folder as
   working directory and no tests anywhere in it. A cell appended after the student's
   cells saves the kernel's variables with dill (tensors detached: autograd graphs cannot
   leave a process). Whatever the notebook deletes, reads or writes there is its own copy.
2. Once the kernel is gone (and whatever it started in the background: the worker
   adopts orphans and kills them), the worker reads the tests from the autograder zip into
   memory (nothing is written to disk), loads the saved variables and runs otter's test
   cases on them.
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rnnlab.errors import InvalidValueError
from rnnlab.files import write_atomic
from rnnlab.grading import worker as _grading_worker
from rnnlab.grading.build import autograder_zip

DEFAULT_TIMEOUT = 120.0
"""Seconds one submission may take, running its notebook and its tests together."""


@dataclass(frozen=True)
class Question:
    """An autograded question: its name (as in ``grader.check(name)``) and its points."""

    name: str
    points: float


@dataclass(frozen=True)
class Score:
    """One submission's grade.

    ``points`` maps every autograded question to the points earned (0 for a question whose
    tests failed or could not run). ``status`` is "graded", "timeout" (killed after the
    time limit; every question 0) or "failed" (the grader could not run it; every
    question 0); ``reason`` says why in words, and what went wrong while grading.
    """

    submission: Path
    points: dict[str, float]
    possible: dict[str, float]
    status: str
    reason: str = ""
    seconds: float = field(default=0.0, compare=False)

    @property
    def total(self) -> float:
        return sum(self.points.values())

    @property
    def total_possible(self) -> float:
        return sum(self.possible.values())


def _read_tests(autograder: Path) -> list:
    try:
        return _grading_worker.read_tests(autograder)
    except ValueError as error:
        raise InvalidValueError(str(error)) from None


def questions(autograder: "str | os.PathLike[str]") -> list[Question]:
    """The autograded questions of an autograder zip, by name."""
    return [Question(test.name, float(test.possible)) for test in _read_tests(Path(autograder))]


def check_submissions(submissions: Iterable["str | os.PathLike[str]"]) -> list[Path]:
    """The submissions as paths, each an existing .ipynb file; else InvalidValueError."""
    paths = [Path(path) for path in submissions]
    for path in paths:
        if not path.is_file():
            raise InvalidValueError(f"submission {path} does not exist")
        if path.suffix != ".ipynb":
            raise InvalidValueError(f"submission {path} is not a notebook, expected a .ipynb file")
    return paths


def grade(
    submissions: Iterable["str | os.PathLike[str]"],
    autograder: "str | os.PathLike[str]",
    timeout: float = DEFAULT_TIMEOUT,
    jobs: "int | None" = None,
    on_score: "Callable[[Score], None] | None" = None,
) -> list[Score]:
    """Grade notebooks against an autograder zip, ``jobs`` at a time (default: every core).

    Each submission runs in its own worker process and scratch folder, and gets at most
    ``timeout`` seconds; one that overruns is killed and scores 0. ``on_score`` is called
    with each Score as it is ready (from a worker thread). Returns the Scores in the
    order of ``submissions``.
    """
    submissions = check_submissions(submissions)
    autograder = autograder_zip(autograder)
    if not timeout > 0:
        raise InvalidValueError(f"timeout {timeout} must be positive")
    if jobs is not None and jobs < 1:
        raise InvalidValueError(f"jobs {jobs} must be at least 1")
    possible = {question.name: question.points for question in questions(autograder)}

    def grade_and_report(path: Path) -> Score:
        score = _grade_one(path, autograder, possible, timeout)
        if on_score is not None:
            on_score(score)
        return score

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        return list(pool.map(grade_and_report, submissions))


def _grade_one(
    submission: Path, autograder: Path, possible: dict[str, float], timeout: float
) -> Score:
    """Grade one notebook in a worker process of its own, in a scratch folder of its own."""
    zero = dict.fromkeys(possible, 0.0)
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="rnnlab-grade-"))
    try:
        work = scratch / "work"
        work.mkdir()
        shutil.copy(submission, work / _grading_worker.NOTEBOOK_NAME)
        _write_kernel_spec(scratch / "jupyter")
        environment = {
            **os.environ,
            "JUPYTER_PATH": str(scratch / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
            # A fresh IPython profile: no user start-up scripts, no shared history file.
            "IPYTHONDIR": str(scratch / "ipython"),
            "MPLBACKEND": "Agg",
            # One thread per worker: the workers already fill the cores.
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        order = {
            "scratch": str(scratch),
            "autograder": str(autograder.resolve()),
            "timeout": timeout,
        }
        with open(scratch / "worker.log", "wb") as log:
            # -P: the script's folder, rnnlab's own, must not shadow other modules.
            worker = subprocess.Popen(
                [sys.executable, "-P", _grading_worker.__file__],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=scratch,
                start_new_session=True,
            )
            try:
                # The order goes through stdin: the kernel could read the worker's command line.
                worker.communicate(json.dumps(order).encode(), timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_tree(worker.pid)
                worker.wait()
                return Score(
                    submission,
                    zero,
                    possible,
                    "timeout",
                    f"killed after the time limit of {timeout:g} s",
                    time.monotonic() - started,
                )
        seconds = time.monotonic() - started
        result_path = scratch / "result.json"
        if worker.returncode != 0 or not result_path.is_file():
            return Score(
                submission,
                zero,
                possible,
                "failed",
                f"grader exited with status {worker.returncode}: "
                + _last_line(scratch / "worker.log"),
                seconds,
            )
        result = json.loads(result_path.read_text())
        points = {name: float(result["points"].get(name, 0.0)) for name in possible}
        return Score(submission, points, possible, "graded", result["reason"], seconds)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_kernel_spec(jupyter: Path) -> None:
    """A kernel spec that runs this very Python, so the kernel imports the same rnnlab and torch."""
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "rnnlab grader",
        "language": "python",
    }
    folder = jupyter / "kernels" / _grading_worker.KERNEL_NAME
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps(spec))


def _kill_tree(pid: int) -> None:
    """Kill a worker, every process under it and their process groups.

    The kernel is the worker's child but runs in a session (and process group) of its own,
    so killing the worker's group alone would leave it running. The process tree, unlike
    any file in the scratch folder, is not something the notebook's code can forge.
    """
    import psutil

    try:
        worker = psutil.Process(pid)
        _grading_worker.kill([worker, *worker.children(recursive=True)])
    except psutil.NoSuchProcess:
        pass


def _last_line(path: Path) -> str:
    text = path.read_text(errors="replace") if path.is_file() else ""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def score_table(scores: Sequence[Score]) -> str:
    """The scores as CSV: submission, one column per question, total, possible, status, reason."""
    names = list(scores[0].possible) if scores else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission", *names, "total", "possible", "status", "reason"])
    for score in scores:
        writer.writerow(
            [
                str(score.submission),
                *(f"{score.points[name]:g}" for name in names),
                f"{score.total:g}",
                f"{score.total_possible:g}",
                score.status,
                score.reason,
            ]
        )
    return out.getvalue()


def write_scores(path: "str | os.PathLike[str]", scores: Sequence[Score]) -> Path:
    """Write ``score_table(scores)`` to ``path`` atomically."""
    return write_atomic(path, score_table(scores))
