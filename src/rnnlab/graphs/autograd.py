"""Pictures of torch's autograd graph, as the lab draws them with its ``make_dot``.

Three steps, kept apart (torchviz's dot.py does all three in one recursive closure):
``_trace`` walks the graph from the outputs, ``_label`` says what each node shows, and
``_STYLE`` says how each kind of node looks. ``_draw`` puts them together.

Autograd's graph is the backward graph: one node per operation (``MvBackward0``,
``ClampBackward1``, …) and one ``AccumulateGrad`` node per leaf tensor that requires
grad. An edge runs from each operation's input to the operation, so the picture reads
in the forward direction, from the leaves U, V, W, x, h0 down to the outputs.
"""

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import graphviz
import torch

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.graphs.render import Drawing

# The kinds of node, each drawn in its own colour (the legend under every picture).
LEAF, RESULT, OUTPUT, OP = "leaf", "result", "output", "op"

# Operations, most of the nodes, take the graph's default look; the other kinds override it.
_OPERATION_LOOK = {"shape": "ellipse", "color": "gray45", "fontcolor": "gray25"}
_TENSOR_LOOK = {"shape": "box", "color": "black", "fontcolor": "black"}
_STYLE = {
    LEAF: {**_TENSOR_LOOK, "style": "filled", "fillcolor": "lightblue"},
    RESULT: {**_TENSOR_LOOK, "style": "filled,rounded", "fillcolor": "#fdd49e"},
    OUTPUT: {**_TENSOR_LOOK, "style": "filled,bold", "fillcolor": "darkolivegreen1"},
    OP: {},
}
LEGEND = {
    LEAF: ("blue", "leaf tensors (parameters, inputs)"),
    RESULT: ("orange", "named results"),
    OUTPUT: ("green", "outputs"),
}
"""Each kind of tensor's colour, as a word, and what it is: the legend, and the prose."""
_LEGEND = "   ".join(f"{colour}: {what}" for colour, what in LEGEND.values())
_LEGEND += "   ellipses: operations"
# A value or gradient shows at most this many entries, so a node stays legible.
_MOST_ENTRIES = 8


@dataclass(frozen=True)
class _Node:
    """One autograd node as drawn: its kind, its name (or None) and the tensor it stands for."""

    function: object
    kind: str
    name: "str | None"
    tensor: "torch.Tensor | None"


def autograd_graph(
    outputs: "torch.Tensor | Sequence[torch.Tensor]",
    names: "Mapping[str, torch.Tensor] | None" = None,
    values: bool = False,
    grads: bool = False,
) -> graphviz.Digraph:
    """The autograd graph that computed ``outputs``, with the tensors in ``names`` named.

    outputs: a tensor, or a tuple or list of tensors, computed from leaves that require
    grad. names: name → tensor, for leaves (matched through their AccumulateGrad node)
    and for intermediate results (matched through their grad_fn). ``values=True`` shows
    each named node's shape and value; ``grads=True`` its gradient, which exists after
    ``backward()`` for leaves and for results on which ``retain_grad()`` was called.
    Returns a graphviz.Digraph; it displays inline in Jupyter, and rnnlab.graphs.save
    or its own ``.render(path)`` writes it as a file.
    """
    roots = _output_tensors(outputs)
    named = _named_tensors(names)
    nodes, edges = _trace(roots, named)
    return _draw(nodes, edges, lambda node: _label(node, values, grads))


def make_dot(
    var: "torch.Tensor | Sequence[torch.Tensor]",
    params: "Mapping[str, torch.Tensor] | None" = None,
) -> graphviz.Digraph:
    """The lab's ``make_dot(var, params)``: the autograd graph of var, named by params.

    A drop-in for the lab's helper (adapted from torchviz): the same call, the same
    picture of named tensors and operations, and ``.render(path)`` writes ``path.pdf``.
    Unlike it, ``params`` is left unchanged and a leaf missing from it is shown by shape.
    """
    return autograd_graph(var, names=params)


def _output_tensors(outputs: object) -> list[torch.Tensor]:
    tensors = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    if not tensors:
        raise InvalidValueError("outputs is empty, expected at least one tensor")
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, torch.Tensor):
            raise InvalidTypeError(
                f"output {position + 1} is a {type(tensor).__name__}, expected a torch.Tensor"
            )
        if not tensor.requires_grad:
            raise InvalidValueError(
                f"output {position + 1} does not require grad, so autograd kept no graph of it; "
                "set requires_grad=True on the leaves (U, V, W, …) before computing it"
            )
    return tensors


def _named_tensors(names: object) -> dict[str, torch.Tensor]:
    if names is None:
        return {}
    if not isinstance(names, Mapping):
        raise InvalidTypeError(
            f"names is a {type(names).__name__}, expected a dict of name → tensor"
        )
    for name, tensor in names.items():
        if not isinstance(tensor, torch.Tensor):
            raise InvalidTypeError(
                f"names[{name!r}] is a {type(tensor).__name__}, expected a torch.Tensor"
            )
    return dict(names)


def _trace(
    roots: list[torch.Tensor], named: dict[str, torch.Tensor]
) -> tuple[list[_Node], list[tuple[int, int]]]:
    """Every autograd node reachable from the roots, and the edges input → operation.

    Iterative, not recursive, so a graph thousands of steps deep is traced too. Edges
    are index pairs into the returned nodes, in the order found, repeats kept: x * x
    uses x twice.
    """
    # A leaf is matched by its tensor, a result by the grad_fn that produced it. The
    # grad_fn objects are held here: torch may hand out a new Python object for the
    # same node once the old one is gone, and its id would then no longer match.
    leaf_names = {id(tensor): name for name, tensor in named.items() if tensor.grad_fn is None}
    results: dict[int, tuple[object, list[str], torch.Tensor]] = {}
    for name, tensor in named.items():
        if tensor.grad_fn is not None:
            function = tensor.grad_fn
            results.setdefault(id(function), (function, [], tensor))[1].append(name)
    # A root that is itself a leaf (make_dot(U)) has no grad_fn; its node is the
    # AccumulateGrad that autograd gives it.
    roots_functions = [_function_of(root) for root in roots]
    output_ids = {id(function) for function in roots_functions}

    found, inputs = _reachable(roots_functions)
    index = {id(function): number for number, function in enumerate(found)}
    nodes = []
    for function in found:
        tensor = getattr(function, "variable", None)
        if tensor is not None:
            nodes.append(_Node(function, LEAF, leaf_names.get(id(tensor)), tensor))
            continue
        _, names, tensor = results.get(id(function), (None, [], None))
        kind = OUTPUT if id(function) in output_ids else RESULT if names else OP
        nodes.append(_Node(function, kind, ", ".join(names) or None, tensor))
    edges = [
        (index[id(source)], number) for number, sources in enumerate(inputs) for source in sources
    ]
    return nodes, edges


def _reachable(functions: list[object]) -> tuple[list[object], list[list[object]]]:
    """The autograd nodes reachable from functions, depth first, each once; and their inputs."""
    seen: set[int] = set()
    found, inputs = [], []
    stack = list(reversed(functions))
    while stack:
        function = stack.pop()
        if id(function) in seen:
            continue
        seen.add(id(function))
        # next_functions builds a new tuple at every call: read it once.
        sources = [source for source, _ in function.next_functions if source is not None]
        found.append(function)
        inputs.append(sources)
        stack.extend(source for source in reversed(sources) if id(source) not in seen)
    return found, inputs


def _function_of(tensor: torch.Tensor) -> object:
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    return tensor.view_as(tensor).grad_fn.next_functions[0][0]


def _operation_name(function: object) -> str:
    """Autograd's class name without its noise: MmBackward0 → mm, ClampMinBackward0 → clamp_min."""
    return _snake_case(type(function).__name__)


@functools.cache
def _snake_case(class_name: str) -> str:
    name = re.sub(r"Backward\d*$", "", class_name)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _label(node: _Node, values: bool, grads: bool) -> str:
    """The text of a node: its name, the operation that made it, then what was asked for."""
    if node.kind == LEAF:
        lines = [node.name or _shape(node.tensor)]
    else:
        lines = [text for text in (node.name, _operation_name(node.function)) if text]
    if node.tensor is not None and node.name is not None:
        if values:
            lines += [f"shape {_shape(node.tensor)}", f"value {_entries(node.tensor)}"]
        if grads:
            lines.append(f"grad {_gradient(node.tensor)}")
    return "\n".join(lines)


def _shape(tensor: torch.Tensor) -> str:
    """(2, 2), (2,) or () for a 0-d tensor."""
    return str(tuple(tensor.shape))


def _entries(tensor: torch.Tensor) -> str:
    """Up to _MOST_ENTRIES numbers of a tensor, in rows for a matrix, to 4 significant figures."""
    data = tensor.detach()
    if data.dim() == 0:
        return f"{float(data):.4g}"
    if data.dim() == 2 and data.numel() <= _MOST_ENTRIES:
        return "[" + ", ".join(_numbers(row) for row in data) + "]"
    return _numbers(data.reshape(-1))


def _numbers(values: torch.Tensor) -> str:
    shown = [f"{float(v):.4g}" for v in values[:_MOST_ENTRIES].tolist()]
    more = ", …" if values.numel() > _MOST_ENTRIES else ""
    return "[" + ", ".join(shown) + more + "]"


def _gradient(tensor: torch.Tensor) -> str:
    # Reading .grad of a result that did not retain it makes torch warn; ask first.
    if not (tensor.is_leaf or tensor.retains_grad):
        return "not kept (call retain_grad() before backward)"
    if tensor.grad is None:
        return "none yet (call backward())"
    return _entries(tensor.grad)


def _draw(nodes: list[_Node], edges: list[tuple[int, int]], label) -> graphviz.Digraph:
    dot = Drawing(
        "autograd",
        graph_attr={"label": _LEGEND, "labelloc": "b", "fontsize": "10", "fontcolor": "gray30"},
        node_attr={"fontsize": "12", "height": "0.3", "margin": "0.08,0.04", **_OPERATION_LOOK},
        edge_attr={"color": "gray40", "arrowsize": "0.7"},
    )
    for number, node in enumerate(nodes):
        dot.node(f"n{number}", label(node), **_STYLE[node.kind])
    for source, target in edges:
        dot.edge(f"n{source}", f"n{target}")
    return dot
