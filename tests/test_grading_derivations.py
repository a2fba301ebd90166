"""The derivations 3.1–3.3 and 3.5 graded from their Markdown cells, on both grading paths.

Every expected share below is derived by hand from the rule: a correct formula earns all
N(N + 1)/2 shares; any other earns (paths present − extra terms), at least 0 and at most
one share short of all.
"""

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.grading import derivations, worker
from rnnlab.grading.derivations import (
    TAG,
    cases,
    check_derivation,
    credit,
    formula_in,
    grade_answer,
    grade_written,
    judge,
    otter_case,
    otter_test_cell,
    shares,
)


def factor(of: str, wrt: str) -> str:
    return rf"\frac{{\partial {of}}}{{\partial {wrt}}}"


def path(k: int, t: int, wrt: str = "U") -> str:
    """The term of path (k, t) in LaTeX, written here from its definition."""
    steps = "".join(factor(f"h_{j}", f"h_{j - 1}") for j in range(t, k, -1))
    return factor("L", f"o_{t}") + factor(f"o_{t}", f"h_{t}") + steps + factor(f"h_{k}", wrt)


def cell(terms: list[str], left: str = r"\frac{\partial L}{\partial U}") -> str:
    """A Markdown answer cell with prose around one display formula."""
    return f"**Answer.** The paths give\n$${left} = {' + '.join(terms)}.$$\nThat is all."


ALL = {N: [path(k, t) for t in range(1, N + 1) for k in range(1, t + 1)] for N in (1, 2, 3)}
THROUGH_O = factor("L", "o_2") + factor("o_2", "U")  # o_t's partial in U is 0: no path
GENERAL = (
    r"$$\frac{\partial L}{\partial U} = \sum_{t=1}^{N} \frac{\partial L}{\partial o_t}"
    r"\frac{\partial o_t}{\partial h_t} \sum_{k=1}^{t} \left(\prod_{j=k+1}^{t} "
    r"\frac{\partial h_j}{\partial h_{j-1}}\right) \frac{\partial h_k}{\partial U}$$"
)


@pytest.mark.parametrize(
    ("answer", "N", "earned", "total"),
    [
        (cell(ALL[1]), 1, 1, 1),
        (cell(ALL[2]), 2, 3, 3),
        (cell(list(reversed(ALL[3]))), 3, 6, 6),
        (cell([path(1, 1), path(2, 2)]), 2, 2, 3),  # path (1, 2) missing: 2 of 3
        (cell([p for p in ALL[3] if p != path(1, 3)]), 3, 5, 6),  # one of 6 missing
        (cell([*ALL[2], THROUGH_O]), 2, 2, 3),  # all 3, one extra term: 3 − 1
        (cell([*ALL[2], path(2, 2)]), 2, 2, 3),  # a path counted twice: one extra
        (cell([path(1, 1), path(2, 2), THROUGH_O]), 2, 1, 3),  # 2 present − 1 extra
        (cell([path(1, 1), THROUGH_O, THROUGH_O, path(1, 1, "V")]), 2, 0, 3),  # 1 − 2 < 0
        (cell(ALL[2]), 3, 3, 6),  # the answer for N = 2 given for N = 3: 3 of 6 paths
        (cell(ALL[3]), 2, 0, 3),  # for N = 3 given for N = 2: 3 present − 3 extra
        (cell(ALL[2], left=r"\frac{\partial L}{\partial V}"), 2, 2, 3),  # capped one short
        (cell([path(1, 1), path(1, 1)]), 1, 0, 1),  # N = 1: anything wrong earns 0
        (GENERAL, None, 1, 1),
        (cell(ALL[3]), None, 0, 1),  # the N = 3 sum is no formula for any N
    ],
)
def test_the_rule_on_hand_derived_answers(answer, N, earned, total):
    verdict = judge(answer, N)
    assert (shares(verdict, N), cases(N)) == (earned, total)
    assert credit(verdict, N) == earned / total
    assert grade_answer(answer, N) == (earned / total, verdict.message)
    assert verdict.correct == (earned == total)


def test_the_feedback_names_the_missing_paths():
    fraction, message = grade_answer(cell([p for p in ALL[3] if p != path(1, 3)]), 3)
    assert fraction == 5 / 6
    assert "Missing paths (k, t)" in message and "(1, 3)" in message
    assert "(1, 2)" not in message


@pytest.mark.parametrize(
    ("answer", "reading"),
    [
        (cell(ALL[2]).replace("o_1}", "o_1", 1), "Could not read the formula"),  # brace lost
        ("The derivative is the sum of all paths.", "Could not read the formula"),
        ("", "No formula yet"),
        ("  \n", "No formula yet"),
        (derivations.PLACEHOLDER, "No formula yet"),
    ],
)
def test_an_unreadable_or_empty_answer_earns_nothing_and_says_why(answer, reading):
    fraction, message = grade_answer(answer, 2)
    assert fraction == 0.0
    assert message.startswith(reading)


def test_the_formula_is_the_last_display_block_else_the_last_inline_one():
    assert formula_in("first $$a = b$$ then $$c = d$$ done") == "c = d"
    assert formula_in(r"so \[x + y\] it is") == "x + y"
    assert formula_in(r"\begin{align} x &= y \end{align}") == r"\begin{align} x &= y \end{align}"
    assert formula_in("we have $x$ and so $dL/dU = y$.") == "dL/dU = y"
    assert formula_in("dL/dU = dL/do1 * do1/dh1 * dh1/dU") == "dL/dU = dL/do1 * do1/dh1 * dh1/dU"
    assert grade_answer("dL/dU = dL/do1 * do1/dh1 * dh1/dU", 1)[0] == 1.0


def test_bad_values_are_refused_by_name():
    with pytest.raises(InvalidTypeError, match="int"):
        judge(3, 2)
    with pytest.raises(InvalidValueError, match="3 written answers for 2 questions"):
        grade_written(["", "", ""], ["bptt_1", "bptt_2"], {})
    with pytest.raises(InvalidValueError, match="'bptt_9'"):
        otter_case("bptt_9", 1)
    with pytest.raises(InvalidValueError, match="N is needed"):
        check_derivation(cell(ALL[1]))


# The student's notebook as otter assign writes it for a question with `export: true` and
# tests: the prompt opens otter's export block and carries the derivation's tag; the answer
# cell, then otter's grader.check cell; a cell closes the block; the check cell follows.


def student_notebook(answers: dict[str, str]) -> dict:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# The lab"}]
    for name, answer in answers.items():
        prompt = f"{derivations.BEGIN}\n{TAG.format(name=name)}\n**Question.** Write dL/dU."
        cells += [
            {"cell_type": "markdown", "metadata": {}, "source": prompt.splitlines(True)},
            {"cell_type": "markdown", "metadata": {}, "source": answer},
            {"cell_type": "code", "metadata": {}, "source": f"grader.check({name!r})"},
            {"cell_type": "markdown", "metadata": {}, "source": derivations.END + "\n\n"},
            {"cell_type": "code", "metadata": {}, "source": f"check_derivation({name!r})"},
        ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def otter_score(question: str, points: float, folder) -> float:
    """The points otter gives a question whose test cells are otter_test_cell's: the
    cells written into an exception-based test file, as otter assign writes one, and run
    as otter runs it."""
    from otter.test_files.exception_test import ExceptionTestFile

    total = cases(derivations.DERIVATIONS[question])
    decorated = [
        f"@test_case(points=None, hidden=False)\n{otter_test_cell(question, i)}"
        for i in range(1, total + 1)
    ]
    source = "\n\n".join(
        [
            "from otter.test_files import test_case",
            "OK_FORMAT = False",
            f"name = {question!r}",
            f"points = {points!r}",
            *decorated,
        ]
    )
    path = Path(folder) / f"{question}.py"
    path.write_text(source)
    test = ExceptionTestFile.from_file(str(path))
    test.run({})
    return test.score


ANSWERS = {
    "bptt_1": [cell(ALL[1]), cell([path(1, 1), THROUGH_O]), "$$\\frac{$$"],
    "bptt_2": [cell(ALL[2]), cell([path(1, 1), path(2, 2)]), cell([*ALL[2], THROUGH_O]), ""],
    "bptt_3": [cell(ALL[3]), cell(ALL[3][:-1]), cell(ALL[2]), cell([*ALL[3], *ALL[3]])],
}


@pytest.mark.parametrize(
    ("variant", "expected"),
    # The shares of bptt_1, bptt_2, bptt_3 by hand: e.g. variant 2 has an unreadable 3.1,
    # 3 paths and an extra term for 3.2 (3 − 1), and 3.2's 3 paths for 3.3 (3 of 6).
    [(0, (1, 3, 6)), (1, (0, 2, 5)), (2, (0, 2, 3)), (3, (1, 0, 0))],
)
def test_otter_and_the_grader_give_the_same_points_to_the_last_bit(
    variant, expected, tmp_path, monkeypatch
):
    answers = {name: texts[variant % len(texts)] for name, texts in ANSWERS.items()}
    notebook = student_notebook({**answers, "bptt_general": GENERAL})
    (tmp_path / "submission.ipynb").write_text(json.dumps(notebook))
    monkeypatch.chdir(tmp_path)  # otter runs a submission's tests in its folder
    # rnnlab's grader: the worker's written answers, scored outside the sandbox.
    names = [*answers, "bptt_general"]
    written = worker.written_answers(tmp_path / "submission.ipynb", len(names))
    points = {"bptt_1": 2, "bptt_2": 2, "bptt_3": 2}
    graded = grade_written(written, names, points)
    assert tuple(graded[name].shares for name in answers) == expected
    for name, share in zip(answers, expected, strict=True):
        assert graded[name].points == otter_score(name, 2, tmp_path)
        assert graded[name].points == sum([2 / graded[name].cases] * share)
    assert graded["bptt_general"].possible == 0.0 and graded["bptt_general"].shares == 1
    assert otter_score("bptt_general", 0, tmp_path) == 0.0


def test_the_grader_skips_hand_graded_answers_and_writes_a_line_for_each():
    graded = grade_written(
        ["prose", cell([path(1, 1), path(2, 2)]), GENERAL],
        ["h_one_more", "bptt_2", "bptt_general"],
        {"bptt_2": 2},
    )
    assert list(graded) == ["bptt_2", "bptt_general"]
    assert graded["bptt_2"].points == 2 / 3 + 2 / 3
    assert (
        graded["bptt_2"]
        .line()
        .startswith("bptt_2 (dL/dU for N = 2): 1.333 of 2 points (2 of 3 shares). Not correct")
    )
    assert "(1, 2)" in graded["bptt_2"].line()
    assert (
        graded["bptt_general"]
        .line()
        .startswith("bptt_general (dL/dU for any N): optional, no points. Correct")
    )


def test_a_failing_otter_case_carries_the_verdict(tmp_path, monkeypatch):
    notebook = student_notebook({"bptt_2": cell([path(1, 1), path(2, 2)])})
    (tmp_path / "rnn_lab.ipynb").write_text(json.dumps(notebook))
    monkeypatch.chdir(tmp_path)
    otter_case("bptt_2", 2)
    with pytest.raises(AssertionError, match=r"2 of 3 shares: Not correct .*\(1, 2\)"):
        otter_case("bptt_2", 3)
    with pytest.raises(AssertionError, match="no answer cell for bptt_3"):
        otter_case("bptt_3", 1)


# The check cell, in the student's kernel.


def test_the_check_cell_reads_the_saved_file_and_prints_verdict_and_credit(
    tmp_path, monkeypatch, capsys
):
    answer = cell([path(1, 1), path(2, 2)])
    (tmp_path / "rnn_lab.ipynb").write_text(json.dumps(student_notebook({"bptt_2": answer})))
    (tmp_path / "other.ipynb").write_text("{}")  # rnn_lab.ipynb is preferred
    monkeypatch.chdir(tmp_path)
    check_derivation("bptt_2")
    out = capsys.readouterr().out
    assert out.startswith(f"Your answer, read from rnn_lab.ipynb as last saved:\n{answer}\n")
    assert (
        "Missing paths (k, t), where U enters at h_k and the path leaves through o_t: (1, 2)."
        in out
    )
    assert out.endswith("Credit: 2 of 3 shares, 67% of the points.\n")


def test_the_check_cell_renders_markdown_in_ipython(tmp_path, monkeypatch, capsys):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", shown.append)
    check_derivation(GENERAL, None)
    (markdown,) = shown
    assert isinstance(markdown, IPython.display.Markdown)
    assert markdown.data == f"Your answer, read from the text given:\n\n{GENERAL}"
    out = capsys.readouterr().out
    assert out.startswith("Correct: for every N from 1 to 12")
    assert out.endswith("This question is optional and earns no points.\n")


def fake_colab(monkeypatch, reply):
    """google.colab with a _message.blocking_request that answers ``reply`` (or raises it)."""
    asked = []

    def blocking_request(request, timeout_sec=None):
        asked.append((request, timeout_sec))
        if isinstance(reply, Exception):
            raise reply
        return reply

    google, colab = types.ModuleType("google"), types.ModuleType("google.colab")
    message = types.ModuleType("google.colab._message")
    message.blocking_request = blocking_request
    colab._message, google.colab = message, colab
    for name, module in [("google", google), ("google.colab", colab), (message.__name__, message)]:
        monkeypatch.setitem(sys.modules, name, module)
    return asked


def test_in_colab_the_live_notebook_is_read_unsaved_edits_included(tmp_path, monkeypatch, capsys):
    stale = student_notebook({"bptt_1": derivations.PLACEHOLDER})
    (tmp_path / "rnn_lab.ipynb").write_text(json.dumps(stale))
    monkeypatch.chdir(tmp_path)
    asked = fake_colab(monkeypatch, {"ipynb": student_notebook({"bptt_1": cell(ALL[1])})})
    check_derivation("bptt_1")
    assert asked == [("get_ipynb", 30)]
    out = capsys.readouterr().out
    assert out.startswith("Your answer, read from the notebook open in Colab:")
    assert out.endswith("Credit: 1 of 1 shares, 100% of the points.\n")


@pytest.mark.parametrize("reply", [TimeoutError("no answer"), {"ipynb": None}, None])
def test_when_colab_does_not_answer_the_saved_file_is_read(reply, tmp_path, monkeypatch):
    (tmp_path / "lab.ipynb").write_text(json.dumps(student_notebook({"bptt_1": cell(ALL[1])})))
    monkeypatch.chdir(tmp_path)
    fake_colab(monkeypatch, reply)
    assert derivations.read_answer("bptt_1") == (cell(ALL[1]), "lab.ipynb as last saved")


def test_no_notebook_or_two_of_them_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    check_derivation("bptt_1")  # a check cell says so and lets the notebook run on
    assert capsys.readouterr().out.startswith("Cannot check bptt_1: no rnn_lab.ipynb in ")
    with pytest.raises(InvalidValueError, match="no rnn_lab.ipynb .* 0 other notebooks"):
        derivations.read_answer("bptt_1")
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / name).write_text("{}")
    with pytest.raises(InvalidValueError, match="2 other notebooks"):
        derivations.read_answer("bptt_1")
    (tmp_path / "rnn_lab.ipynb").write_text("{not json")
    with pytest.raises(InvalidValueError, match="cannot read"):
        derivations.read_answer("bptt_1")


def test_the_answer_is_what_the_worker_reads_between_the_markers():
    notebook = student_notebook({"bptt_1": "x", "bptt_2": "y", "bptt_3": derivations.PLACEHOLDER})
    assert [derivations.answer_in(notebook, q) for q in ("bptt_1", "bptt_2", "bptt_3")] == [
        "x",
        "y",
        "",
    ]
    assert derivations.answer_in(notebook, "bptt_general") is None
    assert derivations.answer_in({"cells": 3}, "bptt_1") is None


def test_the_module_runs_without_torch():
    code = "import sys, rnnlab.grading.derivations; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout == "False\n", result.stderr


def test_the_worker_leaves_otters_check_cell_out_of_a_written_answer(tmp_path):
    notebook = student_notebook({"bptt_1": "dL/dU = dL/do1 * do1/dh1 * dh1/dU"})
    (tmp_path / "rnn_lab.ipynb").write_text(json.dumps(notebook))
    written = worker.written_answers(tmp_path / "rnn_lab.ipynb", 1)
    assert written == ["dL/dU = dL/do1 * do1/dh1 * dh1/dU"]
    assert grade_written(written, ["bptt_1"], {"bptt_1": 2})["bptt_1"].points == 2.0


def mini_master(names: list[str]) -> dict:
    """A master notebook of the derivations alone, laid out as the lab's should be: each
    question exported (otter's markers) with its tag, a solution, an answer cell, one test
    cell per share, and the check cell after it."""
    import nbformat

    v4 = nbformat.v4
    config = (
        "# ASSIGNMENT CONFIG\nname: rnn_lab\ninit_cell: true\ncheck_all_cell: false\n"
        "export_cell: false\nrun_tests: false\nsolutions_pdf: false\ntemplate_pdf: false\n"
        "generate:\n  pdf: false\ntests:\n  files: true\n  ok_format: false"
    )
    cells = [v4.new_raw_cell(config), v4.new_markdown_cell("# The derivations")]
    for name in names:
        N = derivations.DERIVATIONS[name]
        cells += [
            v4.new_raw_cell(f"# BEGIN QUESTION\nname: {name}\npoints: 2\nexport: true"),
            v4.new_markdown_cell(f"{TAG.format(name=name)}\n**Question.** dL/dU for N = {N}."),
            v4.new_raw_cell("# BEGIN SOLUTION"),
            v4.new_markdown_cell(cell(ALL[N])),
            v4.new_raw_cell("# END SOLUTION"),
            v4.new_markdown_cell(derivations.PLACEHOLDER),
            v4.new_raw_cell("# BEGIN TESTS"),
            *(v4.new_code_cell(otter_test_cell(name, i)) for i in range(1, cases(N) + 1)),
            v4.new_raw_cell("# END TESTS"),
            v4.new_raw_cell("# END QUESTION"),
            v4.new_code_cell(
                "from rnnlab.grading.derivations import check_derivation\n\n"
                f"check_derivation({name!r})"
            ),
        ]
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return notebook


@pytest.mark.slow
def test_otter_assign_and_otter_grading_give_the_graders_points(tmp_path, monkeypatch):
    import nbformat
    from otter.api import grade_submission
    from otter.assign import main as otter_assign

    names = ["bptt_1", "bptt_2", "bptt_3"]
    nbformat.write(mini_master(names), tmp_path / "rnn_lab.ipynb")
    otter_assign(
        str(tmp_path / "rnn_lab.ipynb"), str(tmp_path / "dist"), no_pdfs=True, no_run_tests=True
    )
    student = nbformat.read(tmp_path / "dist" / "student" / "rnn_lab.ipynb", as_version=4)
    answers = iter([cell(ALL[1]), cell([path(1, 1), path(2, 2)]), cell(ALL[2])])
    for each in student.cells:
        if each.source.strip() == derivations.PLACEHOLDER:
            each.source = next(answers)
    submission = tmp_path / "submitted" / "my lab.ipynb"  # otter grades it under its own name
    submission.parent.mkdir()
    nbformat.write(student, submission)
    (autograder,) = (tmp_path / "dist" / "autograder").glob("*.zip")
    monkeypatch.chdir(tmp_path)
    results = grade_submission(str(submission), str(autograder), quiet=True)
    written = worker.written_answers(submission, len(names))
    graded = grade_written(written, names, dict.fromkeys(names, 2))
    assert [graded[name].shares for name in names] == [1, 2, 3]  # by hand: 1/1, 2/3, 3/6
    assert [results.get_score(name) for name in names] == [graded[n].points for n in names]
    assert [graded[name].points for name in names] == [2.0, 2 / 3 + 2 / 3, 1 / 3 + 1 / 3 + 1 / 3]


def test_the_grader_finds_the_derivations_among_the_questions():
    from rnnlab.grading.checks import Question

    questions = [
        Question("h_one_more", 1, written=True),
        Question("forward", 4),
        Question("bptt_1", 2),
        Question("bptt_2", 3),
        Question("looking_back", 1, written=True),
        Question("bptt_general", 0),
    ]
    names = derivations.answer_cells(questions)
    assert names == ["h_one_more", "bptt_1", "bptt_2", "looking_back", "bptt_general"]
    written = ("prose", cell(ALL[1]), cell([path(1, 1), path(2, 2)]), "more prose", "")
    graded = derivations.grade_questions(questions, written)
    assert {name: g.points for name, g in graded.items()} == {
        "bptt_1": 2.0,
        "bptt_2": 1.0 + 1.0,
        "bptt_general": 0.0,
    }
    assert graded["bptt_general"].message.startswith("No formula yet")


def test_the_notebook_jupyter_names_is_read_before_rnn_lab_ipynb(tmp_path, monkeypatch):
    # A student who renamed the notebook, beside the untouched hand-out: Jupyter Server
    # names the kernel's notebook (from the server's root) in JPY_SESSION_NAME.
    blank = student_notebook({"bptt_1": derivations.PLACEHOLDER})
    (tmp_path / "rnn_lab.ipynb").write_text(json.dumps(blank))
    mine = student_notebook({"bptt_1": cell(ALL[1])})
    (tmp_path / "mine.ipynb").write_text(json.dumps(mine))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert derivations.read_answer("bptt_1") == ("", "rnn_lab.ipynb as last saved")
    monkeypatch.setenv("JPY_SESSION_NAME", "course/week 5/mine.ipynb")
    assert derivations.read_answer("bptt_1") == (cell(ALL[1]), "mine.ipynb as last saved")
    monkeypatch.setenv("JPY_SESSION_NAME", "elsewhere/gone.ipynb")  # not here: the usual
    assert derivations.read_answer("bptt_1")[1] == "rnn_lab.ipynb as last saved"
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.setattr(
        sys.modules["__main__"], "__vsc_ipynb_file__", str(tmp_path / "mine.ipynb"), raising=False
    )
    assert derivations.read_answer("bptt_1")[1] == "mine.ipynb as last saved"
