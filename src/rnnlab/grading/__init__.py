"""The lab as an autograded notebook: build the hand-out, grade submissions (SPEC §8)."""

from rnnlab.grading.build import MASTER, Build, autograder_zip, build
from rnnlab.grading.grade import (
    DEFAULT_TIMEOUT,
    Question,
    Score,
    check_submissions,
    grade,
    questions,
    score_table,
    write_scores,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "MASTER",
    "Build",
    "Question",
    "Score",
    "autograder_zip",
    "build",
    "check_submissions",
    "grade",
    "questions",
    "score_table",
    "write_scores",
]
