"""The worker's answer, as the grader reads it: two lines of JSON on the worker's stdout.

The worker's stdout is its own (the student's processes cannot reach it), and each
line carries the nonce the worker was given. The values in it come from the student's
kernel in any case, so nothing is trusted beyond the answer's shape, and its size is
bounded before it is parsed.
"""

import json

from rnnlab.grading.plain import MAX_TEXT, is_plain

MAX_WRITTEN = 20_000
"""Characters of one written answer the worker may send back."""

MAX_ANSWER_BYTES = 16 * 2**20
"""The longest answer line read from a sandbox: every check's value at plain's limits
fits in less than half of it."""


def _line(line: bytes, nonce: str) -> "dict | None":
    """One of the worker's lines as a dict, if it carries the nonce the worker was given."""
    if len(line) > MAX_ANSWER_BYTES:  # parsed, it would take gigabytes of the grader's
        return None
    try:
        answer = json.loads(line.decode(errors="replace"))
    except (ValueError, RecursionError):
        return None
    if not isinstance(answer, dict) or answer.get("nonce", "") != nonce:
        return None
    return answer


def written(stdout: bytes, nonce: str, count: int) -> tuple[str, ...]:
    """The written answers, from the worker's first line; blank where it gave none."""
    answer = _line(stdout.partition(b"\n")[0], nonce) or {}
    answers = answer.get("written")
    if not (isinstance(answers, list) and len(answers) == count):
        return ("",) * count
    return tuple(text[:MAX_WRITTEN] if isinstance(text, str) else "" for text in answers)


def parse(stdout: bytes, count: int, nonce: str = "") -> "tuple[str, list[dict]] | None":
    """The worker's last line, if it is the answer it should be: else None.

    The worker's stdout is its own (the student's processes cannot reach it), and the
    line carries the nonce it was given. The values in it are the student's in any case,
    so nothing is trusted beyond the answer's shape: a problem string and ``count``
    results, each a plain value or an error string.
    """
    answer = _line(stdout.rstrip().rpartition(b"\n")[2], nonce)
    if answer is None or not isinstance(answer.get("problem"), str):
        return None
    results = answer.get("results")
    if not (isinstance(results, list) and len(results) == count):
        return None
    for result in results:
        if not isinstance(result, dict) or len(result) != 1:
            return None
        if "error" in result and not isinstance(result["error"], str):
            return None
        if "value" in result and not is_plain(result["value"]):
            return None
        if not {"error", "value"} & set(result):
            return None
    return answer["problem"][:MAX_TEXT], results
