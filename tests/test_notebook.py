"""The lab as an autograded notebook: build it, then grade a class of submissions, some hostile.

Grading starts Jupyter kernels, so the module builds once and grades every submission in
one ``rnnlab notebook grade`` call, in parallel; each test then reads its row of the
score table.
"""

import csv
import json
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest
from typer.testing import CliRunner

from rnnlab import grading as notebook
from rnnlab.cli import app
from rnnlab.errors import InvalidValueError

POINTS = {
    "automatic_diff": 2.0,
    "bigram": 3.0,
    "bptt": 6.0,
    "forward": 4.0,
    "general_bigram_RNN": 4.0,
    "tiny_bigram_RNN": 4.0,
}
FULL = sum(POINTS.values())
TIMEOUT = 60  # seconds; a normal submission takes about ten
LINGERING = "rnnlab-test-lingering-process"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> notebook.Build:
    return notebook.build(tmp_path_factory.mktemp("build"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def cell_index(nb: nbformat.NotebookNode, text: str) -> int:
    """The index of the one code cell whose source contains text."""
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    assert len(found) == 1, f"{len(found)} code cells contain {text!r}"
    return found[0]


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    nbformat.write(nb, path)
    return path


def with_cell(nb: nbformat.NotebookNode, source: str, at: "int | None" = None):
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.insert(len(nb.cells) if at is None else at, cell)
    return nb


def replace_in_cell(nb, text: str, old: str, new: str) -> nbformat.NotebookNode:
    cell = nb.cells[cell_index(nb, text)]
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return nb


@pytest.fixture(scope="module")
def class_of(built, tmp_path_factory):
    """Every submission, graded in one CLI call; returns (folder, rows by name, CLI result)."""
    folder = tmp_path_factory.mktemp("submissions")
    leak = folder / "leak.json"
    solution, blank = built.autograder / "rnn_lab.ipynb", built.student / "rnn_lab.ipynb"
    submissions = {
        # The looping one goes first so that its minute overlaps the others.
        "loops": with_cell(read(solution), "while True:\n    pass"),
        "solution": read(solution),
        "blank": read(blank),
        # sequence_probability counts the first token's own probability too.
        "wrong_bigram": replace_in_cell(
            read(solution),
            "def sequence_probability",
            "return torch.prod(transitions)",
            "return torch.prod(transitions) * 0.6",
        ),
        "raises": replace_in_cell(
            read(solution), "h1 = relu(", "h1 = relu(", "raise RuntimeError('no')\nh1 = relu("
        ),
        "deletes": with_cell(
            read(solution),
            "import os, shutil\n"
            "for entry in os.listdir('.'):\n"
            "    shutil.rmtree(entry) if os.path.isdir(entry) else os.remove(entry)",
        ),
        # Leaves a process running in a session of its own.
        "lingers": with_cell(
            read(solution),
            "import subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', "
            f"{LINGERING!r}], start_new_session=True)",
        ),
        # Looks for test files and zips in its folder and the grader's scratch folder
        # above it, and at its grader's command line; writes what it found to leak.json.
        # (The instructor's own build folder is another matter: see rnnlab.notebook.)
        "snoops": with_cell(
            read(solution),
            "import glob, json, os\n"
            "found = {}\n"
            "for pattern in ['**/*.py', '../**/*.py', '../**/*.zip', '../**/tests/*']:\n"
            "    for path in glob.glob(pattern, recursive=True):\n"
            "        found[os.path.abspath(path)] = open(path, errors='replace').read()\n"
            "found['cmdline'] = open(f'/proc/{os.getppid()}/cmdline').read()\n"
            f"json.dump(found, open({str(leak)!r}, 'w'))",
        ),
        # The blank notebook, writing test files that pass everything and a result of its own.
        "forges": with_cell(
            read(blank),
            "import json, os\n"
            "fake = \"OK_FORMAT = True\\ntest = {'name': '%s', 'points': 100, 'suites': "
            "[{'cases': [{'code': '>>> 1', 'hidden': False, 'locked': False}], "
            "'scored': True, 'setup': '', 'teardown': '', 'type': 'doctest'}]}\"\n"
            f"for name in {sorted(POINTS)!r}:\n"
            "    for folder in ['tests', '../tests', '../work/tests']:\n"
            "        os.makedirs(folder, exist_ok=True)\n"
            "        open(f'{folder}/{name}.py', 'w').write(fake % name)\n"
            "json.dump({'points': {name: 100 for name in "
            f"{sorted(POINTS)!r}}}, 'reason': ''}}, open('../result.json', 'w'))",
        ),
    }
    paths = [write(nb, folder / f"{name}.ipynb") for name, nb in submissions.items()]
    out = folder / "scores.csv"
    result = CliRunner().invoke(
        app,
        [
            "notebook",
            "grade",
            *map(str, paths),
            "--out",
            str(out),
            "--autograder",
            str(built.autograder),
            "--timeout",
            str(TIMEOUT),
            "--jobs",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    with open(out, newline="") as stream:
        rows = {Path(row["submission"]).stem: row for row in csv.DictReader(stream)}
    return folder, rows, result


def points(row: dict) -> dict[str, float]:
    return {name: float(row[name]) for name in POINTS}


def test_build_writes_student_and_autograder_versions(built):
    student = read(built.student / "rnn_lab.ipynb")
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    # The lab's checks and names are there; the answers are not.
    for check in POINTS:
        assert f'grader.check("{check}")' in code
    for name in ("h1 = ...", "o1 = ...", "h2 = ...", "o2 = ...", "U = ...", "V = ...", "W = ..."):
        assert name in code
    for answer in ("U @ x1 + V @ h0", "T.T", "torch.prod(transitions)", "h11 = h1_[0]"):
        assert answer not in code
    assert "wget" not in code and "git clone" not in code and "pip install" not in code
    # The student's tests are public only; the autograder's include hidden ones.
    public = "".join(p.read_text() for p in (built.student / "tests").glob("*.py"))
    assert sorted(p.stem for p in (built.student / "tests").glob("*.py")) == sorted(POINTS)
    assert "'hidden': True" not in public and "'hidden': False" in public
    with zipfile.ZipFile(built.zip) as archive:
        hidden = "".join(
            archive.read(n).decode() for n in archive.namelist() if n.startswith("tests/")
        )
    assert hidden.count("'hidden': True") >= len(POINTS)
    assert notebook.questions(built.zip) == [notebook.Question(n, p) for n, p in POINTS.items()]


def test_the_build_command_rebuilds_in_place(tmp_path):
    for _ in range(2):  # the second build replaces the first
        result = CliRunner().invoke(app, ["notebook", "build", str(tmp_path)])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["autograder", "student"]
    assert len(list((tmp_path / "autograder").glob("*.zip"))) == 1
    assert str(notebook.autograder_zip(tmp_path)) in result.output


def test_the_solution_scores_full_marks(class_of):
    _, rows, _ = class_of
    assert rows["solution"]["status"] == "graded"
    assert points(rows["solution"]) == POINTS
    assert float(rows["solution"]["total"]) == float(rows["solution"]["possible"]) == FULL


def test_the_blank_notebook_scores_zero_everywhere(class_of):
    _, rows, _ = class_of
    assert rows["blank"]["status"] == "graded"
    assert points(rows["blank"]) == dict.fromkeys(POINTS, 0.0)


def test_a_wrong_answer_loses_exactly_that_questions_points(class_of):
    _, rows, _ = class_of
    assert points(rows["wrong_bigram"]) == {**POINTS, "bigram": 0.0}


def test_a_submission_that_raises_is_graded_on_the_rest(class_of):
    _, rows, _ = class_of
    assert rows["raises"]["status"] == "graded"
    assert points(rows["raises"]) == {**POINTS, "forward": 0.0}


def test_a_submission_that_loops_forever_is_killed_and_scores_zero(class_of):
    _, rows, _ = class_of
    assert rows["loops"]["status"] == "timeout"
    assert f"{TIMEOUT} s" in rows["loops"]["reason"]
    assert float(rows["loops"]["total"]) == 0
    # Its kernel, which runs in a session of its own, was killed with it.
    leftovers = [
        p.info["cmdline"]
        for p in psutil.process_iter(["cmdline"])
        if any("rnnlab-grade-" in part for part in p.info["cmdline"] or [])
    ]
    assert leftovers == []


def test_nothing_a_submission_starts_outlives_its_grading(class_of):
    _, rows, _ = class_of
    assert points(rows["lingers"]) == POINTS
    lingering = [
        p for p in psutil.process_iter(["cmdline"]) if LINGERING in (p.info["cmdline"] or [])
    ]
    for process in lingering:
        process.kill()
    assert lingering == []


def test_a_submission_that_deletes_its_files_loses_nothing(class_of):
    _, rows, _ = class_of
    assert rows["deletes"]["status"] == "graded"
    assert points(rows["deletes"]) == POINTS


def test_the_hidden_tests_are_out_of_the_notebooks_reach(class_of):
    folder, rows, _ = class_of
    assert points(rows["snoops"]) == POINTS
    found = json.loads((folder / "leak.json").read_text())
    assert "worker.py" in found.pop("cmdline")  # it did look at its grader
    assert not any("hidden" in text or "OK_FORMAT" in text for text in found.values())
    assert not any(path.endswith(".zip") for path in found)


def test_forged_tests_and_results_change_nothing(class_of):
    _, rows, _ = class_of
    assert rows["forges"]["status"] == "graded"
    assert points(rows["forges"]) == dict.fromkeys(POINTS, 0.0)


def test_the_cli_prints_a_summary_and_writes_the_table_whole(class_of):
    folder, rows, result = class_of
    assert len(rows) == 9
    assert "9 submissions: 8 graded, 1 timed out, 0 failed" in result.output, result.output
    assert not list(folder.glob(".*.tmp"))


def test_bad_input_is_one_line_and_status_2(tmp_path, rnnlab_process):
    for arguments, message in (
        (["notebook", "grade", str(tmp_path / "missing.ipynb")], "does not exist"),
        (["notebook", "grade", __file__], "expected a .ipynb file"),
        (["notebook", "grade", __file__.replace(".py", ".ipynb"), "--jobs", "0"], "--jobs"),
    ):
        result = rnnlab_process(*arguments)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
    with pytest.raises(InvalidValueError, match="no autograder zip"):
        notebook.autograder_zip(tmp_path)
