"""dL/dU as the lab writes it, symbolically (sympy), and a check that it is right.

In the lab's notation the gradient of the loss with respect to U is

    dL/dU = Σ_{t=1}^{N} Σ_{k=1}^{t} ∂L/∂o_t · ∂o_t/∂h_t · (Π_{j=k+1}^{t} ∂h_j/∂h_{j-1}) · ∂h_k/∂U

one term per path (k, t) from U to L (rnnlab.model.paths.paths). Each factor here is a
sympy symbol that prints as the partial derivative it stands for. The symbols do not
commute: for vectors the factors are matrices and their order matters, so the
expression keeps the order of the chain rule. V has the same paths as U;
W reaches L only through o_t, so dL/dW = Σ_t ∂L/∂o_t · ∂o_t/∂W.

``verify(N)`` differentiates the scalar RNN of the lab's section 3 directly, with σ
left as an undefined function, and checks that substituting each partial derivative
into the formula gives the same expression.

``check_answer`` (rnnlab.model.formula_check) checks a student's own formula against these paths.
"""

import sympy

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.formula_check import Verdict as Verdict
from rnnlab.model.formula_check import check_answer as check_answer
from rnnlab.model.paths import WRT_NAMES, count_paths, paths

_PARAMETERS = ("U", "V", "W")


class Partial(sympy.Symbol):
    """A partial derivative ∂of/∂wrt as one non-commuting symbol, named "∂L/∂o_1".

    It prints as ∂L/∂o_1 in text and as \\frac{\\partial L}{\\partial o_{1}} in LaTeX.
    """

    def __new__(cls, name: str, **assumptions: bool) -> "Partial":
        assumptions.setdefault("commutative", False)
        return super().__new__(cls, name, **assumptions)

    @property
    def of(self) -> str:
        return self.name[1:].split("/∂")[0]

    @property
    def wrt(self) -> str:
        return self.name.split("/∂")[1]

    def _latex(self, printer: object) -> str:
        return rf"\frac{{\partial {_latex_name(self.of)}}}{{\partial {_latex_name(self.wrt)}}}"


def partial(of: str, wrt: str) -> Partial:
    """The symbol for ∂of/∂wrt, e.g. partial("h_2", "h_1")."""
    return Partial(f"∂{of}/∂{wrt}")


def factor_count(N: int) -> int:
    """How many partial derivatives the formula for length N writes: Σ over the N(N + 1)/2
    paths (k, t) of the t − k + 3 factors on each, N(N + 1)(N + 2)/6 + N(N + 1)."""
    _check_length(N)
    return N * (N + 1) * (N + 2) // 6 + N * (N + 1)


def terms(N: int, wrt: str = "U") -> list[sympy.Expr]:
    """The formula's terms in the order of the lab's sums: one per path, (k, t) by t then k.

    The formula has N(N + 1)/2 terms and about N³/6 factors (factor_count).
    """
    _check_wrt(wrt)
    _check_length(N)
    if wrt == "W":
        return [partial("L", f"o_{t}") * partial(f"o_{t}", "W") for t, _ in _outputs(N)]
    result = []
    for k, t in paths(N):
        # The symbols do not commute, so each product keeps the chain rule's order.
        term = partial("L", f"o_{t}") * partial(f"o_{t}", f"h_{t}")
        for j in range(t, k, -1):
            term = term * partial(f"h_{j}", f"h_{j - 1}")
        result.append(term * partial(f"h_{k}", wrt))
    return result


def gradient(N: int, wrt: str = "U") -> sympy.Expr:
    """dL/d``wrt`` for a sequence of length N as a sum of products of Partial symbols."""
    return sympy.Add(*terms(N, wrt))


def latex(N: int, wrt: str = "U") -> str:
    """The LaTeX of dL/d``wrt`` = … for length N, its terms in the lab's order."""
    body = " + ".join(sympy.latex(term) for term in terms(N, wrt))
    return rf"\frac{{\partial L}}{{\partial {_latex_name(wrt)}}} = {body}"


def text(N: int, wrt: str = "U") -> str:
    """dL/d``wrt`` for length N in plain text, each product written with "·"."""
    return f"dL/d{wrt} = " + " + ".join(product_text(term) for term in terms(N, wrt))


def product_text(term: sympy.Expr) -> str:
    """One term as plain text, its factors in the chain rule's order joined by "·"."""
    return " · ".join(str(factor) for factor in term.args)


def text_lines(N: int, wrt: str = "U") -> list[str]:
    """dL/d``wrt`` for length N in plain text, one term a line, the "+" signs aligned."""
    left = f"dL/d{wrt} = "
    products = [product_text(term) for term in terms(N, wrt)]
    return [left + products[0]] + [" " * (len(left) - 2) + "+ " + p for p in products[1:]]


def general_text(wrt: str = "U") -> str:
    """dL/d``wrt`` for any length N in plain text (a subscript of several characters in
    parentheses, as everywhere in rnnlab's text)."""
    _check_wrt(wrt)
    if wrt == "W":
        return "dL/dW = Σ_(t=1…N) ∂L/∂o_t · ∂o_t/∂W"
    return (
        f"dL/d{wrt} = Σ_(t=1…N) Σ_(k=1…t) ∂L/∂o_t · ∂o_t/∂h_t · "
        f"(Π_(j=k+1…t) ∂h_j/∂h_(j-1)) · ∂h_k/∂{wrt}"
    )


def general_latex(wrt: str = "U") -> str:
    """The LaTeX of dL/d``wrt`` for any length N: sums over t and k ≤ t, a product over j."""
    _check_wrt(wrt)
    left = rf"\frac{{\partial L}}{{\partial {_latex_name(wrt)}}} = "
    out = r"\frac{\partial L}{\partial o_{t}} "
    if wrt == "W":
        return left + r"\sum_{t=1}^{N} " + out + r"\frac{\partial o_{t}}{\partial \mathbf{W}}"
    return (
        left
        + r"\sum_{t=1}^{N} \sum_{k=1}^{t} "
        + out
        + r"\frac{\partial o_{t}}{\partial h_{t}} "
        + r"\left( \prod_{j=k+1}^{t} \frac{\partial h_{j}}{\partial h_{j-1}} \right) "
        + rf"\frac{{\partial h_{{k}}}}{{\partial {_latex_name(wrt)}}}"
    )


def verify(N: int, wrt: str = "U") -> bool:
    """Check the chain-rule formula against direct differentiation of the scalar RNN.

    With scalars U, V, W, h_0, x_1 … x_{N+1} and σ an undefined function, builds
    h_t = σ(U x_t + V h_{t-1}), o_t = W h_t and the lab's L = Σ_t (x_{t+1} − o_t)²,
    differentiates L with respect to ``wrt`` directly, and compares it with gradient(N)
    after replacing each ∂a/∂b by the derivative of a's own equation with respect to b,
    its other arguments held fixed. Returns True; raises AssertionError if they differ.

    Both sides are written over the same symbols: g_t for the state h_t = σ(z_t) and one
    symbol for each σ'(z_t). They are then polynomials, and sympy.Poly compares them
    exactly without simplify (which took minutes at N = 40). The work grows like N³
    (N = 40 takes seconds).
    """
    formula = gradient(N, wrt)
    U, V, W = sympy.symbols("U V W")
    parameter = {"U": U, "V": V, "W": W}[wrt]
    sigma = sympy.Function("sigma")
    x = sympy.symbols(f"x_1:{N + 2}")
    h = [sympy.Symbol("h_0")]
    for t in range(1, N + 1):
        h.append(sigma(U * x[t - 1] + V * h[t - 1]))  # equation (1)
    loss = sum((x[t] - W * h[t]) ** 2 for t in range(1, N + 1))  # (2) and the lab's L
    g = [h[0], *sympy.symbols(f"g_1:{N + 1}")]
    direct = sympy.diff(loss, parameter).xreplace({h[t]: g[t] for t in range(1, N + 1)})

    # Each partial from its own equation, the other arguments held as free symbols.
    o_free = sympy.symbols(f"o_1:{N + 1}")
    L_of_o = sum((x[t] - o_free[t - 1]) ** 2 for t in range(1, N + 1))
    h_free, h_previous = sympy.symbols("h h_previous")
    values = {}
    for t in range(1, N + 1):
        step = sigma(U * x[t - 1] + V * h_previous)
        at_t = {h_previous: g[t - 1]}
        values[partial("L", f"o_{t}")] = sympy.diff(L_of_o, o_free[t - 1]).subs(
            o_free[t - 1], W * g[t]
        )
        values[partial(f"o_{t}", f"h_{t}")] = sympy.diff(W * h_free, h_free)
        values[partial(f"o_{t}", "W")] = sympy.diff(W * h_free, W).subs(h_free, g[t])
        values[partial(f"h_{t}", f"h_{t - 1}")] = sympy.diff(step, h_previous).subs(at_t)
        values[partial(f"h_{t}", wrt)] = sympy.diff(step, parameter).subs(at_t)
    substituted = formula.xreplace(values)
    # σ'(z_t) is an unevaluated Subs on both sides: one fresh symbol for each.
    slopes = {
        atom: sympy.Dummy() for side in (direct, substituted) for atom in side.atoms(sympy.Subs)
    }
    difference = direct.xreplace(slopes) - substituted.xreplace(slopes)
    if not sympy.Poly(difference, *sorted(difference.free_symbols, key=str)).is_zero:
        raise AssertionError(
            f"for N = {N} the chain-rule formula for dL/d{wrt} differs from the direct "
            f"derivative by {sympy.expand(difference)}"
        )
    return True


def _outputs(N: int) -> list[tuple[int, int]]:
    """The paths (t, t) from W to L: W meets the chain only at o_t."""
    return [(t, t) for k, t in paths(N) if k == t]  # paths() also checks N


def _check_length(N: int) -> None:
    count_paths(N)  # the same check and message as rnnlab.bptt's


def _check_wrt(wrt: str) -> None:
    if not isinstance(wrt, str):
        raise InvalidTypeError(f"wrt must be a name, got {type(wrt).__name__}")
    if wrt not in WRT_NAMES:
        raise InvalidValueError(f"unknown wrt {wrt!r}; known: {', '.join(WRT_NAMES)}")


def _latex_name(name: str) -> str:
    """ "h_12" as h_{12}, the parameters bold as in the lab: \\mathbf{U}."""
    if name in _PARAMETERS:
        return rf"\mathbf{{{name}}}"
    base, _, index = name.partition("_")
    return f"{base}_{{{index}}}" if index else base
