"""rnnlab: compute, see and check every step of a lab on recurrent neural networks.

The layers, bottom up: ``model`` (the lab's equations) and ``compiled`` (their compiled
twins), ``bigram`` and ``graphs``, ``lab`` (the worked example and its answers),
``render`` (the answers shown), ``grading`` and ``cli``.

Every public name is loaded on first use (PEP 562's module ``__getattr__``), so that
``import rnnlab`` costs nothing: the ``rnnlab`` command's ``--help`` and ``--version``
must not wait for torch, sympy or matplotlib. ``from rnnlab import ElmanRNN`` works as
usual; it imports ``rnnlab.model.rnn`` (and torch) at that moment.
"""

from rnnlab.lazy import on_first_use
from rnnlab.model import display

__version__ = "0.1.0"

# Jupyter's tables of a Trace, Gradients or BigramLM, drawn by the render layer.
display.drawn_in("rnnlab.render.notebook")

# Public name → the module that defines it.
_NAMES = {
    "Activation": "rnnlab.model.activations",
    "BigramLM": "rnnlab.bigram",
    "sequence_probability": "rnnlab.bigram",
    "Gradients": "rnnlab.model.bptt",
    "bptt": "rnnlab.model.bptt",
    "count_paths": "rnnlab.model.paths",
    "next_token_targets": "rnnlab.model.bptt",
    "path_contributions": "rnnlab.model.bptt",
    "paths": "rnnlab.model.paths",
    "bigram_rnn": "rnnlab.model.bigram_rnn",
    "InvalidTypeError": "rnnlab.errors",
    "InvalidValueError": "rnnlab.errors",
    "ElmanRNN": "rnnlab.model.rnn",
    "Trace": "rnnlab.model.rnn",
    "explore": "rnnlab.lab.explore",
}
# Submodules reached as attributes: rnnlab.formulas (sympy), rnnlab.graphs (graphviz), ...
_SUBMODULES = {
    "formulas": "rnnlab.model.formulas",
    "graphs": "rnnlab.graphs",
    "lab": "rnnlab.lab",
}

__all__ = sorted([*_NAMES, *_SUBMODULES])


__getattr__, __dir__ = on_first_use(__name__, _NAMES, _SUBMODULES)
