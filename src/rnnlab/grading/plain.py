"""Plain data: the only form in which a check's value leaves a student's notebook.

A check's expression is evaluated on the student's names (``evaluate``) and its value
turned into plain data (None, bools, numbers, strings and nested lists) by ``plain``;
``close`` then compares it with the expected value, entry by entry, within a relative
and an absolute tolerance.

Both run in two places, so this module imports nothing but the standard library:
- inside the grading sandbox, where the worker sends this file's source to the
  student's kernel (``evaluate`` and ``plain`` only; the comparison happens outside the
  sandbox);
- in otter's test functions, which call ``check`` in the student's kernel (a student's
  own ``grader.check``, Gradescope, ``otter run``).

Where the lab's own numbers cannot tell a right answer from a wrong one, an expression
re-runs the student's answer cells on other inputs: ``rerun_cells`` (bound to the
notebook's names by ``evaluate``).
"""

import ast
import contextlib
import io
import json
import math
import signal
import sys
import threading
import time

MAX_ITEMS = 10_000
"""Numbers and strings one value may hold, all nesting levels together (the largest
expected value holds about a hundred)."""

MAX_DEPTH = 8
"""Levels of nested lists one value may have."""

MAX_TEXT = 1_000
"""Characters one string may have."""

CHECK_SECONDS = 3.0
"""Seconds one check may take in the student's kernel: an endless loop costs its own
check, not the rest."""


class NotAnsweredError(Exception):
    """The value is otter's placeholder ``...``, or no cell gave it yet."""


class TimeLimit(BaseException):
    """A check ran past its time limit. (A BaseException, so that a student's ``except
    Exception`` in a loop does not swallow it.)"""


def plain(value: object) -> object:
    """value as plain data: tensors and arrays become nested lists of floats.

    Raises NotAnsweredError for otter's placeholder ``...``, TypeError for anything else that
    is not data (a function, a complex number, a dict...) and ValueError for a value with
    more than MAX_ITEMS entries or MAX_DEPTH levels. A NaN or infinite float becomes the
    string "nan", "inf" or "-inf": JSON has no such numbers, and no expected value is one.
    """
    count = [0]

    def convert(value: object, depth: int) -> object:
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            raise ValueError(f"more than {MAX_ITEMS} entries or {MAX_DEPTH} levels")
        if value is Ellipsis:
            raise NotAnsweredError("not answered yet: replace the ... with your code")
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


def close(got: object, expected: object, rtol: float, atol: float = 0.0) -> bool:
    """Whether plain got matches plain expected: the same nesting and lengths, the same
    bools and strings, and numbers within rtol × |expected| + atol.

    Where a number is expected, a list holding one number (a tensor of shape (1,) or
    (1, 1)) stands for that number.
    """
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(close(g, e, rtol, atol) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return type(got) is type(expected) and got == expected
    while isinstance(got, list) and len(got) == 1:
        got = got[0]
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    return abs(got - expected) <= rtol * abs(expected) + atol


def shown(value: object) -> str:
    """Plain data in a few words: numbers to 6 significant digits, long lists cut."""
    if isinstance(value, list):
        items = [shown(item) for item in value[:8]]
        return "[" + ", ".join(items + (["…"] if len(value) > 8 else [])) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return json.dumps(value[:60], ensure_ascii=False)
    return repr(value)


@contextlib.contextmanager
def time_limit(seconds: float):
    """Stop what runs inside after ``seconds`` (raising TimeLimit).

    A timer the caller has running goes on: where it is due first, its handler runs at
    its time (an enclosing time_limit's raises there) and this limit holds after; the
    caller's handler and timer are back afterwards, the timer with what it had left.
    Where no alarm can be set (outside the main thread, off Unix) or SIGALRM's handler
    was not set from Python (so it could not be put back), no limit.
    """
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 < seconds < math.inf
    ):
        raise ValueError(f"time_limit needs a positive number of seconds, got {seconds!r}")
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGALRM) if usable else None
    if previous is None:
        yield
        return
    outer, interval = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    callers_first = 0 < outer <= seconds  # the caller's timer is due before this limit
    callers_went_off = False

    def stop(signum, frame):
        nonlocal callers_went_off
        if not callers_first or callers_went_off:
            raise TimeLimit(f"it ran past its time limit of {seconds:g} s (an endless loop?)")
        # The caller's moment: this limit is set for the rest of its time, then the
        # caller's handler does what it would have done.
        callers_went_off = True
        signal.setitimer(signal.ITIMER_REAL, max(seconds - (time.monotonic() - started), 1e-6))
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:  # a timer with no handler ends the process
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGALRM)

    signal.signal(signal.SIGALRM, stop)
    try:
        signal.setitimer(signal.ITIMER_REAL, outer if callers_first else seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if callers_went_off:
            if interval > 0:  # it repeats
                signal.setitimer(signal.ITIMER_REAL, interval, interval)
        elif outer > 0:  # the caller's timer is due yet (at once if its time is up)
            left = outer - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), interval)


def _assigned(source: str) -> dict[str, bool]:
    """The names a cell's source assigns outside its functions (= += for, with, def,
    import), each with whether it is assigned otter's placeholder ``...``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    names: dict[str, bool] = {}
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = False
            continue
        placeholder = (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and node.value.value is Ellipsis
        )
        for child in ast.walk(node) if not isinstance(node, ast.Lambda) else ():
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names[child.id] = names.get(child.id, False) or placeholder
    return names


def rerun_cells(names: dict, inputs: dict, answers: str) -> dict:
    """The answer cells run again on other inputs, in a namespace of their own.

    ``answers``: the names the student's answer gives, separated by spaces ("h1 o1 h2
    o2"). The cells that last assigned each of them (from IPython's input history, in
    the order they ran) run again on the notebook's names without those, with ``inputs``
    in place of the given ones. Returns the answers' new values by name. Raises
    NotAnsweredError where no cell assigned one of them; prints nothing.
    """
    history = names.get("In") or names.get("_ih")
    if not isinstance(history, list):
        raise NotAnsweredError("the notebook's cells cannot be found (run it in Jupyter)")
    wanted = answers.split()
    last, unanswered = {}, {}
    for number, source in enumerate(history):
        if isinstance(source, str):
            for name, placeholder in _assigned(source).items():
                if name in wanted:
                    last[name], unanswered[name] = number, placeholder
    missing = [name for name in wanted if name not in last or unanswered[name]]
    if missing:
        raise NotAnsweredError(f"not answered yet: no cell computes {missing[0]}")
    namespace = {k: v for k, v in names.items() if k not in wanted}
    namespace.update(inputs)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for number in sorted(set(last.values())):
            exec(history[number], namespace)
    return {name: namespace.get(name) for name in wanted}


def answered(values: object) -> object:
    """values, unless it or one of its items is otter's placeholder ``...`` or None (a
    function whose body is still ``...`` returns None): then NotAnsweredError."""
    items = values if isinstance(values, (list, tuple)) else [values]
    if values is None or any(item is Ellipsis or item is None for item in items):
        raise NotAnsweredError("not answered yet (a ... is left, or a return is missing)")
    return values


def unrolled(parameters: object, sigma: object, inputs: object, h0: object = None) -> object:
    """o_1 … o_N of the RNN h_t = sigma(U x_t + V h_(t-1)), o_t = W h_t (the lab's equations
    (1) and (2)) for ``parameters`` (U, V, W) on the rows of ``inputs``, in float64; h0
    defaults to zeros. ``sigma``: a function, or "identity", "relu", "tanh" or "sigmoid"."""
    import torch

    U, V, W = (torch.as_tensor(matrix).double() for matrix in parameters)
    named = {"identity": lambda z: z, "relu": torch.relu, "tanh": torch.tanh}
    activation = named.get(sigma, torch.sigmoid) if isinstance(sigma, str) else sigma
    h = torch.zeros(U.shape[0], dtype=torch.float64) if h0 is None else torch.as_tensor(h0)
    outputs = []
    for x in torch.as_tensor(inputs).double():
        h = torch.as_tensor(activation(U @ x + V @ h.double())).double()
        outputs.append(W @ h)
    return torch.stack(outputs)


def evaluate(expression: str, names: dict, seconds: float = CHECK_SECONDS) -> object:
    """The plain value of ``expression`` on the notebook's ``names`` (and torch and
    rnnlab), within ``seconds``; ``rerun_cells(inputs, answers)`` and ``answered`` are at
    its disposal."""
    import torch

    import rnnlab

    scope = dict(names)
    scope.update(
        torch=torch,
        rnnlab=rnnlab,
        rerun_cells=lambda inputs, answers: rerun_cells(names, inputs, answers),
        answered=answered,
        unrolled=unrolled,
    )
    with time_limit(seconds):
        return plain(eval(expression, scope))


def described(error: BaseException) -> str:
    """What went wrong with a check's expression, in a line a student can read."""
    if isinstance(error, (NotAnsweredError, TimeLimit)):
        return str(error)
    return f"it raised {type(error).__name__}: {error}"[:MAX_TEXT]


def verdict(got: object, expected: object) -> str:
    """ "got …, expected …", or why the value is no answer."""
    if got is None and expected is not None:
        return "not answered yet (it gave None: is a return missing?)"
    return f"got {shown(got)}, expected {shown(expected)}"


def check(
    env: dict, expression: str, expected: object, rtol: float, atol: float, message: str
) -> None:
    """An otter test: ``expression`` on the notebook's names ``env`` is close to expected,
    else AssertionError with the message and what it got, in one or two lines."""
    try:
        got = evaluate(expression, env)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the student's code: whatever it raised is the answer
        raise AssertionError(_ended(f"{message}: {described(error)}")) from None
    if not close(got, expected, rtol, atol):
        raise AssertionError(_ended(f"{message}: {verdict(got, expected)}")) from None


def _ended(text: str) -> str:
    # otter strips quotes from both ends of a failed test's message
    return text + "." if text.endswith(("'", '"')) else text
