"""The notebook's checks, one source of truth for both ways of grading it.

Each autograded question is a list of ``Check``s: an expression on the student's names,
its expected value (computed here by rnnlab and torch, never typed in), tolerances,
whether it is hidden, and the message a student reads when a public one fails. From
these come

- the master notebook's test cells (``test_cell``, written by ``sync_master``), which
  otter assign turns into the autograder zip's exception-based tests: each is a
  function calling ``rnnlab.grading.plain.check(env, expression, expected, rtol, atol,
  message)`` on the notebook's names;
- ``checks.json`` (``to_json``), which ``rnnlab notebook grade`` reads as data: the
  expressions go into the sandbox, their plain values come out, and the comparison with
  the expected values happens outside it.

Points are shared equally among a question's checks, as otter shares them among test
cases. Run ``python -m rnnlab.grading`` after changing a check: it rewrites the master
notebook's test cells (a test fails while they are out of step).
"""

import json
from pathlib import Path

from rnnlab.grading import derivations
from rnnlab.grading.cases import CHECKS_FORMAT, Check, Question
from rnnlab.grading.checks_backward import automatic_diff_question, bptt_question
from rnnlab.grading.checks_forward import (
    bigram_question,
    forward_question,
    general_bigram_rnn_question,
    tiny_bigram_rnn_question,
)

__all__ = [
    "CHECKS_FORMAT",
    "Check",
    "Question",
    "questions",
    "sync_master",
    "test_cell",
    "to_json",
    "write_master",
]


def questions() -> tuple[Question, ...]:
    """Every question of the notebook, in its order: autograded ones with their checks,
    the derivations of section 3 (graded from their answer cells by ``derivations``;
    3.5's earns no points), and the written ones, read by a person (the debrief, 0
    points, is read and not marked)."""
    return (
        Question("h_one_more", 1, written=True),
        forward_question(),
        bigram_question(),
        tiny_bigram_rnn_question(),
        Question("general_bigram_RNN_answer", 2, written=True),
        general_bigram_rnn_question(),
        Question("bptt_1", 2),
        Question("bptt_2", 2),
        Question("bptt_3", 2),
        bptt_question(),
        Question("looking_back", 1, written=True),
        automatic_diff_question(),
        Question("bptt_general", 0),
        Question("debrief", 0, written=True),
    )


def test_cell(check: Check, name: str) -> str:
    """The source of a master notebook test cell (otter's input) for one check: otter's
    exception-based test, a function ``name`` of the notebook's names ``env``.

    A failed check shows its message and what it got in a line or two, not a traceback.
    """
    lines = [
        *(["# HIDDEN"] if check.hidden else []),
        f"def {name}(env):",
        f"    expression = {check.expression!r}",
        f"    expected = {check.expected!r}",
        f"    rtol, atol = {check.tolerance!r}, {check.atol!r}",
        f"    message = {check.message!r}",
        "    from rnnlab.grading.plain import check",
        "",
        "    check(env, expression, expected, rtol, atol, message)",
    ]
    return "\n".join(lines)


def to_json(all_questions: "tuple[Question, ...] | None" = None) -> str:
    """checks.json: every question, with its checks, as the grader reads it."""
    return json.dumps(
        {
            "format": CHECKS_FORMAT,
            "questions": [
                {
                    "name": question.name,
                    "points": question.points,
                    "written": question.written,
                    "checks": [
                        {
                            "expression": check.expression,
                            "expected": check.expected,
                            "tolerance": check.tolerance,
                            "atol": check.atol,
                            "hidden": check.hidden,
                            "message": check.message,
                        }
                        for check in question.checks
                    ],
                }
                for question in all_questions or questions()
            ],
        },
        indent=1,
    )


def sync_master(notebook: dict, all_questions: "tuple[Question, ...] | None" = None) -> dict:
    """The master notebook (an nbformat NotebookNode) with each question's test cells
    made from its checks.

    Also writes each question's points and, for a written one, ``manual: true`` into its
    ``# BEGIN QUESTION`` cell; raises ValueError when the master's questions are not these.
    Cell ids are derived from the question, so a second sync changes nothing.
    """

    by_name = {question.name: question for question in all_questions or questions()}
    cells, seen, question, skipping = [], [], None, False
    for cell in notebook.cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            name = next(
                line.split(":", 1)[1].strip()
                for line in cell.source.splitlines()
                if line.startswith("name:")
            )
            if name not in by_name:
                raise ValueError(f"the master's question {name} has no entry in checks.py")
            question = by_name[name]
            seen.append(name)
            # otter marks a manual or exported question's cells in the student's notebook,
            # and the worker reads an answer cell between those marks.
            manual = ["manual: true"] if question.written else []
            export = ["export: true"] if name in derivations.DERIVATIONS else []
            cell.source = "\n".join(
                [
                    "# BEGIN QUESTION",
                    f"name: {name}",
                    f"points: {question.points:g}",
                    *manual,
                    *export,
                ]
            )
        elif cell.cell_type == "raw" and cell.source.startswith("# BEGIN TESTS"):
            cells.append(cell)
            for test in _test_cells(question):
                cells.append(test)
            skipping = True
            continue
        elif cell.cell_type == "raw" and cell.source.startswith("# END TESTS"):
            skipping = False
        if not skipping:
            cells.append(cell)
    if seen != list(by_name):
        raise ValueError(f"the master's questions are {seen}, checks.py's are {list(by_name)}")
    notebook.cells = cells
    return notebook


def _test_cells(question: Question) -> list:
    """A question's test cells: one per check, or one per share of a derivation."""
    import nbformat

    if question.name in derivations.DERIVATIONS:
        total = derivations.cases(derivations.DERIVATIONS[question.name])
        sources = [(derivations.otter_test_cell(question.name, i), i) for i in range(1, total + 1)]
    else:
        sources = [
            (test_cell(check, f"test_{question.name}_{number}"), number)
            for number, check in enumerate(question.checks)
        ]
    cells = []
    for source, number in sources:
        test = nbformat.v4.new_code_cell(source)
        test.id = f"test-{question.name}-{number}"
        cells.append(test)
    return cells


def write_master(path: Path) -> None:
    """Rewrite the master notebook's test cells from the checks (a developer's tool)."""
    import nbformat

    from rnnlab.files import write_atomic

    notebook = sync_master(nbformat.read(path, as_version=4))
    write_atomic(path, nbformat.writes(notebook) + "\n")
