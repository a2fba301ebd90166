"""Formulas for dL/dU as polynomials in the lab's partial derivatives, multiplied out.

A polynomial maps each monomial (a product of partial derivatives, its factors' names
sorted, so that the order they were written in does not matter) to its whole-number
coefficient. The lab's section 3 takes every quantity as a scalar, so the factors commute.
``path_sum(N)`` is the sum over the paths (k, t), ``expand`` a student's formula read by
rnnlab.model.formula_reading, Σ and ∏ carried out for one length N.
"""

from rnnlab.model.formula_reading import (
    Answer,
    BigOperator,
    Derivative,
    Index,
    Product,
    Sum,
    UnreadableError,
)

MOST_WORK = 500_000
"""Steps an answer's check may take, for every N it is expanded for together: each part of
the formula expanded, each term added, each pair of terms multiplied. It bounds the time a
check takes (a second or so), whatever the text: nested sums of 200 values each, or a
product of sums that multiplies out to 2^40 terms, are refused as too large to check."""
LENGTH_LETTERS = ("N", "n")
"""The letters that stand for the sequence's length in a general formula."""

Monomial = tuple[str, ...]
"""A product of partial derivatives, its factors' names (e.g. "∂h_2/∂h_1") sorted."""
Polynomial = dict[Monomial, int]


def path_factors(k: int, t: int, wrt: str = "U") -> tuple[str, ...]:
    """The factors of path (k, t)'s term, in the chain rule's order."""
    chain = tuple(f"∂h_{j}/∂h_{j - 1}" for j in range(t, k, -1))
    return (f"∂L/∂o_{t}", f"∂o_{t}/∂h_{t}", *chain, f"∂h_{k}/∂{wrt}")


def path_sum(N: int, wrt: str = "U") -> Polynomial:
    """The sum over the N(N + 1)/2 paths (k, t), 1 ≤ k ≤ t ≤ N, as a polynomial."""
    return {
        tuple(sorted(path_factors(k, t, wrt))): 1 for t in range(1, N + 1) for k in range(1, t + 1)
    }


def expand(formula: Answer, N: int, work: "list[int] | None" = None) -> Polynomial:
    """The answer's right-hand side for length N, multiplied out. ``work``: the steps taken
    so far (a one-element list), shared by the expansions of one check."""
    work = [0] if work is None else work
    return _expand(formula.right, {letter: N for letter in LENGTH_LETTERS}, work)


def _spend(work: list[int], steps: int) -> None:
    work[0] += steps
    if work[0] > MOST_WORK:
        raise UnreadableError("the formula multiplies out to more terms than can be checked")


def _expand(node: object, values: dict[str, int], work: list[int]) -> Polynomial:
    _spend(work, 1)
    if isinstance(node, int):
        return {(): node} if node else {}
    if isinstance(node, Derivative):
        return {(_name(node, values),): 1}
    if isinstance(node, Sum):
        total: Polynomial = {}
        for sign, product in node.terms:
            more = _expand(product, values, work)
            _spend(work, len(more))
            _add(total, more, sign)
        return total
    if isinstance(node, Product):
        result: Polynomial = {(): 1}
        for factor in node.factors:
            result = _multiply(result, _expand(factor, values, work), work)
        return result
    assert isinstance(node, BigOperator)
    lower, upper = _value(node.lower, values, node), _value(node.upper, values, node)
    if upper - lower > MOST_WORK // 1000:
        raise UnreadableError(f"{node.placed()} runs over too many values to check")
    result = {} if node.kind == "sum" else {(): 1}
    for value in range(lower, upper + 1):
        body = _expand(node.body, {**values, node.letter: value}, work)
        if node.kind == "sum":
            _spend(work, len(body))
            _add(result, body, 1)
        else:
            result = _multiply(result, body, work)
    return result


def _add(total: Polynomial, more: Polynomial, sign: int) -> None:
    for monomial, coefficient in more.items():
        total[monomial] = total.get(monomial, 0) + sign * coefficient
        if total[monomial] == 0:
            del total[monomial]


def _multiply(left: Polynomial, right: Polynomial, work: list[int]) -> Polynomial:
    _spend(work, len(left) * len(right))
    product: Polynomial = {}
    for a, x in left.items():
        for b, y in right.items():
            _add(product, {tuple(sorted(a + b)): x * y}, 1)
    return product


def _value(index: Index, values: dict[str, int], where: object) -> int:
    total = index.constant
    for letter, sign in index.letters:
        if letter not in values:
            raise UnreadableError(
                f"the index {letter} in {where.placed()} is set by no sum or product (a Σ "
                "without brackets ends at the next + or −)"
            )
        total += sign * values[letter]
    return total


def _name(derivative: Derivative, values: dict[str, int]) -> str:
    """∂of/∂wrt with its indices' values: "∂h_3/∂h_2"."""
    names = []
    for variable in (derivative.of, derivative.wrt):
        index = variable.index
        value = "" if index is None else f"_{_value(index, values, derivative)}"
        names.append(variable.letter + value)
    return f"∂{names[0]}/∂{names[1]}"
