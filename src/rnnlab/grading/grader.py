"""Grading notebooks locally: each submission in a sandbox of its own.

``grade(submissions, autograder)`` reads the checks (``checks.json`` beside the
autograder zip) as data, runs each notebook in a sandbox (``grading/sandbox.py``) with
only the checks' expressions, and compares the plain values that come out with the
expected values, here, outside. The scores live in this process's memory; the caller
writes the score table and feedback once every sandbox has gone (``feedback.py``).
"""

import json
import os
import secrets
import shutil
import stat
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rnnlab.errors import InvalidValueError
from rnnlab.grading import answer, derivations, sandbox
from rnnlab.grading.assignment import CHECKS_JSON, autograder_zip
from rnnlab.grading.checks import CHECKS_FORMAT, Check, Question
from rnnlab.grading.plain import close, is_plain, verdict
from rnnlab.grading.worker import UNREADABLE
from rnnlab.validation import real_number, whole_number

DEFAULT_TIMEOUT = 120.0
"""Seconds one submission may take, running its notebook and its checks together."""

MAX_TIMEOUT = 24 * 3600.0
DEFAULT_MEMORY = 4 * 2**30
"""Bytes of memory one submission may use (its kernel, the client and what they start)."""

MIN_MEMORY = 256 * 2**20
"""Less than this and not even a kernel starts."""

MAX_NOTEBOOK_BYTES = 16 * 2**20
"""The largest notebook graded: read as bytes by the grader (never parsed here: the
worker parses it in its sandbox); the lab's solution with its outputs is under 1 MiB."""

NOTEBOOK_NAME = "rnn_lab.ipynb"  # otter's init cell opens the notebook by the master's name


@dataclass(frozen=True)
class CheckResult:
    """One check on one submission: passed or not, and what the sandbox said it was."""

    question: str
    check: Check
    passed: bool
    detail: str  # "got …, expected …" (or the error it raised), in words


@dataclass(frozen=True)
class Score:
    """One submission's grade.

    ``points`` maps every autograded question to the points earned. ``status`` is
    "graded", "unreadable" (not a notebook file: not JSON, a link, too large; every
    question 0), "timeout" (stopped at the time limit; every question 0) or "failed"
    (ran out of memory, or could not be run; every question 0); ``reason`` says why.
    """

    submission: Path
    points: dict[str, float]
    possible: dict[str, float]
    status: str
    reason: str = ""
    results: tuple[CheckResult, ...] = ()
    seconds: float = field(default=0.0, compare=False)
    written: tuple[str, ...] = ()
    """The answer cells' texts, as the worker read them: of the questions
    ``derivations.answer_cells`` names (the written ones and the derivations), in order."""
    derived: "dict[str, derivations.Graded]" = field(default_factory=dict, compare=False)
    """The derivations graded from those texts, once (a graded notebook's only): the
    feedback and Gradescope's results show these verdicts."""

    @property
    def total(self) -> float:
        return sum(self.points.values())

    @property
    def total_possible(self) -> float:
        return sum(self.possible.values())


def read_checks(autograder: "str | os.PathLike[str]") -> tuple[Question, ...]:
    """The questions and checks of a built autograder: its checks.json, read as data.

    ``autograder``: the zip or the folder 'rnnlab notebook build' wrote. The zip must
    open and hold one test file per autograded question of checks.json.
    """
    zip_path = autograder_zip(autograder)
    path = zip_path.parent / CHECKS_JSON
    try:
        questions = questions_from_json(path.read_bytes()[: 64 * 2**20])
    except FileNotFoundError:
        raise InvalidValueError(
            f"no {CHECKS_JSON} beside {zip_path}: rebuild with 'rnnlab notebook build'"
        ) from None
    except InvalidValueError as error:
        raise InvalidValueError(f"{path} is not a checks file: {error}") from None
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = archive.namelist()
            broken = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise InvalidValueError(f"autograder zip {zip_path} is damaged: {error}") from None
    if broken is not None:
        raise InvalidValueError(f"autograder zip {zip_path} is damaged: {broken} is corrupt")
    tests = sorted(n[len("tests/") : -len(".py")] for n in names if n.startswith("tests/"))
    autograded = sorted(question.name for question in questions if not question.written)
    if tests != autograded:
        raise InvalidValueError(
            f"autograder zip {zip_path} tests {tests}, but {path} checks {autograded}"
        )
    return questions


def questions_from_json(data: bytes) -> tuple[Question, ...]:
    """The questions and checks of a checks.json file's bytes, read as data;
    InvalidValueError if they are not such a file."""
    try:
        data = json.loads(data)
        questions = tuple(_question(entry) for entry in data["questions"])
        if data["format"] != CHECKS_FORMAT:
            raise ValueError(f"format {data['format']!r}, expected {CHECKS_FORMAT}")
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidValueError(str(error)) from None
    return questions


def _question(entry: dict) -> Question:
    checks = tuple(
        Check(
            _text(check["expression"]),
            _plain(check["expected"]),
            _text(check["message"]),
            hidden=_bool(check["hidden"]),
            tolerance=real_number("tolerance", check["tolerance"], least=0),
            atol=real_number("atol", check["atol"], least=0),
        )
        for check in entry["checks"]
    )
    points = real_number("points", entry["points"], least=0)
    return Question(_text(entry["name"]), points, checks, written=_bool(entry["written"]))


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{value!r} is not true or false")
    return value


def _plain(value: object) -> object:
    if not is_plain(value):
        raise TypeError(f"{str(value)[:80]} is not plain data")
    return value


def submissions_in(paths: Iterable["str | os.PathLike[str]"]) -> list[Path]:
    """The notebooks named, folders replaced by the .ipynb files in them (not checkpoints)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
            if not inside:
                raise InvalidValueError(f"folder {path} holds no .ipynb notebook")
            found.extend(inside)
        elif not (path.exists() or path.is_symlink()):
            raise InvalidValueError(f"submission {path} does not exist")
        elif path.suffix != ".ipynb":
            raise InvalidValueError(f"submission {path} is not a notebook, expected a .ipynb file")
        else:
            found.append(path)
    return found


def limits(timeout: object, jobs: int, memory: object = None) -> sandbox.Limits:
    """Each sandbox's limits: ``timeout`` seconds, ``memory`` bytes (default: 4 GiB, or
    less where the machine's memory shared among ``jobs`` sandboxes leaves less)."""
    seconds = real_number("timeout", timeout, positive=True)
    if seconds > MAX_TIMEOUT:
        raise InvalidValueError(f"timeout is {seconds:g} s, expected at most {MAX_TIMEOUT:g} s")
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if memory is None:
        memory = min(DEFAULT_MEMORY, total // (2 * jobs))
    memory = whole_number("memory", memory, least=MIN_MEMORY, most=total)
    return sandbox.Limits(seconds=seconds, memory=memory)


def grade(
    submissions: Iterable["str | os.PathLike[str]"],
    autograder: "str | os.PathLike[str]",
    timeout: float = DEFAULT_TIMEOUT,
    jobs: "int | None" = None,
    on_score: "Callable[[Score], None] | None" = None,
    memory: "int | None" = None,
) -> list[Score]:
    """Grade notebooks (or folders of them) against a built autograder, ``jobs`` at a time.

    Each submission runs in its own sandbox for at most ``timeout`` seconds. ``on_score``
    is called with each Score as it is ready (from a worker thread). ``memory``: bytes
    per sandbox (default: see ``limits``). Returns the Scores
    in the order of the submissions. Raises NoSandboxError where no sandbox can be made.
    Interrupted (KeyboardInterrupt), it ends the sandboxes at work within a second,
    grades nothing more, and lets the interruption through.
    """
    paths = submissions_in(submissions)
    jobs = whole_number("jobs", jobs if jobs is not None else os.cpu_count() or 1, least=1)
    bounds = limits(timeout, jobs, memory)
    questions = read_checks(autograder)
    box = sandbox.probe()

    stop = threading.Event()

    def grade_and_report(path: Path) -> Score:
        score = grade_one(box, path, questions, bounds, stop)
        if on_score is not None and not stop.is_set():
            on_score(score)
        return score

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(grade_and_report, path) for path in paths]
        try:
            return [future.result() for future in futures]
        except BaseException:
            # Ctrl-C or SIGTERM (or a bug): end the sandboxes that run, start no more.
            stop.set()
            pool.shutdown(cancel_futures=True)
            raise


def grade_one(
    box: sandbox.Sandbox,
    submission: Path,
    questions: Sequence[Question],
    bounds: sandbox.Limits,
    stop: "threading.Event | None" = None,
) -> Score:
    """Grade one notebook in a sandbox of its own; ``stop``, once set, ends it early."""
    autograded = [question for question in questions if not question.written]
    possible = {question.name: question.points for question in autograded}
    checks = [(question, check) for question in autograded for check in question.checks]
    try:
        notebook = read_submission(submission)
    except (OSError, ValueError) as error:  # one unreadable file fails itself, not the class
        return _zero(submission, possible, "unreadable", f"cannot be read: {error}")
    written = len(derivations.answer_cells(questions))
    scratch = Path(tempfile.mkdtemp(prefix="rnnlab-grade-"))
    try:
        (scratch / "work").mkdir()
        (scratch / "work" / NOTEBOOK_NAME).write_bytes(notebook)
        nonce = secrets.token_hex(16)  # marks the worker's answer
        order = {
            "nonce": nonce,
            "notebook": NOTEBOOK_NAME,
            "expressions": [check.expression for _, check in checks],
            "timeout": bounds.seconds,
            "written": written,
        }
        outcome = sandbox.run(box, scratch / "work", order, bounds, stop=stop)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    answers = answer.written(outcome.stdout, nonce, written)
    if outcome.status != "ran":
        return _zero(submission, possible, outcome.status, outcome.reason, outcome.seconds, answers)
    reply = answer.parse(outcome.stdout, len(checks), nonce)
    if reply is None:
        reason = "the sandbox gave no answer"
        return _zero(submission, possible, "failed", reason, outcome.seconds, answers)
    problem, values = reply
    if problem.startswith(UNREADABLE):  # the worker could not read it as a notebook
        return _zero(submission, possible, "unreadable", problem, outcome.seconds, answers)
    results = tuple(
        _result(question, check, value)
        for (question, check), value in zip(checks, values, strict=True)
    )
    points = dict.fromkeys(possible, 0.0)
    for question, result in zip((q for q, _ in checks), results, strict=True):
        if result.passed:
            points[question.name] += question.points_per_check
    graded = derivations.grade_questions(questions, answers)
    points.update((name, graded[name].points) for name in points if name in graded)
    return Score(
        submission, points, possible, "graded", problem, results, outcome.seconds, answers, graded
    )


def read_submission(path: Path) -> bytes:
    """A submitted notebook's bytes. Raises ValueError unless it is a regular file of at
    most MAX_NOTEBOOK_BYTES, not a symbolic link: a student who hands in a link to the
    instructor's solution, or to /dev/zero, gets nothing from it."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if path.is_symlink():
            raise ValueError("it is a symbolic link, not a notebook file") from None
        raise ValueError(error.strerror) from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # a folder, a pipe, a device
        os.close(descriptor)
        raise ValueError("it is not a regular file")
    with open(descriptor, "rb") as stream:
        data = stream.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise ValueError(f"the notebook is larger than {MAX_NOTEBOOK_BYTES / 2**20:g} MiB")
    return data


def _zero(
    submission: Path,
    possible: dict[str, float],
    status: str,
    reason: str,
    seconds: float = 0.0,
    written: tuple[str, ...] = (),
) -> Score:
    zeros = dict.fromkeys(possible, 0.0)
    return Score(submission, zeros, possible, status, reason, (), seconds, written)


def _result(question: Question, check: Check, result: dict) -> CheckResult:
    if "error" in result:
        return CheckResult(question.name, check, False, result["error"][:300])
    value = result["value"]
    passed = close(value, check.expected, check.tolerance, check.atol)
    return CheckResult(question.name, check, passed, verdict(value, check.expected))
