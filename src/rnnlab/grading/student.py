"""The notebook's first cell: otter's ``grader``, and one sentence where the folder is incomplete.

A notebook opened without the rest of the lab's folder (uploaded alone to Colab, say)
would otherwise fail at its first check with otter's ``Test forward not found``. Here the
folder is looked at first, and what is missing is named with what to do about it. A
missing folder is only reported, never raised: the rest of the notebook still runs.
"""

from pathlib import Path

NOTEBOOK = "rnn_lab.ipynb"
TESTS = "tests"

NO_TESTS = (
    "The checks cannot run: there is no {tests}/ folder beside this notebook. Upload or "
    "unpack the lab's whole folder (the notebook, {tests}/, requirements.txt, wheels/) and "
    "open the notebook from inside it; see the lab's README.md."
)
NO_OTTER = (
    "otter-grader, which runs the checks, is not installed here: in the lab's folder run "
    "`pip install -r requirements.txt` (see README.md), then restart the kernel."
)


def missing(folder: "str | Path" = ".") -> "str | None":
    """What to do, in one sentence, when ``folder`` lacks the lab's tests; else None."""
    tests = Path(folder) / TESTS
    return None if tests.is_dir() else NO_TESTS.format(tests=TESTS)


def start(notebook: str = NOTEBOOK, folder: "str | Path" = ".") -> object:
    """otter's ``grader`` for the notebook; where ``folder`` has no tests, one that says so.

    Without the tests otter cannot check anything (on Colab it refuses to start), so the
    grader returned then prints NO_TESTS at each check instead of raising. Under otter's
    grading (Gradescope, ``otter run``) the checks in the notebook do nothing: otter checks
    every question once the whole notebook has run, on the names as they are at the end,
    as ``rnnlab notebook grade`` does (a check otter ran halfway would be kept instead).
    """
    try:
        import otter
    except ModuleNotFoundError:
        raise SystemExit(NO_OTTER) from None
    if getattr(otter.Notebook, "_grading_mode", False):
        return _CheckedAtTheEnd()
    problem = missing(folder)
    if problem:
        print(problem)
        return _WithoutTests(problem)
    # otter reads the notebook where it finds it; elsewhere (Colab keeps it in Drive) it
    # looks for one itself and goes on without.
    return otter.Notebook(notebook if (Path(folder) / notebook).is_file() else None)


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
