"""The notebook's first cell: the ``grader`` that runs the public checks in ``tests/``.

``grader.check("forward")`` runs the cases of ``tests/forward.py`` the way otter-grader
runs them (each case a function of the notebook's names, which raises when the check
fails) and says which pass, so a
student needs neither otter nor its dependencies (pandas, nbconvert, a browser for PDF
export). Under otter's grading (Gradescope, ``otter run``), where otter imported itself
before the notebook's first cell, the checks in the notebook do nothing: otter checks
every question once the whole notebook has run, on the names as they are at the end, as
``rnnlab notebook grade`` does (a check otter ran halfway would be kept instead).

It lives outside ``rnnlab.grading``, which the grading sandbox hides, because the first
cell runs there too.

A notebook opened without the rest of the lab's folder (uploaded alone to Colab, say)
would otherwise fail at its first check. Here the folder is looked at first, and what is
missing is named with what to do about it; it is only reported, never raised, so the
rest of the notebook still runs.
"""

import inspect
import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

TESTS = "tests"

NO_TESTS = (
    "The checks cannot run: there is no {tests}/ folder beside this notebook. Upload or "
    "unpack the lab's whole folder (the notebook, {tests}/, requirements.txt, wheels/) and "
    "open the notebook from inside it; see the lab's README.md."
)


def missing(folder: "str | Path" = ".") -> "str | None":
    """What to do, in one sentence, when ``folder`` lacks the lab's tests; else None."""
    tests = Path(folder) / TESTS
    return None if tests.is_dir() else NO_TESTS.format(tests=TESTS)


def start(notebook: str = "rnn_lab.ipynb", folder: "str | Path" = ".") -> object:
    """The notebook's ``grader``: it checks the questions with the tests in ``folder``.

    notebook: the notebook's name, as otter's own first cell gives it (unused here).
    """
    otter = sys.modules.get("otter")
    if otter is not None and getattr(otter.Notebook, "_grading_mode", False):
        return _CheckedAtTheEnd()
    problem = missing(folder)
    if problem:
        print(problem)
        return _WithoutTests(problem)
    return Grader(Path(folder) / TESTS)


@dataclass(frozen=True)
class Result:
    """One question's public checks: how many passed, and what each failing one said."""

    question: str
    passed: int
    failures: tuple[str, ...]

    def __repr__(self) -> str:
        if not self.failures:
            return f"{self.question} results: All test cases passed!"
        lines = [f"{self.question} results:"]
        for failure in self.failures:
            lines += ["", *(f"    {line}" for line in failure.splitlines())]
        return "\n".join(lines)


class Grader:
    """Runs the exception-based tests of a folder (``tests/<question>.py``, as otter writes
    them) on the caller's names."""

    def __init__(self, tests: Path) -> None:
        self.tests = tests

    def check(self, question: str, names: "dict | None" = None) -> Result:
        """Run ``question``'s public cases on names (default: the calling notebook's)."""
        if names is None:
            names = inspect.currentframe().f_back.f_globals
        path = self.tests / f"{question}.py"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in self.tests.glob("*.py")))
            raise ValueError(f"no check named {question!r} in {self.tests}; there are: {known}")
        cases = _cases(path)
        failures = tuple(failure for case in cases if (failure := _run_case(case, names)))
        return Result(question, len(cases) - len(failures), failures)

    def check_all(self, names: "dict | None" = None) -> "Results":
        """Every question's public cases, in the order of their names."""
        if names is None:
            names = inspect.currentframe().f_back.f_globals
        paths = sorted(self.tests.glob("*.py"))
        return Results(tuple(self.check(path.stem, names) for path in paths))


@dataclass(frozen=True)
class Results:
    """Every question's Result, shown one after the other."""

    results: tuple[Result, ...]

    def __repr__(self) -> str:
        return "\n\n".join(map(repr, self.results))


def _cases(path: Path) -> list:
    """The test file's public cases: the functions its ``@test_case`` marks, read with a
    stand-in for otter's decorator (students need no otter)."""
    cases: list = []

    def test_case(points=None, hidden=False, **_):
        def mark(function):
            if not hidden:
                cases.append(function)
            return function

        return mark

    source = path.read_text(encoding="utf-8")
    source = source.replace("from otter.test_files import test_case\n", "", 1)
    exec(compile(source, str(path), "exec"), {"test_case": test_case})
    return cases


def _run_case(case, names: dict) -> "str | None":
    """Run one case on the names; None where it passed, else the check's own message
    ("AssertionError: o1 should be ...")."""
    output = io.StringIO()
    try:
        with redirect_stdout(output), redirect_stderr(output):
            case(dict(names))
    except Exception as error:  # the student's code may raise anything
        return f"{type(error).__name__}: {error}"
    return None


class _WithoutTests:
    """A grader for a folder without the tests: each check says what to do."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def check(self, question: str) -> None:
        print(f"{question}: not checked. {self.problem}")

    def check_all(self) -> None:
        print(self.problem)


class _CheckedAtTheEnd:
    """The grader under otter's grading: otter runs every check after the last cell."""

    def check(self, question: str) -> None:
        pass

    def check_all(self) -> None:
        pass
