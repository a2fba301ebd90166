"""A second hostile class, after the attacks of test_grading_attacks.py were stopped.

This one reads our source. It forges the results cell's answer (huge integers, NaN,
values for the hidden checks), hands in links and files that are no notebook, writes
gigabytes where the sandbox lets it, and puts Markdown and HTML in everything the
grader copies into its feedback and written-answer files. All of it is graded in one
`rnnlab notebook grade --jobs 2` run beside the real solution, which keeps full marks.
"""

import csv
import dataclasses
import io
import json
import os
from pathlib import Path

import nbformat
import pytest

from grading_class import grade_class, points, rows_by_student
from rnnlab import grading
from rnnlab.errors import InvalidValueError
from rnnlab.grading import feedback, worker
from rnnlab.grading.answer import MAX_ANSWER_BYTES
from rnnlab.grading.answer import parse as _answer
from rnnlab.grading.checks import Check, Question
from rnnlab.grading.grader import MAX_NOTEBOOK_BYTES, CheckResult, Score, read_submission
from rnnlab.grading.plain import MAX_ITEMS, is_plain

TIMEOUT = 150  # seconds; a normal submission takes about ten on an idle machine
QUESTIONS = grading.questions()
POINTS = {q.name: q.points for q in QUESTIONS if not q.written and q.points}
CHECKS = [check for q in QUESTIONS if not q.written for check in q.checks]


def forges(answer: str) -> str:
    """A cell that makes the results cell print ``answer`` in place of its own: json.dumps
    in the kernel is the student's to replace."""
    return (
        "import json\n"
        "_dumps = json.dumps\n"
        "def _forged(value, *args, **kwargs):\n"
        "    if isinstance(value, list) and value and isinstance(value[0], dict):\n"
        f"        return {answer!r}\n"
        "    return _dumps(value, *args, **kwargs)\n"
        "json.dumps = _forged\n"
    )


def public_share(question_name: str) -> float:
    """The points a question's public checks are worth."""
    [question] = [q for q in QUESTIONS if q.name == question_name]
    return question.points_per_check * sum(not c.hidden for c in question.checks)


INJECTION = "x\n\n## forward: 4 / 4\n\n- all checks passed <script>alert(1)</script>"
SURROGATES = "def sequence_probability(seq, T):\n    raise ValueError('\\ud800')\n"


def class_of(blank: nbformat.NotebookNode) -> dict[str, str]:
    """Code each hostile notebook adds to the blank one."""
    count = len(CHECKS)
    # Public checks get their (published) expected values, hidden ones a guess.
    guesses = [{"value": 0.5 if c.hidden else c.expected} for c in CHECKS]
    return {
        # An integer no float can hold: int - float and math.isfinite raise OverflowError.
        "huge_int": forges(json.dumps([{"value": 10**400}] * count)),
        # JSON's NaN and Infinity, and true where numbers are expected.
        "nan": forges("[" + ", ".join(["NaN", "Infinity", "true"] * count)[:-2] + "]"),
        "forged_hidden": forges(json.dumps(guesses)),
        # Appends an answer line of its own, the published values for the public checks,
        # to every file any process in the sandbox holds open (bwrap's init holds the
        # worker's stdout), after a mebibyte of padding that the real answer, written
        # later at the start of the file, cannot cover. It worked before the worker's
        # answer carried a secret.
        "forges_line": (
            "import json, os, stat\n"
            f"forged = json.dumps({{'problem': '=cmd', 'results': {guesses!r}}})\n"
            "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    try:\n"
            "        fds = os.listdir(f'/proc/{pid}/fd')\n"
            "    except OSError:\n"
            "        continue\n"
            "    for fd in fds:\n"
            "        try:\n"
            "            if not stat.S_ISREG(os.stat(f'/proc/{pid}/fd/{fd}').st_mode):\n"
            "                continue  # a pipe or socket no one reads would block it\n"
            "            with open(f'/proc/{pid}/fd/{fd}', 'a') as stream:\n"
            "                stream.write(' ' * 2**20 + '\\n' + forged + '\\n')\n"
            "        except OSError:\n"
            "            pass\n"
        ),
        # An error message and a written answer made to look like feedback and headings.
        "injects": (f"def sequence_probability(seq, T):\n    raise ValueError({INJECTION!r})\n"),
        # Writes 3 GiB into its own folder, /tmp and HOME, in 64 MiB files (each under
        # the file size limit), and says through o1 how many MiB it got down.
        "writes": (
            "import os\n"
            "written = 0\n"
            "for folder in ('.', '/tmp', os.path.expanduser('~')):\n"
            "    for number in range(16):\n"
            "        try:\n"
            "            with open(f'{folder}/fill{number}', 'wb') as stream:\n"
            "                for _ in range(64):\n"
            "                    stream.write(b'x' * 2**20)\n"
            "                    written += 1\n"
            "        except OSError:\n"
            "            break\n"
            "o1 = float(written)\n"
        ),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    built = grading.build(tmp_path_factory.mktemp("build"))
    solution = nbformat.read(built.autograder / "rnn_lab.ipynb", as_version=4)
    blank_path = built.student / "rnn_lab.ipynb"
    folder = tmp_path_factory.mktemp("class")
    nbformat.write(solution, folder / "b_solution.ipynb")
    for name, source in class_of(nbformat.read(blank_path, as_version=4)).items():
        nb = nbformat.read(blank_path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(source))
        if name == "injects":  # its first written answer claims to be the solution's
            [placeholder, *_] = [c for c in nb.cells if "_Type your answer here" in c.source]
            placeholder.source = "## b_solution\n\nfull marks <img src=x onerror=alert(1)>"
        nbformat.write(nb, folder / f"c_{name}.ipynb")
    # A name that is no UTF-8, and lone surrogates in an error message and an answer.
    nb = nbformat.read(blank_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(SURROGATES))
    [placeholder, *_] = [c for c in nb.cells if "_Type your answer here" in c.source]
    placeholder.source = "SURROGATE"
    text = nbformat.writes(nb).replace("SURROGATE", "\\ud800")
    Path(os.fsdecode(os.fsencode(folder) + b"/c_odd\xff.ipynb")).write_text(text)
    # A link to the instructor's solution, and files that are no notebook at all.
    (folder / "c_link_solution.ipynb").symlink_to(built.autograder / "rnn_lab.ipynb")
    (folder / "c_link_zero.ipynb").symlink_to("/dev/zero")
    (folder / "c_deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "c_not_json.ipynb").write_bytes(b"\xff\xfe{ not json\n" * 1000)
    out = folder / "scores.csv"
    result = grade_class([folder], out, built.autograder, TIMEOUT, 2048)
    assert result.exit_code == 0, (result.output, result.exception)
    return {"rows": rows_by_student(out), "folder": folder}


@pytest.mark.slow
def test_the_solution_keeps_full_marks(graded):
    row = graded["rows"]["solution"]
    assert (row["status"], points(row, POINTS)) == ("graded", POINTS), row


TRICKS = ["odd\\xff", "huge_int", "nan", "forges_line", "injects", "link_solution", "link_zero"]


@pytest.mark.slow
@pytest.mark.parametrize("name", [*TRICKS, "deep", "not_json"])
def test_each_trick_scores_zero(graded, name):
    assert points(graded["rows"][name], POINTS) == dict.fromkeys(POINTS, 0.0), graded["rows"][name]


@pytest.mark.slow
def test_forged_values_for_hidden_checks_score_nothing(graded):
    # The forged public values are the published ones, so those checks pass: that is
    # no more than typing them in. Every hidden one fails, its expected value unknown.
    row = graded["rows"]["forged_hidden"]
    assert points(row, POINTS) == pytest.approx(
        {name: public_share(name) for name in POINTS}, rel=1e-5
    )
    feedback = (graded["folder"] / "feedback" / "c_forged_hidden.md").read_text()
    assert feedback.count("hidden test failed") == sum(c.hidden for c in CHECKS)


@pytest.mark.slow
def test_a_line_forged_after_the_real_answer_is_refused(graded):
    # The forger appended its line to every file it could reach: before the answer had a
    # secret, its public values and its '=cmd' reason were taken; then its line made the
    # answer void. Now it reaches nothing of the worker's, and the real answer stands.
    row = graded["rows"]["forges_line"]
    assert (row["status"], row["reason"]) == ("graded", ""), row
    assert "=cmd" not in (graded["folder"] / "scores.csv").read_text()


@pytest.mark.slow
def test_links_and_devices_are_refused_not_followed(graded):
    rows = graded["rows"]
    for name in ("link_solution", "link_zero"):
        assert rows[name]["status"] == "unreadable"
        assert "symbolic link" in rows[name]["reason"]


@pytest.mark.slow
def test_a_name_or_text_that_is_no_utf8_is_written_with_escapes(graded):
    feedback = (graded["folder"] / "feedback" / "c_odd\\xff.md").read_text()
    assert "ValueError: \\ud800" in feedback
    answers = [p.read_text() for p in (graded["folder"] / "written").glob("*.md")]
    assert sum("\n\\ud800\n" in text for text in answers) == 1


@pytest.mark.slow
def test_nothing_a_notebook_writes_reaches_the_disk_beyond_its_tmpfs(graded):
    feedback = (graded["folder"] / "feedback" / "c_writes.md").read_text()
    [line] = [line for line in feedback.splitlines() if line.startswith("- o1 should")]
    written = float(line.split("got ")[1].split(",")[0].rstrip("`"))
    assert 3 * 200 <= written <= 3 * 256, line  # three tmpfs of 256 MiB, no more


@pytest.mark.slow
def test_student_text_cannot_pose_as_feedback_or_another_answer(graded):
    folder = graded["folder"]
    feedback = (folder / "feedback" / "c_injects.md").read_text()
    assert sum(line.startswith("## forward") for line in feedback.splitlines()) == 1
    assert "\n- all checks passed" not in feedback
    # Its HTML only inside code spans, which Markdown shows as typed.
    for line in feedback.splitlines():
        if "<script>" in line:
            assert "`" in line.split("<script>")[0], line
    for written in (folder / "written").glob("*.md"):
        text = written.read_text()
        assert text.splitlines().count("### `b_solution`") == 1, written
        outside = text.split("~~~")[0::2]  # the answers are fenced blocks
        assert not any("<img" in part for part in outside), written


# The same tricks on the parts, without a sandbox.


def answer(*values: str) -> bytes:
    return ('{"problem": "", "results": [' + ", ".join(values) + "]}").encode()


def test_forged_answers_are_refused_not_crashed_on():
    assert _answer(answer('{"value": ' + "9" * 400 + "}"), 1) is None  # no float holds it
    assert _answer(answer('{"value": NaN}'), 1) is None
    assert _answer(answer('{"value": -Infinity}'), 1) is None
    assert _answer(answer('{"value": [' + ",".join(["1"] * (MAX_ITEMS + 1)) + "]}"), 1) is None
    assert _answer(answer('{"value": "' + "x" * MAX_ANSWER_BYTES + '"}'), 1) is None
    # Duplicate keys: JSON keeps the last, and the answer still has one entry per check.
    assert _answer(answer('{"value": 1, "value": 2}'), 1) == ("", [{"value": 2}])
    # A forged line before the real one counts for nothing.
    assert _answer(answer('{"value": 5}') + b"\n" + answer('{"value": 1}'), 1)[1] == [{"value": 1}]
    # A line without the worker's secret is the student's.
    line = {"nonce": "a", "problem": "", "results": []}
    assert _answer(json.dumps(line).encode(), 0, "b") is None
    assert _answer(json.dumps(line).encode(), 0, "a") == ("", [])
    assert is_plain(10**300) and not is_plain(10**400) and not is_plain([[[[[[[[[[1]]]]]]]]]])


def test_only_regular_notebook_files_are_read(tmp_path):
    (tmp_path / "good.ipynb").write_text("{}")
    assert read_submission(tmp_path / "good.ipynb") == b"{}"
    (tmp_path / "link.ipynb").symlink_to(tmp_path / "good.ipynb")
    (tmp_path / "zero.ipynb").symlink_to("/dev/zero")
    (tmp_path / "fifo.ipynb").mkdir()
    (tmp_path / "big.ipynb").write_bytes(b" " * (MAX_NOTEBOOK_BYTES + 1))
    for name, why in [
        ("link", "symbolic link"),
        ("zero", "symbolic link"),
        ("fifo", "regular file"),
        ("big", "larger than 16 MiB"),
    ]:
        with pytest.raises(ValueError, match=why):
            read_submission(tmp_path / f"{name}.ipynb")
    os.mkfifo(tmp_path / "pipe.ipynb")
    with pytest.raises(ValueError, match="regular file"):  # and it does not wait for a writer
        read_submission(tmp_path / "pipe.ipynb")


def test_a_notebook_of_deep_json_has_no_written_answers(tmp_path):
    (tmp_path / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    assert worker.written_answers(tmp_path / "deep.ipynb", 2) == ["", ""]


def scored(path: str, reason: str = "", detail: str = "got 2.0") -> Score:
    question = Question("q", 1.0, (Check("f()", 1.0, "f() should be 1"),))
    result = CheckResult("q", question.checks[0], False, detail)
    return Score(Path(path), {"q": 0.0}, {"q": 1.0}, "graded", reason, (result,))


def test_a_students_file_name_takes_no_other_students_feedback():
    # Numbered apart, x/a.ipynb and y/a.ipynb were a and a-2: the feedback of a-2.ipynb.
    scores = [scored("x/a.ipynb"), scored("y/a.ipynb"), scored("a-2.ipynb")]
    with pytest.raises(InvalidValueError, match="would both be student 'a'"):
        feedback.names(scores)


def test_the_score_table_holds_no_formula():
    question = Question("q", 1.0, (Check("f()", 1.0, "f() should be 1"),))
    table = feedback.score_table(
        [scored("=HYPERLINK(1).ipynb", "=cmd|' /C calc'!A0"), scored("@SUM(1).ipynb", "-1+1")],
        [question],
    )
    cells = [cell for row in csv.reader(io.StringIO(table)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), cells
    assert "'=HYPERLINK(1).ipynb" in cells and "'-1+1" in cells


def test_student_text_stays_inside_its_line_or_quote():
    question = Question("q", 1.0, (Check("f()", 1.0, "f() should be 1"),))
    injected = "ValueError: x\n\n## q: 1 / 1\n- all checks passed <script>"
    text = feedback.feedback_text(scored("a.ipynb", detail=injected), [question])
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# Feedback on `a.ipynb`", "## q: 0 / 1"]
    assert "`ValueError: x\\x0a\\x0a## q: 1 / 1\\x0a- all checks passed <script>`" in text
    essay = Question("essay", 1.0, written=True)
    answers = feedback.answers_text(
        essay, [scored("a.ipynb"), scored("b.ipynb")], ["## b\n\n<img src=x>", "Mine."]
    )
    # Each answer in a fenced block, where a heading or an image is text, not Markdown.
    blocks = answers.split("~~~")
    assert [line for line in answers.splitlines() if line.startswith("### ")] == [
        "### `a`",
        "### `b`",
    ]
    assert "## b\n\n<img src=x>" in blocks[1] and "Mine." in blocks[3]


def test_text_that_is_no_utf8_is_written_with_escapes(tmp_path):
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/odd\xff.ipynb"))
    score = dataclasses.replace(
        scored(str(odd), reason="\ud800", detail="ValueError: \udcff"), written=("\ud800",)
    )
    question = Question("q", 1.0, (Check("f()", 1.0, "f() should be 1"),))
    essay = Question("essay", 1.0, written=True)
    feedback.write_all([score], [question, essay], tmp_path / "scores.csv", tmp_path)
    assert "ValueError: \\udcff" in (tmp_path / "feedback" / "odd\\xff.md").read_text()
    assert "\n\\ud800\n" in (tmp_path / "written" / "essay.md").read_text()
    assert "odd\\xff.ipynb" in (tmp_path / "scores.csv").read_text()
