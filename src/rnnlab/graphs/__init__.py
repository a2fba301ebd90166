"""Computation graphs: autograd's, drawn as the lab draws them, and the unrolled RNN's.

- ``make_dot`` and ``autograd_graph`` (autograd.py): the graph torch built while
  computing a tensor, with named parameters and results, values and gradients.
- ``unrolled_graph`` (unrolled.py): the math graph of the RNN over N steps, with the
  paths from U to L that the chain rule sums over.
- ``save`` (render.py): the DOT source and PDF, SVG or PNG pictures, written atomically.

Every function returns a graphviz.Digraph, which Jupyter displays inline.
"""

from rnnlab.lazy import load_on_first_use

# Where each public name lives. They load on first use, so that ``make_dot`` needs only
# autograd.py and render.py: the student wheel holds no unrolled graph and no paths.
_HOMES = {
    "autograd_graph": "autograd",
    "make_dot": "autograd",
    "FORMATS": "render",
    "INSTALL_GRAPHVIZ": "render",
    "GraphvizNotFoundError": "render",
    "draw": "render",
    "save": "render",
    "edges": "unrolled",
    "path_nodes": "unrolled",
    "unrolled_graph": "unrolled",
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = load_on_first_use(
    __name__, {n: f"rnnlab.graphs.{m}" for n, m in _HOMES.items()}
)
