"""Computation graphs: autograd's, drawn as the lab draws them, and the unrolled RNN's.

- ``make_dot`` and ``autograd_graph`` (autograd.py): the graph torch built while
  computing a tensor, with named parameters and results, values and gradients.
- ``unrolled_graph`` (unrolled.py): the math graph of the RNN over N steps, with the
  paths from U to L that the chain rule sums over.
- ``save`` (render.py): the DOT source and PDF, SVG or PNG pictures, written atomically.

Every function returns a graphviz.Digraph, which Jupyter displays inline.
"""

from rnnlab.lazy import on_first_use

# Each module, with the public names it defines. They load on first use (a module
# ``__getattr__``), so that ``make_dot`` needs only autograd.py and render.py: the student
# wheel holds no unrolled graph and no paths.
_HOMES = {
    "autograd": ("autograd_graph", "make_dot"),
    "render": ("FORMATS", "INSTALL_GRAPHVIZ", "GraphvizNotFoundError", "draw", "save"),
    "unrolled": ("edges", "path_nodes", "unrolled_graph"),
}
_MODULE = {name: module for module, names in _HOMES.items() for name in names}

__all__ = sorted(_MODULE)


__getattr__, __dir__ = on_first_use(__name__, {n: f"{__name__}.{m}" for n, m in _MODULE.items()})
