"""run_autograder's work: grade the submitted notebook, write Gradescope's results.json."""

import json
import os
from pathlib import Path

from rnnlab.files import write_atomic
from rnnlab.grading import derivations, inert, sandbox
from rnnlab.grading.checks import Question
from rnnlab.grading.grader import (
    DEFAULT_TIMEOUT,
    Score,
    grade_one,
    limits,
    questions_from_json,
    submissions_in,
)


def main() -> None:
    """Grade the submission's notebook and write results.json (run_autograder)."""
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    results = root / "results" / "results.json"
    questions = questions_from_json((root / "source" / "checks.json").read_bytes())
    try:
        notebook = _the_notebook(root / "submission")
        box = sandbox.probe(uids_only=True)
    except (ValueError, OSError) as error:
        write_atomic(results, json.dumps(_refused(questions, inert.line(str(error))), indent=1))
        return
    score = grade_one(box, notebook, questions, limits(DEFAULT_TIMEOUT, 1))
    write_atomic(results, json.dumps(results_json(score, questions, box.describe()), indent=1))


def _the_notebook(folder: Path) -> Path:
    """The submitted notebook: the lab's by name, or the only one."""
    found = submissions_in([folder])
    named = [path for path in found if path.name == "rnn_lab.ipynb"]
    if len(named) == 1 or len(found) == 1:
        return (named or found)[0]
    names = ", ".join(path.name for path in found)
    raise ValueError(f"the submission holds {len(found)} notebooks ({names}); hand in one")


def results_json(score: Score, questions: "list[Question] | tuple[Question, ...]", how: str):
    """Gradescope's results: one test per check, public ones visible, hidden ones hidden,
    and one per derivation, with the verdict on the formula."""
    tests = []
    for question in questions:
        if question.written:
            continue
        if question.name in derivations.DERIVATIONS:
            derived = score.derived.get(question.name)
            line = "not graded" if derived is None else derived.line()
            tests.append(
                {
                    "name": f"{question.name}, the derivation",
                    "score": score.points.get(question.name, 0.0),
                    "max_score": question.points,
                    "visibility": "visible",
                    "output": inert.line(line),
                }
            )
            continue
        checks = [r for r in score.results if r.question == question.name]
        for number, check in enumerate(question.checks, start=1):
            result = checks[number - 1] if len(checks) == len(question.checks) else None
            passed = result is not None and result.passed
            kind = "hidden" if check.hidden else "public"
            if passed:
                output = "passed"
            elif check.hidden:
                output = "hidden test failed"
            else:
                output = check.message + (f" ({inert.line(result.detail)})" if result else "")
            tests.append(
                {
                    "name": f"{question.name}, {kind} check {number}",
                    "score": question.points_per_check if passed else 0.0,
                    "max_score": question.points_per_check,
                    "visibility": "hidden" if check.hidden else "visible",
                    "output": output,
                }
            )
    status = ""
    if score.status != "graded":
        status = f"Not graded ({score.status}): {inert.line(score.reason)}\n"
    return {
        "score": score.total,
        "output": f"{status}{how}",
        "tests": tests,
        "visibility": "visible",
        "stdout_visibility": "hidden",
    }


def _refused(questions, reason: str) -> dict:
    possible = sum(q.points for q in questions if not q.written)
    return {"score": 0.0, "output": f"Not graded: {reason} (out of {possible:g})", "tests": []}
