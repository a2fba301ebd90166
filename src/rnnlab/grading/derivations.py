"""The derivations of section 3 graded from their Markdown answer cells, by the rule of
``rnnlab.student.derivations`` (which the notebook's check cells and otter's test cases
use in the student's kernel):

- rnnlab's own grader reads the answers as text (``Score.written``, read by the worker
  inside the sandbox) and scores them here, outside it (``grade_written``);
- otter's test cells, one per share (``otter_test_cell``), call
  ``rnnlab.student.derivations.otter_case`` in the student's kernel.

This module imports no torch.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from rnnlab.errors import InvalidValueError
from rnnlab.model.formula_check import Verdict
from rnnlab.student.derivations import (
    BEGIN,
    DERIVATIONS,
    END,
    NOTEBOOK_NAME,
    PLACEHOLDER,
    RULE,
    TAG,
    answer_in,
    cases,
    check_derivation,
    formula_in,
    judge,
    otter_case,
    read_answer,
    shares,
)

__all__ = [
    "BEGIN",
    "DERIVATIONS",
    "END",
    "NOTEBOOK_NAME",
    "PLACEHOLDER",
    "RULE",
    "TAG",
    "Graded",
    "answer_cells",
    "answer_in",
    "cases",
    "check_derivation",
    "credit",
    "formula_in",
    "grade_answer",
    "grade_questions",
    "grade_written",
    "judge",
    "otter_case",
    "otter_test_cell",
    "points_for",
    "read_answer",
    "shares",
]


def credit(verdict: Verdict, N: "int | None") -> float:
    """The fraction of a derivation's points an answer earns, in [0, 1], by RULE."""
    return shares(verdict, N) / cases(N)


def grade_answer(markdown: str, N: "int | None") -> tuple[float, str]:
    """A Markdown answer's fraction of the points and the message for the student."""
    verdict = judge(markdown, N)
    return credit(verdict, N), verdict.message


def points_for(earned: int, total: int, points: float) -> float:
    """Points for ``earned`` of ``total`` shares, added up as otter adds the points of its
    test cases, to the last bit (six cases of 2/6 make 1.9999999999999998)."""
    return sum([points / total] * earned, 0.0)


@dataclass(frozen=True)
class Graded:
    """One derivation graded from its answer text."""

    question: str
    N: "int | None"
    shares: int
    cases: int
    points: float
    possible: float
    message: str

    def line(self) -> str:
        """The feedback line: the question, its points and the verdict."""
        what = "any N" if self.N is None else f"N = {self.N}"
        score = (
            "optional, no points"
            if self.possible == 0
            else f"{self.points:.4g} of {self.possible:g} points "
            f"({self.shares} of {self.cases} shares)"
        )
        return f"{self.question} (dL/dU for {what}): {score}. {self.message}"


def grade_written(
    written: Sequence[str], names: Sequence[str], points: "dict[str, float]"
) -> dict[str, Graded]:
    """The derivations among a Score's written answers, graded.

    ``written``: the answer texts, in the order of the questions ``names`` (every question
    with an answer cell, derivations and hand-graded ones, in notebook order);
    ``points``: each derivation's points (3.5's may be absent: 0). Returns one Graded per
    derivation named, in order.
    """
    if len(written) != len(names):
        raise InvalidValueError(f"{len(written)} written answers for {len(names)} questions")
    graded = {}
    for text, name in zip(written, names, strict=True):
        if name not in DERIVATIONS:
            continue
        N, possible = DERIVATIONS[name], float(points.get(name, 0.0))
        verdict = judge(text, N)
        earned, total = shares(verdict, N), cases(N)
        score = points_for(earned, total, possible)
        graded[name] = Graded(name, N, earned, total, score, possible, verdict.message)
    return graded


def answer_cells(questions: Sequence) -> list[str]:
    """The names of the questions whose answer cells the worker reads (``Score.written``),
    in notebook order: the hand-graded (``written``) ones and the derivations."""
    return [q.name for q in questions if q.written or q.name in DERIVATIONS]


def grade_questions(questions: Sequence, written: Sequence[str]) -> dict[str, Graded]:
    """The derivations of ``questions`` (checks.Question: name, points, written) graded from
    a Score's written answers, which the worker read for ``answer_cells(questions)``."""
    points = {q.name: q.points for q in questions if q.name in DERIVATIONS}
    return grade_written(written, answer_cells(questions), points)


def otter_test_cell(question: str, share: int) -> str:
    """The source of the master notebook's test cell for one share of a derivation: otter's
    exception-based test, a function of the notebook's names that reads the answer cell."""
    return "\n".join(
        [
            f"def test_{question}_share_{share}(env):",
            "    from rnnlab.student.derivations import otter_case",
            "",
            f"    otter_case({question!r}, {share})",
        ]
    )
