"""A student's formula for dL/dU, checked exactly against the sum over paths.

The lab's section 3 takes h_t, o_t, U, V, W as scalars, so a formula for dL/dU is a
polynomial in the partial derivatives ∂L/∂o_t, ∂o_t/∂h_t, ∂h_j/∂h_{j-1} and ∂h_k/∂U,
with whole-number coefficients. ``check_answer`` reads the text (rnnlab.model.formula_reading),
expands it into such a polynomial (each product of factors, in any order, one monomial)
and compares it with the sum over the paths (k, t), 1 ≤ k ≤ t ≤ N, whose term is

    ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂h_{t-1} ⋯ ∂h_{k+1}/∂h_k · ∂h_k/∂U

No values are substituted, so no random point can make a wrong formula look right. A
general formula (sums up to N) is expanded for each N from 1 up, and the first N where it
differs is the one described. Each term that is no path is compared with the paths, to
name the mistake behind it. This module imports neither torch nor sympy.
"""

from dataclasses import dataclass

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.formula_polynomial import (
    LENGTH_LETTERS,
    Monomial,
    Polynomial,
    expand,
    path_factors,
    path_sum,
)
from rnnlab.model.formula_reading import Answer, UnreadableError, mentions, numbers_in, read

MOST_N = 30
"""The longest sequence an answer is checked for (465 paths)."""
GENERAL_UP_TO = 12
"""A general formula is expanded for N = 1 … 12 at least, and further where the answer
writes larger numbers (up to GENERAL_MOST)."""
GENERAL_MOST = 30
_PARAMETERS = ("U", "V", "W")
_LISTED = 10
"""The message lists this many missing paths and wrong terms, then says how many more."""


@dataclass(frozen=True)
class Verdict:
    """What ``check_answer`` found.

    readable: whether the text could be read as a formula. correct: whether it equals
    the sum over paths. missing: the paths (k, t) whose term the answer lacks. extra: the
    answer's terms that are no path or that count a path again, in the lab's notation.
    message: what a student reads. N: the length that missing and extra describe (for a
    general formula, the smallest N where it is wrong). mistakes: the names of the
    misconceptions found, e.g. "total_derivative" (see WHY).
    """

    readable: bool
    correct: bool
    missing: tuple[tuple[int, int], ...]
    extra: tuple[str, ...]
    message: str
    N: "int | None" = None
    mistakes: tuple[str, ...] = ()


WHY = {
    "output_partial": "∂o_t/∂{P} is 0: o_t = W h_t, and a partial derivative holds the other "
    "arguments h_t and W fixed, so {P} reaches o_t only through h_t.",
    "total_derivative": "∂h_t/∂{P} is the partial derivative with h_(t-1) held fixed, not the "
    "total derivative: {P} also reaches h_t through the earlier states h_k (k < t), and each "
    "of those paths adds its own term ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂h_(t-1) ⋯ ∂h_(k+1)/∂h_k · "
    "∂h_k/∂{P}.",
    "product_start": "On path (k, t) the product of ∂h_j/∂h_(j-1) runs over j = k + 1 … t, "
    "the steps from h_k to h_t: {P} enters h_k directly through ∂h_k/∂{P}, so a factor "
    "∂h_k/∂h_(k-1) (a product starting at j = k), or a step left out, is a product over the "
    "wrong indices.",
    "k_past_t": "The sum over k stops at t: {P} entering at h_k with k > t cannot reach o_t, "
    "which is computed before h_k.",
    "counted_twice": "Each path from {P} to L adds its term exactly once; a term written twice "
    "(or times 2) counts one path twice.",
    "wrong_parameter": "The question asks for dL/d{P}: each path starts where {P} enters, "
    "∂h_k/∂{P}; a term through ∂h_k/∂{Q} belongs to dL/d{Q}, one through ∂o_t/∂W to dL/dW.",
    "long_jacobian": "A partial derivative ∂h_t/∂h_k holds h_t's other arguments fixed: it "
    "is 0 for k < t − 1, since h_t = σ(U x_t + V h_(t-1)) has h_(t-1) as its only state, and "
    "1 for k = t; the chain from h_k to h_t is the product ∂h_t/∂h_(t-1) ⋯ ∂h_(k+1)/∂h_k.",
    "minus_sign": "The chain rule adds the terms of all paths: none is subtracted.",
    "not_a_path": "Each term of dL/d{P} is the product of the partial derivatives along one "
    "path {P} → h_k → h_(k+1) → … → h_t → o_t → L: ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂h_(t-1) ⋯ "
    "∂h_(k+1)/∂h_k · ∂h_k/∂{P}.",
}
"""Why each misconception is wrong: one sentence each ({P}: the parameter asked for)."""


def check_answer(answer: str, N: "int | None" = None, wrt: str = "U") -> Verdict:
    """Check a student's formula for dL/d``wrt`` (for sequences of length N, or any N)."""
    if not isinstance(answer, str):
        raise InvalidTypeError(f"answer is {type(answer).__name__}, expected the formula as text")
    if N is not None and (isinstance(N, bool) or not isinstance(N, int)):
        raise InvalidTypeError(f"N is {N!r}, expected a whole number ≥ 1 or None")
    if N is not None and not 1 <= N <= MOST_N:
        raise InvalidValueError(f"N = {N}: an answer is checked for 1 ≤ N ≤ {MOST_N}")
    if not isinstance(wrt, str):
        raise InvalidTypeError(f"wrt is {type(wrt).__name__}, expected 'U' or 'V'")
    if wrt not in ("U", "V"):
        raise InvalidValueError(f"unknown wrt {wrt!r}; known: U, V")
    try:
        formula = read(answer)
        if N is not None:
            return _judge(formula, expand(formula, N), N, wrt)
        return _judge_general(formula, wrt)
    except UnreadableError as error:
        return Verdict(False, False, (), (), f"Could not read the formula: {error}.", N)


def _judge_general(formula: Answer, wrt: str) -> Verdict:
    """A general formula: the first N where it is not the sum over paths, if any."""
    up_to = min(GENERAL_MOST, max(GENERAL_UP_TO, max(numbers_in(formula), default=0) + 3))
    work = [0]  # one bound on the steps of every N's expansion together
    for N in range(1, up_to + 1):
        verdict = _judge(formula, expand(formula, N, work), N, wrt, general=True)
        if not verdict.correct:
            return verdict
    return Verdict(
        True,
        True,
        (),
        (),
        f"Correct: for every N from 1 to {up_to} your formula is the sum over the N(N + 1)/2 "
        "paths (k, t), 1 ≤ k ≤ t ≤ N, each once.",
    )


def _judge(formula: Answer, answer: Polynomial, N: int, wrt: str, general=False) -> Verdict:
    """Compare one expanded answer with the sum over the paths for length N."""
    truth = path_sum(N, wrt)
    mistakes: dict[str, None] = {}  # ordered, without repeats
    missing, extra, notes, extra_monomials = [], [], [], []
    for monomial in {**truth, **answer}:
        count = answer.get(monomial, 0)
        if monomial in truth:
            if count < 1:
                missing.append(_path_of(monomial, wrt))
            if count > 1:
                mistakes["counted_twice"] = None
                extra.append(_written(monomial, count - 1))
                notes.append(f"{_written(monomial, 1)} appears {count} times")
            if count < 0:
                mistakes["minus_sign"] = None
                extra.append(_written(monomial, count))
        else:
            extra_monomials.append(monomial)
            reason, mistake = _diagnose(monomial, N, wrt, detailed=len(notes) < _LISTED)
            if count < 0:
                mistakes["minus_sign"] = None
            mistakes[mistake] = None
            extra.append(_written(monomial, count))
            notes.append(f"{_written(monomial, count)}: {reason}")
    missing.sort(key=lambda path: (path[1], path[0]))
    if _total_derivative(set(missing), _outputs_written(extra_monomials), N):
        mistakes["total_derivative"] = None
    other = _other_length(formula, answer, N, wrt, general)
    if other:
        mistakes["other_N"] = None
    left = _left_side(formula, wrt)
    if left:
        mistakes["wrong_parameter" if left[1] else "left_side"] = None
    correct = not missing and not extra and not left
    if correct:
        count = N * (N + 1) // 2
        paths = (
            "its one path (1, 1)"
            if N == 1
            else f"the {count} paths (k, t), 1 ≤ k ≤ t ≤ {N}, each once"
        )
        message = f"Correct: for N = {N} your formula is the sum over {paths}."
        return Verdict(True, True, (), (), message, N)
    parts = [f"Not correct for N = {N}."]
    if general:
        parts[0] = f"Your general formula is not the sum over paths for N = {N}" + (
            "." if N == 1 else " (it is for N = 1)." if N == 2 else f" (it is for N = 1 … {N - 1})."
        )
    if other:
        parts.append(other)
    if left:
        parts.append(left[0])
    if missing:
        parts.append(
            f"Missing paths (k, t), where {wrt} enters at h_k and the path leaves through o_t: "
            + _listed([f"({k}, {t})" for k, t in missing])
            + "."
        )
    if notes:
        parts.append("Terms that are wrong: " + _listed(notes, separator="; ") + ".")
    parts += [WHY[m].format(P=wrt, Q="V" if wrt == "U" else "U") for m in mistakes if m in WHY]
    return Verdict(True, False, tuple(missing), tuple(extra), " ".join(parts), N, tuple(mistakes))


def _factor(name: str) -> tuple[str, "int | None", str, "int | None"]:
    """ "∂h_3/∂h_2" as ("h", 3, "h", 2); "∂h_1/∂U" as ("h", 1, "U", None)."""
    of, wrt = name[1:].split("/∂")
    parts = []
    for variable in (of, wrt):
        letter, _, index = variable.partition("_")
        parts += [letter, int(index) if index else None]
    return tuple(parts)


def _path_of(monomial: Monomial, wrt: str) -> tuple[int, int]:
    """The path (k, t) whose term is ``monomial``."""
    factors = [_factor(name) for name in monomial]
    t = next(index for of, _, wrt_, index in factors if of == "L")
    k = next(index for of, index, wrt_, _ in factors if wrt_ == wrt)
    return k, t


def _diagnose(monomial: Monomial, N: int, wrt: str, detailed: bool) -> tuple[str, str]:
    """Why a term is no path: a short reason and the misconception's name."""
    factors = [_factor(name) for name in monomial]
    through = [by for of, _, by, _ in factors if of == "o" and by in ("U", "V")]
    if through:
        return f"it goes through ∂o_t/∂{through[0]}, which is 0", "output_partial"
    other = [by for _, _, by, _ in factors if by in _PARAMETERS and by != wrt]
    if other:
        return f"it differentiates with respect to {other[0]}, not {wrt}", "wrong_parameter"
    jumps = [(a, b) for of, a, by, b in factors if of == by == "h" and a is not None and b != a - 1]
    if jumps:
        a, b = jumps[0]
        return f"it has ∂h_{a}/∂h_{b}, which is no step h_(j-1) → h_j", "long_jacobian"
    outputs = [index for of, _, by, index in factors if of == "L" and by == "o"]
    reads = [(a, b) for of, a, by, b in factors if of == "o" and by == "h"]
    enters = [a for of, a, by, _ in factors if of == "h" and by == wrt]
    steps = sorted(
        a for of, a, by, b in factors if of == by == "h" and a is not None and b == a - 1
    )
    if len(outputs) == len(reads) == len(enters) == 1 and len(steps) + 3 == len(factors):
        (t,), (k,) = outputs, enters
        if reads[0] == (t, t) and len(set(steps)) == len(steps):
            if k > t and not steps:
                return f"{wrt} enters at h_{k}, after o_{t}", "k_past_t"
            start = steps[0] if steps else t + 1
            if steps == list(range(start, t + 1)) and start != k + 1:
                return _wrong_start(k, start, wrt), "product_start"
    return _nearest(monomial, N, wrt) if detailed else "", "not_a_path"


def _wrong_start(k: int, start: int, wrt: str) -> str:
    """What a product of ∂h_j/∂h_(j-1) from j = start lacks or has too many for path (k, ·)."""
    if start <= k:
        steps = " · ".join(f"∂h_{j}/∂h_{j - 1}" for j in range(k, start - 1, -1))
        return f"it has {steps}, although {wrt} enters at h_{k} itself"
    steps = " · ".join(f"∂h_{j}/∂h_{j - 1}" for j in range(start - 1, k, -1))
    return f"it lacks {steps} between h_{k}, where {wrt} enters, and h_{start - 1}"


def _nearest(monomial: Monomial, N: int, wrt: str) -> str:
    """How a term differs from the path it shares the most factors with."""
    mine = list(monomial)
    best = None
    for t in range(1, N + 1):
        for k in range(1, t + 1):
            path = list(path_factors(k, t, wrt))
            shared = sum(min(mine.count(f), path.count(f)) for f in set(path))
            if best is None or shared > best[0]:
                best = (shared, k, t, path)
    _, k, t, path = best
    lacks = [f for f in path if f not in mine]
    more = [f for f in _ordered(mine) if f not in path or mine.count(f) > path.count(f)]
    said = [
        f"lacks {' · '.join(lacks)}" if lacks else "",
        f"has {' · '.join(more)} besides" if more else "",
    ]
    return f"compared with path ({k}, {t}) it " + " and ".join(s for s in said if s)


def _total_derivative(missing: set[tuple[int, int]], attempted: set[int], N: int) -> bool:
    """Whether, for some t ≥ 2, path (t, t) is there and every path through an earlier state
    is missing, with no wrong term written in their place (one that leaves through o_t)."""
    for t in range(2, N + 1):
        earlier = {(k, t) for k in range(1, t)}
        if earlier <= missing and (t, t) not in missing and t not in attempted:
            return True
    return False


def _outputs_written(monomials: list[Monomial]) -> set[int]:
    """The t of every ∂L/∂o_t in these terms."""
    return {index for m in monomials for of, _, by, index in map(_factor, m) if of == "L"}


def _other_length(formula: Answer, answer: Polynomial, N: int, wrt: str, general: bool) -> str:
    """A sentence if the answer is dL/dU for another length, else ""."""
    if general and any(mentions(formula.right, letter) for letter in LENGTH_LETTERS):
        return ""
    for other in range(1, (GENERAL_MOST if general else min(MOST_N, N + 6)) + 1):
        same_size = len(answer) == other * (other + 1) // 2
        if other != N and same_size and answer == path_sum(other, wrt):
            if general:
                return (
                    f"This is dL/d{wrt} for N = {other} only: a formula for every N sums over "
                    "the paths up to N."
                )
            return (
                f"This is dL/d{wrt} for N = {other}, not for N = {N}: for N = {N} the sum runs "
                f"over the {N * (N + 1) // 2} paths (k, t), 1 ≤ k ≤ t ≤ {N}."
            )
    return ""


def _left_side(formula: Answer, wrt: str) -> "tuple[str, bool] | None":
    """A sentence and whether it names another parameter, if the left side is not dL/dwrt."""
    left = formula.left
    if left is None or (left.of.text(), left.wrt.text()) == ("L", wrt):
        return None
    if left.of.text() == "L" and left.wrt.text() in _PARAMETERS:
        return (
            f"The left-hand side is dL/d{left.wrt.text()}.",
            True,
        )
    return f"The left-hand side {left.text()} is not dL/d{wrt}.", False


def _written(monomial: Monomial, coefficient: int) -> str:
    """A term in the lab's notation, its factors in the chain rule's order."""
    if not monomial:  # a number alone
        return str(coefficient)
    text = " · ".join(_ordered(list(monomial)))
    if coefficient == 1:
        return text
    return ("−" if coefficient == -1 else f"{coefficient} · ") + text


def _ordered(factors: list[str]) -> list[str]:
    """Factors in the chain rule's order: ∂L/∂o, ∂o/∂h, ∂h_j/∂h_(j-1) downwards, ∂h/∂U."""

    def place(name: str) -> tuple:
        of, a, by, _ = _factor(name)
        rank = {("L", "o"): 0, ("o", "h"): 1, ("h", "h"): 2}.get((of, by), 3 if of == "h" else 4)
        return rank, -(a or 0), name

    return sorted(factors, key=place)


def _listed(items: list[str], separator: str = ", ", most: int = _LISTED) -> str:
    shown = separator.join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")
