"""``rnnlab formula``: dL/dU in the lab's notation, and a learner's own formula checked.

``rnnlab formula N`` prints dL/dU for length N, one term a line (``--general``: for any
N, with Σ and Π). ``rnnlab formula --check "…"`` prints the verdict on a learner's own
formula (correct, wrong or unreadable) and the message a student reads, and exits 0
when it is correct, 1 when it is wrong and 2 when it cannot be read.
"""

from contextlib import nullcontext
from typing import Annotated

import typer

from rnnlab.cli import app
from rnnlab.cli.budgets import SHOW_PROGRESS_SECONDS, check_formula_length, formula_seconds
from rnnlab.cli.display import console
from rnnlab.errors import InvalidValueError

WRONG = 1
"""Exit status for a formula that was read and is not dL/dU."""
UNREADABLE = 2
"""Exit status for text that is no formula (as for any bad input)."""


def check_formula(answer: str, N: "int | None", wrt: str) -> None:
    """Check ``answer`` for length N (None: for every N) and exit with its status."""
    from rnnlab.model.formulas import check_answer

    verdict = check_answer(answer, N, wrt)
    heading = "correct" if verdict.correct else "wrong" if verdict.readable else "unreadable"
    console.print(f"verdict: {heading}")
    # soft_wrap: the message's terms stay whole, as they were written.
    console.print(verdict.message, soft_wrap=True)
    if not verdict.correct:
        raise typer.Exit(WRONG if verdict.readable else UNREADABLE)


@app.command()
def formula(
    N: Annotated[
        int | None,
        typer.Argument(help="The sequence's length (left out with --general).", show_default=False),
    ] = None,
    latex: Annotated[bool, typer.Option("--latex", help="Print LaTeX instead of text.")] = False,
    wrt: Annotated[str, typer.Option(help="The parameter: U, V or W.")] = "U",
    general: Annotated[
        bool, typer.Option("--general", help="The formula for any N, with Σ and Π, instead.")
    ] = False,
    check: Annotated[
        str | None,
        typer.Option(
            "--check",
            help="Check your own formula for dL/dU (LaTeX, Unicode or ASCII) for length -N, "
            "or for every N without -N; exit 0 if correct, 1 if wrong, 2 if unreadable "
            "(default: print the formula instead).",
            show_default=False,
        ),
    ] = None,
    length: Annotated[
        int | None,
        typer.Option(
            "-N", help="With --check: the length it is for (default: any).", show_default=False
        ),
    ] = None,
) -> None:
    """dL/dU (or dL/dV, dL/dW) for a sequence of length N, in the lab's notation."""
    if check is not None:
        check_formula(check, N if length is None else length, wrt)
        return
    from rich.console import Console

    from rnnlab.model import formulas

    if (N is None) == (not general):
        raise InvalidValueError(
            "give N or --general: the formula for one length, or for any (or --check FORMULA)"
        )
    if general:
        _print_lines([formulas.general_latex(wrt)] if latex else _general_lines(wrt))
        return
    check_formula_length(N)
    stderr = Console(stderr=True)
    slow = formula_seconds(N) > SHOW_PROGRESS_SECONDS and stderr.is_terminal
    with stderr.status(f"writing the formula for N = {N:,}") if slow else nullcontext():
        written = [formulas.latex(N, wrt)] if latex else formulas.text_lines(N, wrt)
    _print_lines(written)


def _general_lines(wrt: str) -> "list[str]":
    from rnnlab.model import formulas
    from rnnlab.render import document

    return list(document.formula(formulas.general_text(wrt), "").lines)


def _print_lines(lines: "list[str]") -> None:
    # soft_wrap: each line whole, at any terminal width (LaTeX: one line, to paste).
    for line in lines:
        console.print(line, soft_wrap=True)
