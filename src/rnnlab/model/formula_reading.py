"""Reading a student's formula for dL/dU: one Lark grammar for LaTeX, Unicode and ASCII.

A formula is read into a small tree (frozen dataclasses): sums of signed products, whose
factors are whole numbers, partial derivatives ∂a/∂b, groups in brackets, and sums and
products over an index (Σ_{t=1}^{N}, ∏_{j=k+1}^{t}). Nothing here knows which formula is
right; rnnlab.model.formula_check expands the tree and compares it with the sum over paths.

A Σ or ∏ written without brackets applies to the factors after it, as in the lab's
∑_{k=1}^{t} ∂L/∂o_t ∂o_t/∂h_t ∏_{j=k+1}^{t} ∂h_j/∂h_{j-1} ∂h_k/∂U: a sum takes the rest
of its product, and a product stops after the last factor that mentions its index, so
that ∂h_k/∂U above is outside the product over j. Brackets say otherwise where meant.

This module imports neither torch nor sympy, so that checking a formula loads quickly and
needs none of the lab's numerical code.
"""

from dataclasses import dataclass, field

import lark

GRAMMAR = r"""
start: "$$" _body "$$" _END? | "$" _body "$" _END? | "\\[" _body "\\]" _END?
     | "\\(" _body "\\)" _END? | _body
_body: BEGIN answer _END? END | answer _END?
answer: (derivative "=")? sum

sum: SIGN? product (SIGN product)*
product: item (_TIMES? item)*
?item: derivative | NUMBER | group | bigop
?group: "(" sum ")" | "[" sum "]" | "{" sum "}" | "\\{" sum "\\}"
bigop: BIG limits
limits: "_" "{" LETTER "=" index "}" "^" bound
      | "^" bound "_" "{" LETTER "=" index "}"
      | "_" "(" LETTER "=" index _TO index ")"
      | "_" "{" LETTER "=" index _TO index "}"
?bound: "{" index "}" | NUMBER -> index | LETTER -> index

derivative: FRAC "{" _d variable arguments? "}" "{" _d variable "}"
          | _d variable arguments? "/" _d variable
_d: PARTIAL | "d" | DROMAN
arguments: "(" variable ("," variable)* ")"
variable: name (subscript)? | ASCII_INDEXED | "{" variable "}"
name: LETTER | STYLE "{" LETTER "}" | STYLE LETTER
?subscript: "_" "{" index "}" | "_" "(" index ")" | "_" NUMBER -> index
          | "_" LETTER -> index | unicode_index
index: (SIGN)? _index_atom (SIGN _index_atom)*
_index_atom: NUMBER | LETTER
unicode_index: SUB_ATOM (SUB_SIGN SUB_ATOM)*

NUMBER: /[0-9]+/
ASCII_INDEXED.2: /[A-Za-z][0-9]+/
LETTER: /[A-Za-z]/
SIGN: "+" | "-" | "−"
_TIMES: /\\cdot(?![A-Za-z])/ | /\\times(?![A-Za-z])/ | "*" | "·" | "⋅" | "×"
      | "∗"
_TO: "…" | ".." | /\\ldots(?![A-Za-z])/ | /\\dots(?![A-Za-z])/
_END: "." | ","
BIG: /\\(sum|prod|Sigma|Pi)(?![A-Za-z])/ | "∑" | "∏" | "Σ" | "Π"
   | /(sum|prod)(?![A-Za-z])/
FRAC: /\\[dt]?frac(?![A-Za-z])/
PARTIAL: /\\partial(?![A-Za-z])/ | "∂"
DROMAN: /\\mathrm\s*\{\s*d\s*\}/ | /\\mathrm\s+d(?![A-Za-z])/
STYLE: /\\(mathbf|boldsymbol|bm|mathrm|mathit|mathcal|mathsf|textbf|vec)(?![A-Za-z])/
BEGIN: /\\begin\s*\{(aligned|align|equation|split|gathered|gather)\*?\}/
END: /\\end\s*\{(aligned|align|equation|split|gathered|gather)\*?\}/
SUB_ATOM: /[\u2080-\u2089]+/ | /[\u2090-\u209c\u1d62\u2c7c]/
SUB_SIGN: "₊" | "₋"

SPACING: /\s+/ | /\\[,;:! ]/ | "~" | "&" | /\\\\/
       | /\\(quad|qquad|displaystyle|textstyle|limits|nolimits|left|right)(?![A-Za-z])/
       | /\\[bB]igg?[lr]?(?![A-Za-z])/
%ignore SPACING
"""

_UNICODE_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ₊₋", "0123456789aeoxhklmnpstij+-")


@dataclass(frozen=True)
class Index:
    """An index such as k + 1 or 3: whole-number constant plus letters, each ±1."""

    letters: tuple[tuple[str, int], ...]
    constant: int

    def text(self) -> str:
        parts = [("-" if sign < 0 else "+") + letter for letter, sign in self.letters]
        if self.constant or not parts:
            parts.append(f"{self.constant:+d}")
        written = "".join(parts).lstrip("+")
        return written if written.isalnum() else f"({written})"


@dataclass(frozen=True)
class Variable:
    """L, o_t, h_{j-1}, U: a letter and its index, if any."""

    letter: str
    index: "Index | None"

    def text(self) -> str:
        return self.letter if self.index is None else f"{self.letter}_{self.index.text()}"


@dataclass(frozen=True)
class Derivative:
    """∂of/∂wrt, whatever way it was written."""

    of: Variable
    wrt: Variable
    at: str = field(default="", compare=False)
    """Where it was written: "line 1, column 8"."""

    def text(self) -> str:
        return f"∂{self.of.text()}/∂{self.wrt.text()}"

    def placed(self) -> str:
        return f"{self.text()} (at {self.at})"


@dataclass(frozen=True)
class Sum:
    """terms, each with its sign: +1 or −1."""

    terms: tuple[tuple[int, "Product"], ...]


@dataclass(frozen=True)
class Product:
    """factors multiplied together, in the order written."""

    factors: tuple["Node", ...]


@dataclass(frozen=True)
class BigOperator:
    """Σ or ∏ (kind "sum" or "product") of body over letter = lower … upper."""

    kind: str
    letter: str
    lower: Index
    upper: Index
    body: "Product | None" = None
    at: str = field(default="", compare=False)

    def text(self) -> str:
        symbol = "Σ" if self.kind == "sum" else "∏"
        return f"{symbol}_({self.letter}={self.lower.text()}…{self.upper.text()})"

    def placed(self) -> str:
        return f"{self.text()} (at {self.at})"


Node = int | Derivative | Sum | Product | BigOperator


@dataclass(frozen=True)
class Answer:
    """What a student wrote: an optional left-hand side and the formula."""

    left: "Derivative | None"
    right: Sum


class UnreadableError(Exception):
    """The text is no formula this grammar reads; the message says where reading stopped."""


class _ToTree(lark.Transformer):
    """Lark's parse tree into the dataclasses above."""

    def start(self, children: list) -> Answer:
        return next(child for child in children if isinstance(child, Answer))

    def answer(self, children: list) -> Answer:
        children = [child for child in children if not isinstance(child, lark.Token)]
        return Answer(children[0] if len(children) == 2 else None, children[-1])

    def sum(self, children: list) -> Sum:
        terms, sign = [], 1
        for child in children:
            if isinstance(child, lark.Token):
                sign = -1 if child in ("-", "\u2212") else 1
            else:
                terms.append((sign, child))
                sign = 1
        return Sum(tuple(terms))

    def product(self, children: list) -> Product:
        return Product(_scoped(children))

    def NUMBER(self, token: lark.Token) -> int:
        return int(token)

    @lark.v_args(meta=True)
    def bigop(self, meta: lark.tree.Meta, children: list) -> BigOperator:
        big, (letter, lower, upper) = children
        kind = "sum" if big.lstrip("\\") in ("sum", "Sigma", "\u2211", "\u03a3") else "product"
        return BigOperator(kind, letter, lower, upper, at=_place(meta))

    def limits(self, children: list) -> tuple[str, Index, Index]:
        if isinstance(children[0], Index):  # ^{upper} _{letter = lower}
            upper, letter, lower = children
        else:
            letter, lower, upper = children
        return str(letter), lower, upper

    @lark.v_args(meta=True)
    def derivative(self, meta: lark.tree.Meta, children: list) -> Derivative:
        variables = [child for child in children if isinstance(child, Variable)]
        return Derivative(variables[0], variables[-1], at=_place(meta))

    def arguments(self, children: list) -> None:
        return None  # the arguments a student may keep, ∂L(o_1, x_2)/∂o_1, change nothing

    def variable(self, children: list) -> Variable:
        if isinstance(children[0], Variable):  # in braces: \partial{L}
            return children[0]
        if len(children) == 1 and isinstance(children[0], lark.Token):  # ASCII: o1, h12
            return Variable(children[0][0], Index((), int(children[0][1:])))
        return Variable(children[0], children[1] if len(children) > 1 else None)

    def name(self, children: list) -> str:
        return str(children[-1])

    def index(self, children: list) -> Index:
        letters, constant, sign = [], 0, 1
        for child in children:
            if isinstance(child, Index):
                return child
            if isinstance(child, lark.Token) and child.type in ("SIGN", "SUB_SIGN"):
                sign = -1 if child.translate(_UNICODE_SUBSCRIPTS) in ("-", "−") else 1
                continue
            atom = str(child).translate(_UNICODE_SUBSCRIPTS)
            if atom.isdigit():
                constant += sign * int(atom)
            else:
                letters.append((atom, sign))
            sign = 1
        return Index(tuple(letters), constant)

    def unicode_index(self, children: list) -> Index:
        return self.index(children)


def numbers_in(node: object) -> list[int]:
    """Every whole number written in node: factors, indices and bounds."""
    if isinstance(node, int):
        return [abs(node)]
    if isinstance(node, Index):  # t + t + 3 ≥ 5 for every t ≥ 1: it counts as 5
        return [abs(node.constant) + len(node.letters)]
    if isinstance(node, (Answer, Sum, Product, BigOperator, Derivative, Variable)):
        return [n for value in vars(node).values() for n in numbers_in(value)]
    if isinstance(node, tuple):
        return [n for value in node for n in numbers_in(value)]
    return []


def mentions(node: object, letter: str) -> bool:
    """Whether ``letter`` occurs in an index anywhere in node."""
    if isinstance(node, Index):
        return any(name == letter for name, _ in node.letters)
    if isinstance(node, Variable):
        return mentions(node.index, letter)
    if isinstance(node, Derivative):
        return mentions(node.of, letter) or mentions(node.wrt, letter)
    if isinstance(node, Sum):
        return any(mentions(product, letter) for _, product in node.terms)
    if isinstance(node, Product):
        return any(mentions(factor, letter) for factor in node.factors)
    if isinstance(node, BigOperator):
        bounds = mentions(node.lower, letter) or mentions(node.upper, letter)
        return bounds or (node.letter != letter and mentions(node.body, letter))
    return False


def _scoped(items: list) -> tuple:
    """The factors of a product, each Σ or ∏ given its body (see the module's docstring)."""
    for position, item in enumerate(items):
        if isinstance(item, BigOperator) and item.body is None:
            rest = list(_scoped(items[position + 1 :]))
            if not rest:
                raise UnreadableError(
                    f"{item.placed()} is followed by nothing to take the {item.kind} of"
                )
            end = len(rest)
            if item.kind == "product":
                mentioning = [i for i, factor in enumerate(rest) if mentions(factor, item.letter)]
                end = mentioning[-1] + 1 if mentioning else 1
            body = BigOperator(
                item.kind, item.letter, item.lower, item.upper, Product(tuple(rest[:end])), item.at
            )
            return (*items[:position], body, *rest[end:])
    return tuple(items)


MOST_CHARACTERS = 100_000
"""The longest text read (the lab's formula for N = 30 written out has 77,365)."""
MOST_DEPTH = 120
"""The deepest parse tree read: some 55 brackets inside one another."""

_PARSER = lark.Lark(
    GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=False, propagate_positions=True
)


def _place(meta: lark.tree.Meta) -> str:
    return f"line {meta.line}, column {meta.column}"


def read(text: str) -> Answer:
    """The formula in ``text``; raises UnreadableError saying where reading stopped."""
    if not text.strip():
        raise UnreadableError("the answer is empty")
    if len(text) > MOST_CHARACTERS:
        raise UnreadableError(
            f"it has {len(text):,} characters, more than the {MOST_CHARACTERS:,} read"
        )
    try:
        tree = _PARSER.parse(text)
        if _depth(tree) > MOST_DEPTH:
            raise UnreadableError("its brackets are nested too deeply to read")
        return _ToTree().transform(tree)
    except lark.UnexpectedEOF:
        raise UnreadableError("the answer ends in the middle of a formula") from None
    except lark.UnexpectedToken as error:
        if error.token.type == "$END":
            raise UnreadableError("the answer ends in the middle of a formula") from None
        raise UnreadableError(_where(text, error)) from None
    except lark.UnexpectedInput as error:
        raise UnreadableError(_where(text, error)) from None
    except lark.exceptions.VisitError as error:
        if isinstance(error.orig_exc, UnreadableError):
            raise error.orig_exc from None
        raise


def _depth(tree: lark.Tree) -> int:
    """How deep the parse tree is, found without recursion (it may be deeper than Python's
    stack allows, which is what this is for)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack += [(child, depth + 1) for child in node.children if isinstance(child, lark.Tree)]
    return deepest


def _where(text: str, error: lark.UnexpectedInput) -> str:
    """Where reading stopped: line, column and the text from there."""
    line, column = error.line, error.column
    if line is None or line < 1:  # the end of the text
        return "the answer ends in the middle of a formula"
    rest = text.split("\n")[line - 1][column - 1 :]  # the parser's lines end at "\n" only
    shown = rest if len(rest) <= 30 else rest[:30] + "…"
    return f"reading stopped at line {line}, column {column}, at {shown!r}"
