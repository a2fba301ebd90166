"""The lab as an autograded notebook (SPEC §8): build the hand-out, grade submissions.

Its parts: ``build`` (otter assign: student and autograder versions), ``checks`` (the
notebook's checks, one source for otter's tests and for the grader), ``plain`` (the
plain data a check's value leaves a notebook as), ``sandbox`` (bubblewrap and a cgroup
around each notebook), ``worker`` (what runs in the sandbox), ``grade`` (scores, decided
outside the sandbox) and ``feedback`` (score table, feedback files, written answers).
"""

from rnnlab.lazy import load_on_first_use

# Where each public name lives. They load on first use, so that a notebook's test cells,
# which import only ``rnnlab.grading.plain``, also run from the hand-out wheel, which
# holds no checks.py and no master notebook (see ``wheel.HELD_BACK``).
_HOMES = {
    "MASTER": "build",
    "Build": "build",
    "autograder_zip": "build",
    "build": "build",
    "Check": "checks",
    "Question": "checks",
    "questions": "checks",
    "merge": "feedback",
    "write_all": "feedback",
    "DEFAULT_TIMEOUT": "grade",
    "Score": "grade",
    "grade": "grade",
    "read_checks": "grade",
    "submissions_in": "grade",
    "NoSandboxError": "sandbox",
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = load_on_first_use(
    __name__, {n: f"rnnlab.grading.{m}" for n, m in _HOMES.items()}
)
