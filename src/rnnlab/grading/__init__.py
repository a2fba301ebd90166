"""The lab as an autograded notebook (SPEC §8): build the hand-out, grade submissions.

Its parts: ``build`` (otter assign: student and autograder versions), ``checks`` (the
notebook's checks, one source for otter's tests and for the grader), ``plain`` (the
plain data a check's value leaves a notebook as), ``sandbox`` (bubblewrap and a cgroup
around each notebook), ``worker`` (what runs in the sandbox), ``grade`` (scores, decided
outside the sandbox) and ``feedback`` (score table, feedback files, written answers).
"""

from rnnlab.grading.build import MASTER, Build, autograder_zip, build
from rnnlab.grading.checks import Check, Question, questions
from rnnlab.grading.feedback import merge, write_all
from rnnlab.grading.grade import DEFAULT_TIMEOUT, Score, grade, read_checks, submissions_in
from rnnlab.grading.sandbox import NoSandboxError

__all__ = [
    "DEFAULT_TIMEOUT",
    "MASTER",
    "Build",
    "Check",
    "NoSandboxError",
    "Question",
    "Score",
    "autograder_zip",
    "build",
    "grade",
    "merge",
    "questions",
    "read_checks",
    "submissions_in",
    "write_all",
]
