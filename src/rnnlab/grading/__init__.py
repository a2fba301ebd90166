"""The lab as an autograded notebook: build the hand-out, grade submissions.

Its parts: ``assignment`` (otter assign: student and autograder versions), ``checks`` (the
notebook's checks, one source for otter's tests and for the grader), ``plain`` (the
plain data a check's value leaves a notebook as), ``sandbox`` (bubblewrap and a cgroup
around each notebook), ``worker`` (what runs in the sandbox), ``grader`` (scores, decided
outside the sandbox) and ``feedback`` (score table, feedback files, written answers).
"""

from rnnlab.lazy import on_first_use

# Where each public name lives. They load on first use (a module ``__getattr__``), so that
# a notebook's test cells, which import only ``rnnlab.grading.plain``, also run from the
# hand-out wheel, which holds no checks.py and no master notebook (``wheel.HELD_BACK``).
_HOMES = {
    "MASTER": "assignment",
    "Build": "assignment",
    "autograder_zip": "assignment",
    "build": "assignment",
    "Check": "checks",
    "Question": "checks",
    "questions": "checks",
    "merge": "feedback",
    "write_all": "feedback",
    "DEFAULT_TIMEOUT": "grader",
    "Score": "grader",
    "grade": "grader",
    "read_checks": "grader",
    "submissions_in": "grader",
    "NoSandboxError": "sandbox",
}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = on_first_use(__name__, {n: f"{__name__}.{m}" for n, m in _HOMES.items()})
