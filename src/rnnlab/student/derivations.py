"""The derivations of section 3 in the student's kernel: the rule that scores a formula
for dL/dU, the check cell under each derivation, and otter's test cases.

3.1, 3.2 and 3.3 ask for dL/dU as a sum over paths for N = 1, 2 and 3; 3.5 (optional, no
points) for any N. An answer is checked exactly by ``formula_check.check_answer`` and
scored by one rule, ``RULE``: a derivation with P paths has P shares, and otter's test
case i of it passes when the answer earns at least i shares, so the share of cases passed
is the credit, exactly. rnnlab's grader scores the same text with the same rule
(``rnnlab.grading.derivations``), outside its sandbox.

The check cell (``check_derivation``) reads the answer cell in the kernel: in Colab from
the live notebook, elsewhere from the notebook file in the current folder, as it was last
saved. It lives outside ``rnnlab.grading``, which the grading sandbox hides, because the
notebook's check cells run there too; it imports no torch.
"""

import json
import os
import re
import sys
from pathlib import Path

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.formula_check import Verdict, check_answer

DERIVATIONS: "dict[str, int | None]" = {
    "bptt_1": 1,
    "bptt_2": 2,
    "bptt_3": 3,
    "bptt_general": None,
}
"""Each derivation question's N (None: any N, the optional 3.5, which earns no points)."""

RULE = (
    "A correct formula gets full points; any other formula gets the share of the N(N + 1)/2 "
    "paths (k, t) it has, less one share for each extra term (a term that is no path, or "
    "one that repeats a path), at least 0 and at most one share short of full points; a "
    "formula that cannot be read gets 0."
)
"""The partial-credit rule, as the notebook states it."""

TAG = "<!-- derivation: {name} -->"
"""What the prompt cell of a derivation holds (invisible in the rendered notebook), so that
the kernel finds its answer cell by the question's name."""

BEGIN, END = "<!-- BEGIN QUESTION -->", "<!-- END QUESTION -->"  # otter assign's, as the worker's
PLACEHOLDER = "_Type your answer here, replacing this text._"
NOTEBOOK_NAME = "rnn_lab.ipynb"

_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|(\\begin\{(\w+\*?)\}.+?\\end\{\4\})", re.S)
_INLINE = re.compile(r"(?<![\\$])\$([^$]+)\$")


def cases(N: "int | None") -> int:
    """The number of shares (otter test cases) of a derivation: its paths, or 1 for any N."""
    return 1 if N is None else N * (N + 1) // 2


def formula_in(markdown: str) -> str:
    """The formula of a Markdown answer: its last display block ($$…$$, \\[…\\] or
    \\begin…\\end), else its last inline $…$, else the whole text."""
    blocks = [next(g for g in m.groups() if g) for m in _DISPLAY.finditer(markdown)]
    if not blocks:
        blocks = _INLINE.findall(markdown)
    return (blocks[-1] if blocks else markdown).strip()


def judge(markdown: str, N: "int | None") -> Verdict:
    """The verdict on a Markdown answer for length N (None: any N)."""
    if not isinstance(markdown, str):
        raise InvalidTypeError(f"the answer is {type(markdown).__name__}, expected text")
    text = "" if markdown.strip() == PLACEHOLDER else markdown
    if not text.strip():
        message = "No formula yet: the answer cell is empty or still holds the placeholder."
        return Verdict(False, False, (), (), message, N)
    return check_answer(formula_in(text), N)


def shares(verdict: Verdict, N: "int | None") -> int:
    """The shares an answer earns, 0 … cases(N), by RULE."""
    total = cases(N)
    if verdict.correct:
        return total
    if not verdict.readable or N is None:
        return 0
    present = total - len(verdict.missing)
    return max(0, min(total - 1, present - len(verdict.extra)))


def answer_in(notebook: dict, question: str) -> "str | None":
    """The answer to ``question`` in a notebook (as JSON data): what lies between the
    prompt cell holding its TAG and otter's END marker, code cells left out, as the
    grader's worker reads it; None when no prompt cell holds the tag."""
    tag = TAG.format(name=question)
    try:
        cells = notebook["cells"]
        sources = [
            (c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in cells
        ]
    except (KeyError, TypeError):
        return None
    found = None
    for kind, source in sources:
        if found is not None:
            if END in source or BEGIN in source:
                break
            if kind != "code" and source.strip() != PLACEHOLDER:
                found.append(source)
        elif tag in source:
            found = []
    return None if found is None else "\n\n".join(found).strip()


def live_notebook() -> "tuple[dict, str] | None":
    """The notebook open in Google Colab, unsaved edits included, and where it came
    from; None outside Colab or when Colab does not answer."""
    if "google.colab" not in sys.modules:
        try:
            import google.colab  # noqa: F401
        except ImportError:
            return None
    try:
        from google.colab import _message

        reply = _message.blocking_request("get_ipynb", timeout_sec=30)
    except Exception:  # Colab's private channel: any failure means "use the file"
        return None
    if isinstance(reply, dict) and isinstance(reply.get("ipynb"), dict):
        return reply["ipynb"], "the notebook open in Colab"
    return None


def _named_by_jupyter(folder: Path) -> "Path | None":
    """The notebook Jupyter started this kernel for, in ``folder``: Jupyter Server names
    it in the kernel's JPY_SESSION_NAME (its path from the server's root; the kernel runs
    in the notebook's folder), VS Code in the global ``__vsc_ipynb_file__``."""
    named = [os.environ.get("JPY_SESSION_NAME", "")]
    main = sys.modules.get("__main__")
    named.append(str(getattr(main, "__vsc_ipynb_file__", "")))
    for name in named:
        if name.endswith(".ipynb") and (folder / Path(name).name).is_file():
            return folder / Path(name).name
    return None


def saved_notebook(folder: "Path | str" = ".") -> tuple[dict, str]:
    """The notebook file in ``folder`` as last saved: the one Jupyter says this kernel
    runs, else rnn_lab.ipynb, else the only .ipynb there (otter grades a submission under
    its own name). Raises InvalidValueError."""
    folder = Path(folder)
    path = _named_by_jupyter(folder) or folder / NOTEBOOK_NAME
    if not path.is_file():
        found = sorted(folder.glob("*.ipynb"))
        if len(found) != 1:
            raise InvalidValueError(
                f"no {NOTEBOOK_NAME} in {folder.resolve()} (and {len(found)} other notebooks): "
                "open the lab's notebook from its own folder"
            )
        path = found[0]
    try:
        return json.loads(path.read_bytes()), f"{path.name} as last saved"
    except (OSError, ValueError) as error:
        raise InvalidValueError(f"cannot read {path}: {error}") from None


def read_answer(question: str, folder: "Path | str" = ".") -> tuple[str, str]:
    """The answer to ``question`` in the kernel's notebook, and where it was read."""
    if question not in DERIVATIONS:
        raise InvalidValueError(f"unknown derivation {question!r}; known: {', '.join(DERIVATIONS)}")
    notebook, source = live_notebook() or saved_notebook(folder)
    text = answer_in(notebook, question)
    if text is None:
        raise InvalidValueError(
            f"no answer cell for {question} in {source}: its question cell lost its marker "
            f"{TAG.format(name=question)}"
        )
    return text, source


def check_derivation(
    text_or_question: str, N: "int | str | None" = "from the question", folder: str = "."
) -> None:
    """The check cell under a derivation: show the answer as math, then its verdict and
    credit. ``text_or_question``: a question's name ("bptt_2"), whose answer cell is
    read, or a formula typed as text (then N is needed; None for any N). A notebook or
    answer cell it cannot find is printed, not raised, so that the notebook runs on."""
    if not isinstance(text_or_question, str):
        raise InvalidTypeError(f"{type(text_or_question).__name__} given, expected text")
    source = "the text given"
    if text_or_question in DERIVATIONS:
        try:
            text, source = read_answer(text_or_question, folder)
        except InvalidValueError as error:  # said, not raised: the cells below still run
            print(f"Cannot check {text_or_question}: {error}.")
            return
        N = DERIVATIONS[text_or_question] if N == "from the question" else N
    elif N == "from the question":
        raise InvalidValueError("N is needed for a formula given as text (None for any N)")
    else:
        text = text_or_question
    verdict = judge(text, N)
    _show(text, source)
    earned, total = shares(verdict, N), cases(N)
    print(verdict.message)
    if N is None:
        print("This question is optional and earns no points.")
    else:
        print(f"Credit: {earned} of {total} shares, {earned / total:.0%} of the points.")


def _show(text: str, source: str) -> None:
    """The answer rendered as Markdown (its math as math) in IPython, else as text."""
    shown = text if text.strip() else "(empty)"
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(f"Your answer, read from {source}:\n\n{shown}"))
    else:
        print(f"Your answer, read from {source}:\n{shown}\n")


def otter_case(question: str, share: int, folder: str = ".") -> None:
    """otter's test case number ``share`` of a derivation: AssertionError (with the
    verdict's message) unless its answer earns at least ``share`` shares."""
    if question not in DERIVATIONS:
        raise InvalidValueError(f"unknown derivation {question!r}; known: {', '.join(DERIVATIONS)}")
    try:
        text, _ = read_answer(question, folder)
    except InvalidValueError as error:
        raise AssertionError(str(error)) from None
    N = DERIVATIONS[question]
    verdict = judge(text, N)
    earned = shares(verdict, N)
    assert earned >= share, f"{earned} of {cases(N)} shares: {verdict.message}"
