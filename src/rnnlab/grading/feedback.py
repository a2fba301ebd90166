"""What grading writes: the score table, each student's feedback, the written answers.

All of it is made from Scores held in the grader's memory, after every sandbox has gone,
and written atomically. The written answers are read from the submitted notebooks as
data (JSON), never run. ``merge`` adds the points an instructor gave by hand to the
score table's blank columns for the written questions.
"""

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from rnnlab.errors import InvalidValueError
from rnnlab.files import write_atomic
from rnnlab.grading import inert
from rnnlab.grading.checks import Question
from rnnlab.grading.grade import Score


def plural(count: int, word: str) -> str:
    """ "1 submission", "2 submissions"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def plural_points(points: float) -> str:
    """ "1 point", "2.5 points"."""
    return f"{points:g} point" if points == 1 else f"{points:g} points"


def shown(path: "Path | str") -> str:
    """A file's name as text that can be written and shown: a name that is not UTF-8
    (b"\\xff.ipynb", from a student's zip) shows its odd bytes as escapes instead of
    failing every write, and its control and bidi characters as escapes too."""
    return inert.escaped(os.fsencode(path).decode("utf-8", "backslashreplace"))


def names(scores: Sequence[Score]) -> list[str]:
    """A file name for each submission: its stem, made unique with a number if need be
    (a student's "a-2.ipynb" takes no other student's "a" twice over)."""
    taken: set[str] = set()
    result = []
    for score in scores:
        stem, number = shown(score.submission.stem), 1
        name = stem
        while name in taken:
            number += 1
            name = f"{stem}-{number}"
        taken.add(name)
        result.append(name)
    return result


def _cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text, on one line with its control characters
    escaped: one that starts like a formula (a student's file named
    "=HYPERLINK(...).ipynb") gets a leading apostrophe."""
    text = inert.line(text)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _one_line(text: str) -> str:
    """Student-made text (an error's message, a file name) as one Markdown code span: it
    cannot start a heading or a line of its own, nor carry a link or an image."""
    return inert.code_span(text)


def score_table(scores: Sequence[Score], questions: Sequence[Question]) -> str:
    """CSV: submission, a column per question (written ones blank, for points given by
    hand), total and possible (autograded), status, reason."""
    autograded = [q.name for q in questions if not q.written]
    written = [q.name for q in questions if q.written]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission", *autograded, *written, "total", "possible", "status", "reason"])
    for score in scores:
        writer.writerow(
            [
                _cell(shown(score.submission)),
                *(f"{score.points[name]:g}" for name in autograded),
                *([""] * len(written)),
                f"{score.total:g}",
                f"{score.total_possible:g}",
                score.status,
                _cell(score.reason),
            ]
        )
    return out.getvalue()


def feedback_text(score: Score, questions: Sequence[Question]) -> str:
    """A student's feedback (Markdown): points per question, the message of each failed
    public check, "hidden test failed" for each failed hidden one."""
    lines = [
        f"# Feedback on {_one_line(shown(score.submission.name))}",
        "",
        f"Autograded questions: {score.total:g} / {plural_points(score.total_possible)}.",
    ]
    written = [q for q in questions if q.written]
    if written:
        hand = sum(q.points for q in written)
        lines.append(f"Written answers ({plural_points(hand)}) are graded by hand.")
    if score.status != "graded":
        lines += ["", f"Your notebook could not be graded: {_one_line(score.reason)}."]
        lines.append("Every autograded question scores 0.")
    elif score.reason:
        lines += ["", f"While grading: {_one_line(score.reason)}."]
    for question in questions:
        if question.written:
            continue
        lines += ["", f"## {question.name}: {score.points[question.name]:g} / {question.points:g}"]
        failed = [r for r in score.results if r.question == question.name and not r.passed]
        for result in failed:
            if result.check.hidden:
                lines.append("- hidden test failed")
            else:
                lines.append(f"- {result.check.message} ({_one_line(result.detail)})")
        if score.status == "graded" and not failed:
            lines.append("- all checks passed")
    return "\n".join(lines) + "\n"


def answers_text(question: Question, scores: Sequence[Score], answers: list[str]) -> str:
    """Every student's answer to one written question (Markdown), for grading by hand."""
    lines = [
        f"# {question.name} ({plural_points(question.points)}): every answer",
        "",
        f"Give points in the score table's column {question.name}, then run "
        "'rnnlab notebook merge'.",
    ]
    for name, answer in zip(names(scores), answers, strict=True):
        lines += ["", f"## {_one_line(name)}", "", _quoted(answer) if answer else "_(no answer)_"]
    return "\n".join(lines) + "\n"


def _quoted(answer: str) -> str:
    """A student's answer as a fenced block of text: a heading in it cannot pass for
    another student's section, and no image or link in it is rendered."""
    return inert.code_block(answer)


def write_all(
    scores: Sequence[Score], questions: Sequence[Question], table: Path, folder: Path
) -> None:
    """Write the feedback files (folder/feedback), the written answers (folder/written)
    and last the score table, each atomically."""
    for name, score in zip(names(scores), scores, strict=True):
        _write(folder / "feedback" / f"{name}.md", feedback_text(score, questions))
    written = [q for q in questions if q.written]
    answers = [score.written or ("",) * len(written) for score in scores]
    for number, question in enumerate(written):
        text = answers_text(question, scores, [a[number] for a in answers])
        _write(folder / "written" / f"{question.name}.md", text)
    _write(table, score_table(scores, questions))


def _write(path: Path, text: str) -> None:
    """write_atomic in UTF-8, where a lone surrogate that a student put in an answer or an
    error message ("\\ud800" in JSON) becomes an escape instead of failing every write."""
    write_atomic(path, text.encode("utf-8", "backslashreplace"))


def merge(table: "str | os.PathLike[str]", questions: Sequence[Question]) -> str:
    """The score table with the hand-given points of the written questions added in:
    ``total`` and ``possible`` then count every question.

    Raises InvalidValueError naming the row and column of a blank or out-of-range cell.
    """
    table = Path(table)
    try:
        with open(table, newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
    except (UnicodeDecodeError, csv.Error):  # a binary file given as the table
        rows = []
    written = {q.name: q.points for q in questions if q.written}
    autograded = {q.name: q.points for q in questions if not q.written}
    header = ["submission", *autograded, *written, "total", "possible", "status", "reason"]
    if not rows or list(rows[0]) != header:
        raise InvalidValueError(f"{table} is not a score table written by 'rnnlab notebook grade'")
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(rows, start=2):
        total = 0.0
        for name, most in {**autograded, **written}.items():
            total += _points(row[name], most, f"{table} line {number}, column {name}")
        row["total"] = f"{total:g}"
        row["possible"] = f"{sum(autograded.values()) + sum(written.values()):g}"
        writer.writerow(row)
    return out.getvalue()


def _points(cell: str, most: float, where: str) -> float:
    if not cell.strip():
        raise InvalidValueError(f"{where} is blank: give the points for that answer")
    try:
        points = float(cell)
    except ValueError:
        raise InvalidValueError(f"{where} is {cell!r}, expected a number") from None
    if not 0 <= points <= most:
        raise InvalidValueError(f"{where} is {points:g}, expected 0 to {most:g}")
    return points
