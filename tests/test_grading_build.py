"""`rnnlab notebook build`: the student and autograder versions, and otter's tests agreeing
with the grader's checks (both made from rnnlab.grading.checks)."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from grading_class import POINTS, TESTED
from rnnlab import grading
from rnnlab.cli import app
from rnnlab.grading import derivations


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> grading.Build:
    return grading.build(tmp_path_factory.mktemp("build"))


def zip_tests(path: Path) -> dict:
    """The zip's exception-based tests, parsed the way otter parses them."""
    from otter.test_files import ExceptionTestFile

    tests = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.startswith("tests/"):
                source = archive.read(member).decode()
                test = ExceptionTestFile.from_string(source, path=member)
                test.source = source
                tests[test.name] = test
    return tests


def test_build_writes_student_and_autograder_versions(built):
    student = nbformat.read(built.student / "rnn_lab.ipynb", as_version=4)
    code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for question in POINTS:
        assert f'grader.check("{question}")' in code
    for name in ("h1 = ...", "o1 = ...", "U = ...", "V = ...", "W = ..."):
        assert name in code
    for answer in ("U @ x1 + V @ h0", "T.T", "torch.prod(transitions)", "h11 = h1_[0]"):
        assert answer not in code
    public = "".join(p.read_text() for p in (built.student / "tests").glob("*.py"))
    assert sorted(p.stem for p in (built.student / "tests").glob("*.py")) == sorted(TESTED)
    assert "hidden=True" not in public and "hidden=False" in public
    assert json.loads((built.autograder / "checks.json").read_text())["format"] == 2


def test_otters_tests_are_the_checks_case_for_case(built):
    tests = zip_tests(built.zip)
    questions = {q.name: q for q in grading.read_checks(built.autograder) if not q.written}
    assert questions == {q.name: q for q in grading.questions() if not q.written}
    assert sorted(tests) == sorted(questions) == sorted(TESTED)
    for name, test in tests.items():
        question = questions[name]
        # otter adds its cases' points: six cases of 2/6 make 1.9999999999999998
        assert test.possible == pytest.approx(question.points)
        assert question.points == POINTS.get(name, 0.0)
        if name in derivations.DERIVATIONS:  # a case per share of the paths, all public
            shares = derivations.cases(derivations.DERIVATIONS[name])
            assert [case.hidden for case in test.test_cases] == [False] * shares
            assert test.source.count("otter_case(") == shares
            continue
        assert [case.hidden for case in test.test_cases] == [c.hidden for c in question.checks]
        assert test.source.count("@test_case(") == len(question.checks)
        for case in test.test_cases:
            assert case.points == pytest.approx(question.points_per_check)
        for check in question.checks:
            assert repr(check.expression) in test.source and repr(check.expected) in test.source


def test_the_build_command_rebuilds_in_place(tmp_path):
    for _ in range(2):  # the second build replaces the first
        result = CliRunner().invoke(app, ["notebook", "build", str(tmp_path)])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["autograder", "student"]
    assert len(list((tmp_path / "autograder").glob("rnn_lab-autograder_*.zip"))) == 1
    assert (tmp_path / "autograder" / "gradescope.zip").is_file()
    assert str(grading.autograder_zip(tmp_path)) in result.output


@pytest.mark.slow
def test_stock_otter_run_gives_what_rnnlabs_grader_gives(built, tmp_path):
    """The same notebooks through otter's doctests (in the student's kernel): the
    solution full, a wrong sequence_probability loses bigram, the blank notebook 0."""
    wrong = nbformat.read(built.autograder / "rnn_lab.ipynb", as_version=4)
    wrong.cells.append(
        nbformat.v4.new_code_cell(
            "_right = sequence_probability\n"
            "def sequence_probability(seq, T):\n"
            "    return _right(seq, T) * 0.5\n"
        )
    )
    nbformat.write(wrong, tmp_path / "wrong.ipynb")
    cases = {
        "solution": (built.autograder / "rnn_lab.ipynb", POINTS),
        "wrong": (tmp_path / "wrong.ipynb", {**POINTS, "bigram": 0.0}),
        "blank": (built.student / "rnn_lab.ipynb", dict.fromkeys(POINTS, 0.0)),
    }
    bin_folder = Path(sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    for name, (notebook, expected) in cases.items():
        out = tmp_path / name
        out.mkdir()
        subprocess.run(
            [bin_folder / "otter", "run", "--no-logo", "-a", built.zip, "-o", out, notebook],
            env=environment,
            check=True,
            capture_output=True,
            timeout=300,
        )
        results = json.loads((out / "results.json").read_text())
        got = {t["name"]: t["score"] for t in results["tests"] if t["name"] in POINTS}
        assert got == expected, name
