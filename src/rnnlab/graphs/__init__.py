"""Computation graphs: autograd's, drawn as the lab draws them, and the unrolled RNN's.

- ``make_dot`` and ``autograd_graph`` (autograd.py): the graph torch built while
  computing a tensor, with named parameters and results, values and gradients.
- ``unrolled_graph`` (unrolled.py): the math graph of the RNN over N steps, with the
  paths from U to L that the chain rule sums over.
- ``save`` (render.py): the DOT source and PDF, SVG or PNG pictures, written atomically.

Every function returns a graphviz.Digraph, which Jupyter displays inline.
"""

from rnnlab.graphs.autograd import autograd_graph, make_dot
from rnnlab.graphs.render import FORMATS, INSTALL_GRAPHVIZ, GraphvizNotFoundError, draw, save
from rnnlab.graphs.unrolled import edges, path_nodes, unrolled_graph

__all__ = [
    "FORMATS",
    "INSTALL_GRAPHVIZ",
    "GraphvizNotFoundError",
    "autograd_graph",
    "draw",
    "edges",
    "make_dot",
    "path_nodes",
    "save",
    "unrolled_graph",
]
