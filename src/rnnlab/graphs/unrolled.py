"""The math graph of an RNN unrolled over N steps, with its paths from U to L.

Nodes are the lab's quantities: the parameters U, V, W, the inputs x_1 … x_N, the
states h_0 … h_N, the outputs o_1 … o_N and the loss L. Edges follow the equations:

    h_t = σ(U x_t + V h_{t-1})   U → h_t, V → h_t, x_t → h_t, h_{t-1} → h_t   (1)
    o_t = W h_t                  W → o_t, h_t → o_t                            (2)
    L = Σ_t loss(o_t, y_t)       o_t → L

U enters the chain of states at every h_k, and L gathers every o_t, so a path from U
to L is fixed by where it enters and where it leaves: path (k, t) is
U → h_k → h_{k+1} → … → h_t → o_t → L, with t − k + 1 states on it, and there are
N(N + 1)/2 of them (section 3.5 of the lab). The same holds for V.
"""

import itertools
from collections.abc import Sequence

import graphviz

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.paths import Path, count_paths, paths

# Sources whose paths to L can be highlighted: both enter the chain at every h_k.
SOURCES = ("U", "V")
# Highlighting draws one edge per path and a legend row each; past N = 7 (28 paths)
# the picture is a smear.
MOST_HIGHLIGHTED = 28

_PARAMETER = {"shape": "box", "style": "filled", "fillcolor": "lightblue"}
_STYLE = {
    "U": _PARAMETER,
    "V": _PARAMETER,
    "W": _PARAMETER,
    "x": {"shape": "box", "style": "filled", "fillcolor": "gray92", "color": "gray55"},
    "h": {"shape": "circle", "style": "filled", "fillcolor": "#fdd49e", "width": "0.45"},
    "o": {"shape": "circle", "style": "filled", "fillcolor": "darkolivegreen1", "width": "0.45"},
    "L": {"shape": "doublecircle", "style": "filled", "fillcolor": "#f4a6a6", "width": "0.4"},
}
_PLAIN_EDGE = {"color": "gray70"}


def edges(N: int) -> list[tuple[str, str]]:
    """The edges of the unrolled graph as (from, to) node names: "U", "h0", "x1", "o2", "L"."""
    _check_length(N)
    return [
        edge
        for t in range(1, N + 1)
        for edge in (
            ("U", f"h{t}"),
            ("V", f"h{t}"),
            (f"x{t}", f"h{t}"),
            (f"h{t - 1}", f"h{t}"),
            ("W", f"o{t}"),
            (f"h{t}", f"o{t}"),
            (f"o{t}", "L"),
        )
    ]


def path_nodes(path: Path, wrt: str = "U") -> list[str]:
    """The nodes of path (k, t): wrt → h_k → … → h_t → o_t → L."""
    k, t = path
    return [wrt, *(f"h{s}" for s in range(k, t + 1)), f"o{t}", "L"]


def unrolled_graph(
    N: int,
    wrt: str = "U",
    highlight: "Path | Sequence[Path] | str | None" = None,
) -> graphviz.Digraph:
    """The unrolled RNN of N steps, with paths from ``wrt`` to L highlighted.

    wrt: "U" or "V". highlight: one path (k, t), a list of them, or "all"; each is
    drawn in its own colour, one edge per path, so the number of coloured edges into
    L is the number of paths and each path's states can be counted along it. A legend
    lists them. Time runs left to right; inputs at the bottom, the loss at the top.
    """
    _check_length(N)
    if wrt not in SOURCES:
        raise InvalidValueError(f"wrt is {wrt!r}, expected one of {', '.join(SOURCES)}")
    chosen = _highlighted(N, highlight)
    colours = _colours(len(chosen))
    on_edge: dict[tuple[str, str], list[int]] = {}
    for number, path in enumerate(chosen):
        nodes = path_nodes(path, wrt)
        for edge in itertools.pairwise(nodes):
            on_edge.setdefault(edge, []).append(number)

    dot = graphviz.Digraph(
        f"unrolled_{N}",
        graph_attr={
            "rankdir": "BT",
            "newrank": "true",
            "nodesep": "0.35",
            "ranksep": "0.55",
            "fontsize": "12",
        },
        node_attr={"fontsize": "14", "margin": "0.04"},
        edge_attr={"arrowsize": "0.6"},
    )
    _add_nodes(dot, N)
    for edge in edges(N):
        # Heavy edges x_t → h_t → o_t stand each time step in a straight column.
        weight = "10" if edge[0][0] in "xh" and edge[0][1:] == edge[1][1:] else "1"
        numbers = on_edge.get(edge, [])
        if not numbers:
            dot.edge(*edge, weight=weight, **_PLAIN_EDGE)
        for number in numbers:
            dot.edge(*edge, weight=weight, color=colours[number], penwidth="2.2")
    dot.node("legend", _legend(N, wrt, chosen, colours), shape="plaintext")
    dot.body.append("\t{rank=same; L; legend}\n")
    return dot


def _check_length(N: object) -> None:
    if isinstance(N, bool) or not isinstance(N, int):
        raise InvalidTypeError(f"N is a {type(N).__name__}, expected a whole number of steps")
    if N < 1:
        raise InvalidValueError(f"N is {N}, expected at least 1 step")


def _highlighted(N: int, highlight: object) -> list[Path]:
    """The paths to highlight, checked: 1 ≤ k ≤ t ≤ N, none twice."""
    if highlight is None:
        return []
    if isinstance(highlight, str) and highlight == "all":
        if count_paths(N) > MOST_HIGHLIGHTED:  # before listing them: N(N + 1)/2 can be huge
            raise InvalidValueError(
                f"highlighting all {count_paths(N):,} paths of N = {N} is too many to tell "
                f"apart, expected at most {MOST_HIGHLIGHTED} (N ≤ 7); pick some with a list "
                "of (k, t)"
            )
        chosen = paths(N)
    elif isinstance(highlight, str):
        raise InvalidValueError(f"highlight is {highlight!r}, expected 'all', (k, t) or a list")
    elif _is_path(highlight):
        chosen = [tuple(highlight)]
    elif isinstance(highlight, Sequence) and all(_is_path(path) for path in highlight):
        chosen = [tuple(path) for path in highlight]
    else:
        raise InvalidTypeError(
            f"highlight is {highlight!r}, expected a path (k, t), a list of paths, or 'all'"
        )
    for k, t in chosen:
        if not 1 <= k <= t <= N:
            raise InvalidValueError(
                f"path ({k}, {t}) is not in the graph, expected 1 ≤ k ≤ t ≤ N = {N}"
            )
    if len(set(chosen)) < len(chosen):
        raise InvalidValueError(f"highlight {highlight!r} names a path twice")
    if len(chosen) > MOST_HIGHLIGHTED:
        raise InvalidValueError(
            f"highlighting {len(chosen)} paths is too many to tell apart, expected at most "
            f"{MOST_HIGHLIGHTED}; pick some with a list of (k, t)"
        )
    return chosen


def _is_path(value: object) -> bool:
    return (
        isinstance(value, Sequence)
        and len(value) == 2
        and all(isinstance(i, int) and not isinstance(i, bool) for i in value)
    )


def _colours(count: int) -> list[str]:
    """``count`` hues spread evenly round the colour wheel, dark enough to read on white."""
    return [f"{number / count:.3f} 0.85 0.80" for number in range(count)]


def _add_nodes(dot: graphviz.Digraph, N: int) -> None:
    """The nodes, one row per kind: inputs with U and V, states with W, outputs, loss."""
    real = set(edges(N))
    rows = [
        ["U", "V", *(f"x{t}" for t in range(1, N + 1))],
        ["W", *(f"h{t}" for t in range(N + 1))],
        [f"o{t}" for t in range(1, N + 1)],
        ["L"],
    ]
    for row in rows:
        for name in row:
            dot.node(name, _math_label(name), **_STYLE[name[0]])
        dot.body.append("\t{rank=same; " + "; ".join(row) + "}\n")
        # Invisible edges keep each row in order: U, V, W at the left, then time.
        for left, right in itertools.pairwise(row):
            if (left, right) not in real:
                dot.edge(left, right, style="invis")


def _math_label(name: str) -> str:
    """U, V, W in bold as the lab prints matrices; h1 as h with subscript 1."""
    if name in ("U", "V", "W"):
        return f"<<B>{name}</B>>"
    if name == "L":
        return "<<I>L</I>>"
    return f"<<I>{name[0]}</I>{_subscript(name[1:])}>"


def _subscript(text: str) -> str:
    """``text`` as a subscript; render.draw makes it smaller in SVG, as dot does in PDF."""
    return f"<SUB>{text}</SUB>"


def _legend(N: int, wrt: str, chosen: list[Path], colours: list[str]) -> str:
    """A table: how many paths there are, then each highlighted one with its states."""
    total = count_paths(N)
    rows = [
        f'<TR><TD COLSPAN="3" ALIGN="LEFT"><B>{total} path{"s" if total > 1 else ""} '
        f"from {wrt} to L</B> (N(N+1)/2, N = {N})</TD></TR>"
    ]
    for (k, t), colour in zip(chosen, colours, strict=True):
        states = t - k + 1
        plural = "" if states == 1 else "'s"
        rows.append(
            f'<TR><TD><FONT COLOR="{colour}"><B>━━</B></FONT></TD>'
            f'<TD ALIGN="LEFT">({k}, {t})</TD>'
            f'<TD ALIGN="LEFT">{_path_text(k, t, wrt)}   '
            f"{states} h{plural}</TD></TR>"
        )
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">' + "".join(rows) + "</TABLE>>"


def _path_text(k: int, t: int, wrt: str) -> str:
    states = [f"h{_subscript(str(s))}" for s in range(k, t + 1)]
    if len(states) > 4:
        states = [*states[:2], "…", states[-1]]
    return " → ".join([wrt, *states, f"o{_subscript(str(t))}", "L"])
