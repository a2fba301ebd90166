"""Plain data: the only form in which a check's value leaves a student's notebook.

A check's expression is evaluated on the student's names and its value turned into
plain data (None, bools, numbers, strings and nested lists) by ``plain``; ``close``
then compares it with the expected value, entry by entry, within a tolerance.

Both run in two places, so this module imports nothing but the standard library:
- inside the grading sandbox, where the worker sends this file's source to the
  student's kernel (``plain`` only; the comparison happens outside the sandbox);
- in otter's test cells, which call ``check`` in the student's kernel (a student's own
  ``grader.check``, Gradescope, ``otter run``).
"""

import math
import sys

MAX_ITEMS = 10_000
"""Numbers and strings one value may hold, all nesting levels together (the largest
expected value holds about a hundred)."""

MAX_DEPTH = 8
"""Levels of nested lists one value may have."""

MAX_TEXT = 1_000
"""Characters one string may have."""


def plain(value: object) -> object:
    """value as plain data: tensors and arrays become nested lists of floats.

    Raises TypeError for anything else (a function, a complex number, a dict...) and
    ValueError for a value with more than MAX_ITEMS entries or MAX_DEPTH levels.
    A NaN or infinite float becomes the string "nan", "inf" or "-inf": JSON has no such
    numbers, and no expected value is one.
    """
    count = [0]

    def convert(value: object, depth: int) -> object:
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            raise ValueError(f"more than {MAX_ITEMS} entries or {MAX_DEPTH} levels")
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return float(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else str(value)
        if isinstance(value, str):
            return value[:MAX_TEXT]
        if isinstance(value, (list, tuple)):
            return [convert(item, depth + 1) for item in value]
        if hasattr(value, "tolist") and hasattr(value, "shape"):  # a tensor or an array
            if hasattr(value, "detach"):
                value = value.detach().cpu()
            if getattr(value, "is_complex", lambda: False)():
                raise TypeError("complex numbers are not plain data")
            return convert(value.tolist(), depth)
        if type(value).__name__ in ("float32", "float64", "int32", "int64"):  # numpy scalars
            return convert(value.item(), depth)
        raise TypeError(f"a {type(value).__name__} is not plain data")

    return convert(value, 0)


def is_plain(value: object) -> bool:
    """Whether value is plain data as ``plain`` makes it (as read back from JSON): at most
    MAX_ITEMS entries and MAX_DEPTH levels, finite numbers, strings of at most MAX_TEXT.

    Never raises: the value may come from a student, who can make an integer too large
    for any float (10**400), on which ``float`` and ``math.isfinite`` raise.
    """
    count = [0]

    def valid(value: object, depth: int) -> bool:
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            return False
        if value is None or isinstance(value, bool):
            return True
        if isinstance(value, str):
            return len(value) <= MAX_TEXT
        if isinstance(value, int):
            return abs(value) <= sys.float_info.max  # exact: no conversion to float
        if isinstance(value, float):
            return math.isfinite(value)
        if isinstance(value, list):
            return all(valid(item, depth + 1) for item in value)
        return False

    return valid(value, 0)


def close(got: object, expected: object, tolerance: float) -> bool:
    """Whether plain got matches plain expected: the same nesting and lengths, the same
    bools and strings, and numbers within tolerance × max(1, |expected|)."""
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(close(g, e, tolerance) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return type(got) is type(expected) and got == expected
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    return abs(got - expected) <= tolerance * max(1.0, abs(expected))


def check(value: object, expected: object, tolerance: float, message: str) -> None:
    """An otter test's assertion: plain(value) is close to expected, else AssertionError."""
    got = plain(value)
    assert close(got, expected, tolerance), f"{message} (got {got!r}, expected {expected!r})"
