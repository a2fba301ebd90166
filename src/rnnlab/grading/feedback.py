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
from rnnlab.grading import derivations, inert
from rnnlab.grading.assignment import MASTER
from rnnlab.grading.checks import Question
from rnnlab.grading.grader import NOTEBOOK_NAME, Score


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


def students(paths: Sequence[Path]) -> list[str]:
    """Each submission's student: its file's name without ``.ipynb``, or, when every
    submission has the same file name (``SUBS/<student>/rnn_lab.ipynb``), the name of
    the folder that holds it. Feedback files and answers are named after it.

    Raises InvalidValueError when two submissions would be the same student: a name
    made distinct by a number could be another student's own name.
    """
    paths = [Path(path) for path in paths]
    by_folder = len({path.name for path in paths}) == 1 and (
        len(paths) > 1 or paths[0].name == NOTEBOOK_NAME
    )
    names = [shown(path.parent.resolve().name if by_folder else path.stem) for path in paths]
    seen: dict[str, Path] = {}
    for name, path in zip(names, paths, strict=True):
        if name in seen:
            raise InvalidValueError(
                f"submissions {shown(seen[name])} and {shown(path)} would both be student "
                f"{name!r}: rename one of them"
            )
        seen[name] = path
    return names


def names(scores: Sequence[Score]) -> list[str]:
    """Each score's student (``students``), by which its feedback file is named."""
    return students([score.submission for score in scores])


def shown_points(points: float) -> str:
    """Points for display, to two decimals at most: 22.33, 4, 0.75."""
    return f"{round(points, 2):g}"


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


NO_ANSWER = "(no answer)"
"""A written question's cell in the score table where the student left no answer:
``merge`` counts it 0 unless the instructor writes a mark over it."""


def columns(questions: Sequence[Question]) -> tuple[list[str], list[str]]:
    """The score table's question columns: the autograded ones (code first, then the
    derivations) and the written ones, graded by hand. A question of 0 points (3.5, the
    debrief) has no column: it has feedback or is read, and is not marked."""
    marked = [q for q in questions if q.points > 0]
    code = [q.name for q in marked if not q.written and q.name not in derivations.DERIVATIONS]
    derived = [q.name for q in marked if q.name in derivations.DERIVATIONS]
    return code + derived, [q.name for q in marked if q.written]


def answers_of(score: Score, questions: Sequence[Question]) -> dict[str, str]:
    """A score's answer cells by question: the written questions' and the derivations'."""
    cells = derivations.answer_cells(questions)
    return dict(zip(cells, score.written or ("",) * len(cells), strict=True))


def _header(questions: Sequence[Question]) -> list[str]:
    autograded, written = columns(questions)
    return ["student", "submission", *autograded, *written, "total", "possible", "status", "reason"]


def score_table(scores: Sequence[Score], questions: Sequence[Question]) -> str:
    """CSV: student, submission, a column per question (written ones blank, for points
    given by hand, or "(no answer)" where the student left none), total and possible
    (autograded), status, reason. Points are rounded to two decimals."""
    autograded, written = columns(questions)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_header(questions))
    for student, score in zip(names(scores), scores, strict=True):
        given = answers_of(score, questions)
        writer.writerow(
            [
                _cell(student),
                _cell(shown(score.submission)),
                *(shown_points(score.points[name]) for name in autograded),
                *("" if given[name] else NO_ANSWER for name in written),
                shown_points(score.total),
                shown_points(score.total_possible),
                score.status,
                _cell(score.reason),
            ]
        )
    return out.getvalue()


def feedback_text(score: Score, questions: Sequence[Question], student: str = "") -> str:
    """A student's feedback (Markdown): points per question, the message of each failed
    public check with what it got and expected, "hidden test failed" for each failed
    hidden one."""
    title = _one_line(shown(score.submission.name))
    if student and student != score.submission.stem:
        title = f"{_one_line(student)} ({title})"
    lines = [
        f"# Feedback on {title}",
        "",
        f"Autograded questions: {shown_points(score.total)} / "
        f"{plural_points(score.total_possible)}.",
    ]
    hand = sum(q.points for q in questions if q.written)
    if hand:
        lines.append(f"Written answers ({plural_points(hand)}) are graded by hand.")
    if score.status != "graded":
        lines += ["", f"Your notebook could not be graded: {_one_line(score.reason)}."]
        lines.append("Every autograded question scores 0.")
    elif score.reason:
        lines += ["", f"While grading: {_one_line(score.reason)}."]
    for question in questions:
        if question.written:
            continue
        earned = shown_points(score.points[question.name])
        lines += ["", f"## {question.name}: {earned} / {question.points:g}"]
        if question.name in derivations.DERIVATIONS:
            if question.name in score.derived:
                lines.append(f"- {_one_line(score.derived[question.name].line())}")
            continue
        failed = [r for r in score.results if r.question == question.name and not r.passed]
        for result in failed:
            if result.check.hidden:
                lines.append("- hidden test failed")
            else:
                lines.append(f"- {result.check.message}: {_one_line(result.detail)}")
        if score.status == "graded" and not failed:
            lines.append("- all checks passed")
    return "\n".join(lines) + "\n"


def pass_rates(scores: Sequence[Score], questions: Sequence[Question]) -> list[tuple]:
    """Each check's pass rate across the graded submissions, hidden ones included:
    (question, check number, hidden, message, passed, graded), in the checks' order."""
    graded = [score for score in scores if score.status == "graded"]
    rates = []
    for question in questions:
        for number, check in enumerate(question.checks):
            passed = sum(
                any(
                    r.check == check and r.question == question.name and r.passed for r in s.results
                )
                for s in graded
            )
            rates.append(
                (question.name, number + 1, check.hidden, check.message, passed, len(graded))
            )
    return rates


def instructor_text(scores: Sequence[Score], questions: Sequence[Question]) -> str:
    """The instructor's file (Markdown, never for students): each check's pass rate
    across the class, then every failed check of every student, hidden ones included,
    with its case (the expression), what it got and what was expected, and each
    derivation short of full points with its verdict."""
    lines = [
        "# Grading details, for the instructor only",
        "",
        "Hidden checks are shown here with their cases and expected values: do not hand "
        "this file out.",
        "",
        "## Pass rates",
        "",
        "| question | check | hidden | passed | what it checks |",
        "|---|---|---|---|---|",
    ]
    for name, number, hidden, message, passed, graded in pass_rates(scores, questions):
        rate = f"{passed} / {graded}" + (f" ({100 * passed / graded:.0f}%)" if graded else "")
        lines.append(f"| {name} | {number} | {'yes' if hidden else 'no'} | {rate} | {message} |")
    lines += ["", "## Failed checks"]
    for student, score in zip(names(scores), scores, strict=True):
        lines += [
            "",
            f"### {_one_line(student)}: {shown_points(score.total)} / "
            f"{shown_points(score.total_possible)} ({score.status})",
        ]
        if score.status != "graded":
            lines.append(f"- not graded: {_one_line(score.reason)}")
        failed = [r for r in score.results if not r.passed]
        short = [g for g in score.derived.values() if g.shares < g.cases]
        for derived in short:
            lines.append(f"- {derived.question} (derivation): {_one_line(derived.line())}")
        for result in failed:
            kind = "hidden" if result.check.hidden else "public"
            case = result.check.expression
            case = case if len(case) <= 300 else case[:300] + "…"
            lines.append(
                f"- {result.question} ({kind}): {result.check.message}: "
                f"{_one_line(result.detail)}; case `{case}`"
            )
        if score.status == "graded" and not failed and not short:
            lines.append("- every check passed")
    return "\n".join(lines) + "\n"


def reference(question: str, master: Path = MASTER) -> tuple[str, str]:
    """A written question's prompt and the master notebook's reference answer (Markdown),
    or ("", "") where the master has no such question."""
    import nbformat

    prompt: list[str] = []
    answer: list[str] = []
    inside, solution = False, False
    for cell in nbformat.read(master, as_version=4).cells:
        source = cell.source
        if cell.cell_type == "raw" and source.startswith("# BEGIN QUESTION"):
            inside = f"name: {question}" in source.splitlines()
        elif not inside:
            continue
        elif cell.cell_type == "raw" and source.startswith("# BEGIN SOLUTION"):
            solution = True
        elif cell.cell_type == "raw" and source.startswith("# END SOLUTION"):
            solution = False
        elif cell.cell_type == "raw" and source.startswith("# END QUESTION"):
            break
        elif cell.cell_type == "markdown":
            (answer if solution else prompt).append(source.strip())
    return "\n\n".join(prompt), "\n\n".join(answer)


def answers_text(question: Question, scores: Sequence[Score], answers: list[str]) -> str:
    """Every student's answer to one written question (Markdown), for grading by hand:
    first the question, its points and the master's reference answer."""
    prompt, model = reference(question.name)
    lines = [
        f"# {question.name} ({plural_points(question.points)}): every answer",
        "",
        f"Give points (0 to {question.points:g}) in the score table's column "
        f"{question.name}, then run 'rnnlab notebook merge'. A student with no answer "
        f'reads "{NO_ANSWER}" there, which counts 0 unless you write a mark over it.',
    ]
    if prompt or model:
        lines += ["", "## The question", "", prompt, "", "## The reference answer", "", model]
    lines += ["", "## Answers"]
    for name, answer in zip(names(scores), answers, strict=True):
        lines += ["", f"### {_one_line(name)}", "", _quoted(answer) if answer else f"_{NO_ANSWER}_"]
    return "\n".join(lines) + "\n"


def _quoted(answer: str) -> str:
    """A student's answer as a fenced block of text: a heading in it cannot pass for
    another student's section, and no image or link in it is rendered."""
    return inert.code_block(answer)


INSTRUCTOR_FILE = "instructor.md"
"""Written beside feedback/, never in it: the hidden checks' cases and expected values."""


def write_all(
    scores: Sequence[Score], questions: Sequence[Question], table: Path, folder: Path
) -> None:
    """Write the feedback files (folder/feedback), the written answers (folder/written),
    the instructor's file (folder/instructor.md) and last the score table, each
    atomically."""
    for name, score in zip(names(scores), scores, strict=True):
        _write(folder / "feedback" / f"{name}.md", feedback_text(score, questions, name))
    answers = [answers_of(score, questions) for score in scores]
    for question in (q for q in questions if q.written):
        text = answers_text(question, scores, [given[question.name] for given in answers])
        _write(folder / "written" / f"{question.name}.md", text)
    _write(folder / INSTRUCTOR_FILE, instructor_text(scores, questions))
    _write(table, score_table(scores, questions))


def _write(path: Path, text: str) -> None:
    """write_atomic in UTF-8, where a lone surrogate that a student put in an answer or an
    error message ("\\ud800" in JSON) becomes an escape instead of failing every write."""
    write_atomic(path, text.encode("utf-8", "backslashreplace"))


def merge(table: "str | os.PathLike[str]", questions: Sequence[Question]) -> str:
    """The score table with the hand-given points of the written questions added in:
    ``total`` and ``possible`` then count every question. "(no answer)" counts 0.

    Raises InvalidValueError naming the row and column of every blank or out-of-range
    cell of the table at once.
    """
    table = Path(table)
    try:
        with open(table, newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
    except (UnicodeDecodeError, csv.Error):  # a binary file given as the table
        rows = []
    points = {q.name: q.points for q in questions}
    autograded, hand = columns(questions)
    written = {name: points[name] for name in hand}
    autograded = {name: points[name] for name in autograded}
    header = _header(questions)
    if not rows or list(rows[0]) != header:
        raise InvalidValueError(f"{table} is not a score table written by 'rnnlab notebook grade'")
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    problems = []
    for number, row in enumerate(rows, start=2):
        total = 0.0
        for name, most in {**autograded, **written}.items():
            try:
                total += _points(row[name], most, name in written)
            except ValueError as error:
                problems.append(f"line {number} ({row['student']}), column {name} {error}")
        row["total"] = shown_points(total)
        row["possible"] = shown_points(sum(autograded.values()) + sum(written.values()))
        writer.writerow(row)
    if problems:
        raise InvalidValueError(
            f"{table} has {plural(len(problems), 'problem')}: " + "; ".join(problems)
        )
    return out.getvalue()


def _points(cell: "str | None", most: float, written: bool) -> float:
    cell = (cell or "").strip()
    if written and cell == NO_ANSWER:
        return 0.0
    if not cell:
        raise ValueError("is blank: give the points for that answer")
    try:
        points = float(cell)
    except ValueError:
        raise ValueError(f"is {cell!r}, expected a number") from None
    if not 0 <= points <= most:
        raise ValueError(f"is {points:g}, expected 0 to {most:g}")
    return points
