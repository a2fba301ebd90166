"""The notebook's first cell: otter's ``grader``, and one sentence where the folder is incomplete.

A notebook opened without the rest of the lab's folder (uploaded alone to Colab, say)
would otherwise fail at its first check with otter's ``Test forward not found``. Here the
folder is looked at first, and what is missing is named with what to do about it. The
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
    """otter's ``grader`` for the notebook, after saying what is missing in ``folder``.

    Under otter's grading (Gradescope, ``otter run``) the tests are otter's own and the
    folder is not looked at.
    """
    try:
        import otter
    except ModuleNotFoundError:
        raise SystemExit(NO_OTTER) from None
    grading = getattr(otter.Notebook, "_grading_mode", False)
    problem = None if grading else missing(folder)
    if problem:
        print(problem)
    return otter.Notebook(notebook)
