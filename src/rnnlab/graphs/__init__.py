"""Computation graphs: autograd's, drawn as the lab draws them, and the unrolled RNN's.

- ``make_dot`` and ``autograd_graph`` (autograd.py): the graph torch built while
  computing a tensor, with named parameters and results, values and gradients.
- ``unrolled_graph`` (unrolled.py): the math graph of the RNN over N steps, with the
  paths from U to L that the chain rule sums over; ``check_layout`` refuses, before it is
  built, one that Graphviz could not draw in reasonable time.
- ``save`` (render.py): the DOT source and PDF, SVG or PNG pictures, written atomically.

Every function returns a graphviz.Digraph, which Jupyter displays inline.
"""

from rnnlab.graphs.autograd import autograd_graph, make_dot
from rnnlab.graphs.render import FORMATS, INSTALL_GRAPHVIZ, GraphvizNotFoundError, draw, save
from rnnlab.graphs.unrolled import (
    check_layout,
    edges,
    layout_seconds,
    path_nodes,
    unrolled_graph,
)

__all__ = [
    "FORMATS",
    "INSTALL_GRAPHVIZ",
    "GraphvizNotFoundError",
    "autograd_graph",
    "check_layout",
    "draw",
    "edges",
    "layout_seconds",
    "make_dot",
    "path_nodes",
    "save",
    "unrolled_graph",
]
