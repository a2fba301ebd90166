"""``rnnlab formula --check "…"``: a learner's own formula for dL/dU, checked and explained.

Prints the verdict (correct, wrong or unreadable) and the message a student reads, and
exits 0 when the formula is correct, 1 when it is wrong and 2 when it cannot be read.
"""

import typer

from rnnlab.cli.display import console

WRONG = 1
"""Exit status for a formula that was read and is not dL/dU."""
UNREADABLE = 2
"""Exit status for text that is no formula (as for any bad input)."""


def check_formula(answer: str, N: "int | None", wrt: str) -> None:
    """Check ``answer`` for length N (None: for every N) and exit with its status."""
    from rnnlab.formulas import check_answer

    verdict = check_answer(answer, N, wrt)
    heading = "correct" if verdict.correct else "wrong" if verdict.readable else "unreadable"
    console.print(f"verdict: {heading}")
    # soft_wrap: the message's terms stay whole, as they were written.
    console.print(verdict.message, soft_wrap=True)
    if not verdict.correct:
        raise typer.Exit(WRONG if verdict.readable else UNREADABLE)
