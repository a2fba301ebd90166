"""`rnnlab notebook grade` and `merge` on bad input, the written outputs, and their parts."""

import csv
import dataclasses
import io
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from rnnlab.cli.display import console
from rnnlab.cli.notebook import print_summary
from rnnlab.errors import InvalidValueError
from rnnlab.grading import cgroup, checks, derivations, feedback, worker
from rnnlab.grading.answer import parse as _answer
from rnnlab.grading.checks import Check, Question
from rnnlab.grading.grader import CheckResult, Score, submissions_in

QUESTIONS = (
    Question(
        "sums", 2, (Check("1 + 1", 2.0, "1 + 1 should be 2"), Check("x", 3.0, "secret", True))
    ),
    Question("essay", 3, written=True),
)


def autograder(folder: Path, questions=QUESTIONS, truncate: bool = False) -> Path:
    """A folder as 'rnnlab notebook build' leaves it: a zip with a test per autograded
    question, and checks.json beside it."""
    folder.mkdir(exist_ok=True)
    zip_path = folder / "lab-autograder.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for question in questions:
            if not question.written:
                archive.writestr(f"tests/{question.name}.py", "OK_FORMAT = True\n" + "#" * 4000)
    if truncate:
        zip_path.write_bytes(zip_path.read_bytes()[:-200])
    (folder / "checks.json").write_text(checks.to_json(questions))
    return folder


def notebook(path: Path, answer: str = "") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 3"),
        nbformat.v4.new_markdown_cell("<!-- BEGIN QUESTION -->\n\nWhy?"),
        nbformat.v4.new_markdown_cell(answer or "_Type your answer here, replacing this text._"),
        nbformat.v4.new_markdown_cell("<!-- END QUESTION -->\n\nNext part."),
    ]
    nbformat.write(nb, path)
    return path


def answered(score: Score, path: Path) -> Score:
    """The score with the notebook's written answers, as the worker reads them."""
    return dataclasses.replace(score, written=tuple(worker.written_answers(path, 1)))


def score(path: str, passed: tuple[bool, bool], status: str = "graded") -> Score:
    sums = QUESTIONS[0]
    results = tuple(
        CheckResult("sums", check, ok, "got 2.0" if ok else "got 5.0")
        for check, ok in zip(sums.checks, passed, strict=True)
    )
    points = {"sums": sum(passed) * sums.points_per_check if status == "graded" else 0.0}
    return Score(Path(path), points, {"sums": 2.0}, status, "", results)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--timeout", "inf"], "timeout is inf, expected a finite number"),
        (["--timeout", "0"], "timeout is 0.0, expected a number > 0"),
        (["--timeout", "1e9"], "expected at most"),
        (["--memory", "1"], "memory is 1048576, expected a whole number ≥"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_bad_limits_are_one_line_and_status_2(tmp_path, rnnlab, arguments, message):
    result = rnnlab("notebook", "grade", str(notebook(tmp_path / "a.ipynb")), *arguments)
    assert result.returncode == 2, result
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_damaged_or_mismatched_autograder_is_one_line_and_status_2(tmp_path, rnnlab):
    submission = str(notebook(tmp_path / "a.ipynb"))
    cases = {
        "truncated": (autograder(tmp_path / "truncated", truncate=True), "is damaged"),
        "no checks": (tmp_path / "bare", "no checks.json beside"),
        "mismatch": (autograder(tmp_path / "other", QUESTIONS[1:]), "tests [], but"),
    }
    autograder(tmp_path / "bare")
    (tmp_path / "bare" / "checks.json").unlink()
    # checks.json for QUESTIONS beside a zip made for fewer questions
    mismatch = cases["mismatch"][0]
    (mismatch / "checks.json").write_text(checks.to_json(QUESTIONS))
    bad_json = autograder(tmp_path / "bad_json")
    (bad_json / "checks.json").write_text(json.dumps({"format": 1, "questions": [{"name": 1}]}))
    cases["bad json"] = (bad_json, "is not a checks file")
    for folder, message in cases.values():
        result = rnnlab("notebook", "grade", submission, "--autograder", str(folder))
        assert result.returncode == 2, result
        assert message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_without_bubblewrap_it_refuses_to_grade_and_says_how_to_get_it(
    tmp_path, rnnlab, monkeypatch
):
    # The PATH's folder is one the sandbox's users may enter, as a real bwrap's is.
    programs = Path(tempfile.mkdtemp(prefix="rnnlab-path-", dir="/tmp"))
    programs.chmod(0o755)
    monkeypatch.setenv("PATH", str(programs))
    folder = autograder(tmp_path / "autograder")
    result = rnnlab(
        "notebook", "grade", str(notebook(tmp_path / "a.ipynb")), "--autograder", str(folder)
    )
    assert result.returncode == 2
    assert "apt-get install bubblewrap" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "scores.csv").exists()
    # A bwrap that cannot make namespaces, as in a container that forbids them.
    fake = programs / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    result = rnnlab("notebook", "grade", str(tmp_path / "a.ipynb"), "--autograder", str(folder))
    assert result.returncode == 2
    assert "bwrap cannot make a sandbox here (bwrap: No permissions" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    shutil.rmtree(programs)


def test_folders_of_notebooks_are_graded_and_checkpoints_skipped(tmp_path):
    (tmp_path / "class" / ".ipynb_checkpoints").mkdir(parents=True)
    for name in ("b.ipynb", "a.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb"):
        notebook(tmp_path / "class" / name)
    single = notebook(tmp_path / "single.ipynb")
    found = submissions_in([tmp_path / "class", single])
    assert found == [tmp_path / "class" / "a.ipynb", tmp_path / "class" / "b.ipynb", single]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidValueError, match="holds no .ipynb"):
        submissions_in([tmp_path / "empty"])
    with pytest.raises(InvalidValueError, match="expected a .ipynb file"):
        submissions_in([__file__])


def test_the_sandboxs_answer_is_read_as_plain_data_or_not_at_all():
    good = {"problem": "", "results": [{"value": [1.0, 2.0]}, {"error": "NameError: x"}]}
    assert _answer(b"noise\n" + json.dumps(good).encode(), 2) == ("", good["results"])
    for bad in [
        {"problem": "", "results": [{"value": 1.0}]},  # too few
        {"problem": "", "results": [{"value": 1.0, "error": "x"}, {"value": 1.0}]},
        {"problem": "", "results": [{"value": {"a": 1}}, {"value": 1.0}]},
        {"problem": "", "results": [{"other": 1}, {"value": 1.0}]},
        {"problem": 3, "results": [{"value": 1.0}, {"value": 1.0}]},
    ]:
        assert _answer(json.dumps(bad).encode(), 2) is None, bad
    assert _answer(b'{"problem": "", "results": [NaN, 1]}', 2) is None
    assert _answer(b"[" * 100_000, 2) is None
    assert _answer(b"", 2) is None


def test_feedback_gives_public_messages_and_hides_hidden_checks():
    text = feedback.feedback_text(score("s.ipynb", (False, False)), QUESTIONS)
    assert "## sums: 0 / 2" in text
    assert "- 1 + 1 should be 2: `got 5.0`" in text
    assert "- hidden test failed" in text
    assert "secret" not in text and "x" not in text.split("## sums")[1].replace("got", "")
    assert "Written answers (3 points) are graded by hand." in text
    assert "all checks passed" in feedback.feedback_text(score("s.ipynb", (True, True)), QUESTIONS)
    failed = Score(Path("t.ipynb"), {"sums": 0.0}, {"sums": 2.0}, "timeout", "stopped after 5 s")
    assert "could not be graded: `stopped after 5 s`" in feedback.feedback_text(failed, QUESTIONS)


def test_grading_writes_table_feedback_and_answers_then_merge_adds_hand_points(tmp_path, rnnlab):
    paths = [notebook(tmp_path / "a.ipynb", "Because."), notebook(tmp_path / "b.ipynb")]
    scores = [score(str(paths[0]), (True, False)), score(str(paths[1]), (True, True))]
    scores = [answered(s, p) for s, p in zip(scores, paths, strict=True)]
    table = tmp_path / "out" / "scores.csv"
    feedback.write_all(scores, QUESTIONS, table, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir()) == ["a.md", "b.md"]
    answers = (tmp_path / "out" / "written" / "essay.md").read_text()
    assert "### `a`\n\n~~~text\nBecause.\n~~~" in answers
    assert "### `b`\n\n_(no answer)_" in answers
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert [(r["student"], r["sums"], r["essay"], r["total"], r["possible"]) for r in rows] == [
        ("a", "1", "", "1", "2"),
        ("b", "2", "(no answer)", "2", "2"),
    ]
    autograder(tmp_path / "autograder")
    final = tmp_path / "final.csv"
    arguments = ["notebook", "merge", str(table), "--autograder", str(tmp_path / "autograder")]
    result = rnnlab(*arguments, "--out", str(final))
    assert result.returncode == 2 and "line 2 (a), column essay is blank" in result.stderr
    for hand, message in [("4", "is 4, expected 0 to 3"), ("x", "is 'x', expected a number")]:
        table.write_text(table.read_text().replace("1,,1,2", f"1,{hand},1,2"))
        result = rnnlab(*arguments, "--out", str(final))
        assert result.returncode == 2 and message in result.stderr, result.stderr
        table.write_text(table.read_text().replace(f"1,{hand},1,2", "1,,1,2"))
    # (no answer) counts 0; a mark written over it counts instead
    table.write_text(table.read_text().replace("1,,1,2", "1,2.5,1,2"))
    result = rnnlab(*arguments, "--out", str(final))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(final.read_text())))
    assert [(r["essay"], r["total"], r["possible"]) for r in rows] == [
        ("2.5", "3.5", "5"),
        ("(no answer)", "2", "5"),
    ]
    table.write_text(table.read_text().replace("(no answer)", "1"))
    result = rnnlab(*arguments, "--out", str(final))
    rows = list(csv.DictReader(io.StringIO(final.read_text())))
    assert result.returncode == 0 and rows[1]["total"] == "3"
    result = rnnlab(*arguments, "--out", str(table))
    assert result.returncode == 2 and "is the score table itself" in result.stderr


def test_merge_reports_every_problem_of_the_table_at_once(tmp_path, rnnlab):
    # Fixing four problems took four runs: merge stopped at the first.
    paths = [notebook(tmp_path / f"{name}.ipynb", "Yes.") for name in "abcd"]
    scores = [answered(score(str(path), (True, True)), path) for path in paths]
    table = tmp_path / "scores.csv"
    feedback.write_all(scores, QUESTIONS, table, tmp_path)
    text = table.read_text().splitlines()
    text[2] = text[2].replace("2,,2,2", "2,9,2,2")
    text[3] = text[3].replace("2,,2,2", "2,many,2,2")
    table.write_text("\n".join(text) + "\n")
    autograder(tmp_path / "autograder")
    result = rnnlab(
        "notebook", "merge", str(table), "--autograder", str(tmp_path / "autograder"),
        "--out", str(tmp_path / "final.csv"),
    )  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "has 4 problems" in line
    for where in [
        "line 2 (a), column essay is blank",
        "line 3 (b), column essay is 9",
        "line 4 (c), column essay is 'many'",
        "line 5 (d), column essay is blank",
    ]:
        assert where in line, line


def test_the_student_is_the_file_or_the_folder_when_every_file_has_one_name(tmp_path):
    assert feedback.students([Path("x/alice.ipynb"), Path("y/bob.ipynb")]) == ["alice", "bob"]
    handed_in = [tmp_path / name / "rnn_lab.ipynb" for name in ("alice", "bob")]
    assert feedback.students(handed_in) == ["alice", "bob"]
    assert feedback.students(handed_in[:1]) == ["alice"]
    # x-2.ipynb received another student's feedback (x-2.md): names are never made up
    with pytest.raises(InvalidValueError, match="would both be student 'x': rename one"):
        feedback.students([Path("a/x.ipynb"), Path("b/x.ipynb"), Path("x-2.ipynb")])
    with pytest.raises(InvalidValueError, match="would both be student 'alice'"):
        feedback.students(
            [tmp_path / "alice" / "rnn_lab.ipynb", tmp_path / "2024/alice/rnn_lab.ipynb"]
        )


def test_a_name_collision_is_refused_before_grading(tmp_path, rnnlab):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        notebook(tmp_path / folder / "x.ipynb")
    notebook(tmp_path / "c.ipynb")
    result = rnnlab(
        "notebook", "grade", str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c.ipynb")
    )
    assert result.returncode == 2 and "would both be student 'x'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_points_are_shown_to_two_decimals():
    third = Score(Path("a.ipynb"), {"sums": 2 / 3}, {"sums": 2.0}, "graded", "", ())
    rows = list(csv.DictReader(io.StringIO(feedback.score_table([third], QUESTIONS))))
    assert (rows[0]["sums"], rows[0]["total"]) == ("0.67", "0.67")
    assert "Autograded questions: 0.67 / 2 points." in feedback.feedback_text(third, QUESTIONS)
    with console.capture() as captured:
        print_summary([third])
    assert "0.67 / 2" in captured.get() and "0.666" not in captured.get()


def test_the_instructors_file_shows_every_hidden_failure_and_the_pass_rates(tmp_path):
    paths = [notebook(tmp_path / "a.ipynb"), notebook(tmp_path / "b.ipynb")]
    scores = [score(str(paths[0]), (True, False)), score(str(paths[1]), (False, False))]
    feedback.write_all(scores, QUESTIONS, tmp_path / "scores.csv", tmp_path)
    text = (tmp_path / "instructor.md").read_text()
    assert "| sums | 1 | no | 1 / 2 (50%) | 1 + 1 should be 2 |" in text
    assert "| sums | 2 | yes | 0 / 2 (0%) | secret |" in text
    assert "- sums (hidden): secret: `got 5.0`; case `x`" in text.split("### `a`")[1]
    assert not (tmp_path / "feedback" / "instructor.md").exists()
    for student in ("a", "b"):
        assert "secret" not in (tmp_path / "feedback" / f"{student}.md").read_text()
    assert feedback.pass_rates(scores, QUESTIONS)[0] == (
        "sums",
        1,
        False,
        "1 + 1 should be 2",
        1,
        2,
    )


def test_each_written_file_starts_with_the_question_its_points_and_the_reference():
    essay = Question("looking_back", 1, written=True)
    text = feedback.answers_text(essay, [score("a.ipynb", (True, True))], ["It is 0."])
    assert text.startswith("# looking_back (1 point): every answer\n")
    question = text.split("## The question")[1].split("## The reference answer")[0]
    assert "What is $\\frac{\\partial h_1}{\\partial U_{1,1}}$" in question
    model = text.split("## The reference answer")[1].split("## Answers")[0]
    assert "**Answer.** It is $0$." in model
    assert text.index("## The reference answer") < text.index("### `a`\n\n~~~text\nIt is 0.")


def test_an_unreadable_notebook_is_named_so(tmp_path):
    # The worker reads the notebook, in its sandbox, before it talks to the kernel.
    for data in (b"{not json", b"[1]", b"[" * 10**5):
        (tmp_path / "bad.ipynb").write_bytes(data)
        problem, _ = worker.execute(tmp_path / "bad.ipynb", ["1"], 1.0, {})
        assert problem.startswith(worker.UNREADABLE), problem


def test_written_answers_are_found_between_otters_markers(tmp_path):
    path = notebook(tmp_path / "a.ipynb", "My answer")
    assert worker.written_answers(path, 2) == ["My answer", ""]
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert worker.written_answers(tmp_path / "broken.ipynb", 1) == [""]


def test_the_summary_says_1_submission_not_1_submissions():
    with console.capture() as captured:
        print_summary([score("a.ipynb", (True, True))])
    assert "1 submission: 1 graded, 0 unreadable, 0 timed out, 0 failed; mean 2.00 / 2" in (
        captured.get()
    )
    assert feedback.plural(2, "submission") == "2 submissions"
    assert feedback.plural_points(1) == "1 point"


def _kernels_running(pid: int, count: int) -> bool:
    """Whether process ``pid`` has ``count`` notebook kernels at work (in its sandboxes)."""
    try:
        processes = psutil.Process(pid).children(recursive=True)
        kernels = [p for p in processes if p.name().startswith("python")]  # not bwrap's line
        return sum("ipykernel_launcher" in " ".join(p.cmdline()) for p in kernels) == count
    except psutil.Error:  # one ended while it was looked at
        return False


@pytest.mark.parametrize(
    ("number", "status", "word"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]
)
def test_a_grader_stopped_mid_class_ends_its_sandboxes_and_cgroups_at_once(
    tmp_path, number, status, word
):
    # Stopped, the grader waited for its running sandboxes and graded the rest of the
    # class first; killed by SIGTERM, it left its cgroups behind.
    folder = autograder(tmp_path / "autograder")
    endless = nbformat.v4.new_notebook()
    endless.cells = [nbformat.v4.new_code_cell("while True:\n    pass")]
    paths = [tmp_path / f"{name}.ipynb" for name in "abc"]
    for path in paths:
        nbformat.write(endless, path)
    out = tmp_path / "scores.csv"
    command = ["notebook", "grade", *map(str, paths), "--autograder", str(folder)]
    command += ["--out", str(out), "--timeout", "300", "--jobs", "2"]
    grader = subprocess.Popen(
        [sys.executable, "-m", "rnnlab", *command], stderr=subprocess.PIPE, text=True
    )
    try:
        # Both jobs' sandboxes at work: bwrap, with the notebook's kernel inside.
        deadline = time.monotonic() + 120
        while not _kernels_running(grader.pid, 2) and time.monotonic() < deadline:
            time.sleep(0.2)
        sandboxes = [p for p in psutil.Process(grader.pid).children() if p.name() == "bwrap"]
        assert len(sandboxes) == 4, "the grader did not start its two pairs of sandboxes"
        stopped = time.monotonic()
        grader.send_signal(getattr(signal, number))
        _, stderr = grader.communicate(timeout=60)
        assert time.monotonic() - stopped < 10
    finally:
        grader.kill()
    assert (grader.returncode, stderr.splitlines()[-1]) == (status, f"rnnlab: {word}")
    assert not out.exists()
    assert not [process for process in sandboxes if process.is_running()]
    assert cgroup.made_by(grader.pid) == []


def test_a_class_handed_in_as_folders_is_named_after_them(tmp_path):
    # SUBS/<student>/rnn_lab.ipynb gave rnn_lab.md, rnn_lab-2.md and "## rnn_lab-2".
    paths = []
    for student in ("alice", "bob"):
        (tmp_path / "SUBS" / student).mkdir(parents=True)
        paths.append(notebook(tmp_path / "SUBS" / student / "rnn_lab.ipynb", f"I am {student}."))
    scores = [answered(score(str(path), (True, True)), path) for path in paths]
    feedback.write_all(scores, QUESTIONS, tmp_path / "scores.csv", tmp_path)
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == ["alice.md", "bob.md"]
    text = (tmp_path / "feedback" / "bob.md").read_text()
    assert text.startswith("# Feedback on `bob` (`rnn_lab.ipynb`)\n")
    assert "### `bob`\n\n~~~text\nI am bob.\n~~~" in (tmp_path / "written" / "essay.md").read_text()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "scores.csv").read_text())))
    assert [row["student"] for row in rows] == ["alice", "bob"]


def test_the_pass_rates_are_printed_one_line_per_check():
    from rnnlab.cli.notebook import print_pass_rates

    with console.capture() as captured:
        print_pass_rates(
            [score("a.ipynb", (True, False)), score("b.ipynb", (True, True))], QUESTIONS
        )
    lines = captured.get().splitlines()
    assert any(
        "sums" in line and "2/2 (100%)" in line and "1 + 1 should be 2" in line for line in lines
    )
    assert any("yes" in line and "1/2 (50%)" in line and "secret" in line for line in lines)


def test_a_derivation_short_of_full_points_is_named_in_feedback_and_instructors_file():
    questions = (
        Question("h_one_more", 1, written=True),
        Question("bptt_2", 2),
        Question("bptt_general", 0),
    )
    missing = "dL/dU = dL/do1 * do1/dh1 * dh1/dU + dL/do2 * do2/dh2 * dh2/dU"  # no (1, 2)
    general = "sum_{t=1}^{N} sum_{k=1}^{t} dL/do_t do_t/dh_t prod_{j=k+1}^{t} dh_j/dh_{j-1} dh_k/dU"
    points = {"bptt_2": 2 / 3 + 2 / 3, "bptt_general": 0.0}  # as grade_one scores them
    graded = Score(Path("a.ipynb"), points, {"bptt_2": 2.0, "bptt_general": 0.0}, "graded")
    written = ("Because.", missing, general)  # as the worker reads them; graded as grade_one does
    derived = derivations.grade_questions(questions, written)
    graded = dataclasses.replace(graded, written=written, derived=derived)
    mine = feedback.feedback_text(graded, questions)
    assert (
        "## bptt_2: 1.33 / 2\n- `bptt_2 (dL/dU for N = 2): 1.333 of 2 points (2 of 3 shares)"
        in mine
    )
    assert "(1, 2)" in mine.split("## bptt_2")[1] and "optional, no points" in mine
    details = feedback.instructor_text([graded], questions)
    assert "- bptt_2 (derivation): `bptt_2 (dL/dU for N = 2): 1.333 of 2" in details
    assert "bptt_general (derivation)" not in details  # correct: nothing to report
    table = list(csv.DictReader(io.StringIO(feedback.score_table([graded], questions))))
    assert list(table[0])[2:5] == ["bptt_2", "h_one_more", "total"]  # 0 points: no column
    assert table[0]["bptt_2"] == "1.33" and table[0]["h_one_more"] == ""
