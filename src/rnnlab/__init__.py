"""rnnlab: compute, see and check every step of a lab on recurrent neural networks."""

import importlib

from rnnlab.activations import Activation
from rnnlab.bigram import BigramLM, sequence_probability
from rnnlab.bptt import Gradients, bptt, next_token_targets, path_contributions
from rnnlab.construction import bigram_rnn
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.graph_paths import count_paths, paths
from rnnlab.rnn import ElmanRNN, Trace

__all__ = [
    "Activation",
    "BigramLM",
    "ElmanRNN",
    "Gradients",
    "InvalidTypeError",
    "InvalidValueError",
    "Trace",
    "bigram_rnn",
    "bptt",
    "count_paths",
    "formulas",
    "graphs",
    "next_token_targets",
    "path_contributions",
    "paths",
    "sequence_probability",
]
__version__ = "0.1.0"

# Modules loaded on first use, so that `import rnnlab` does not pay for sympy (formulas),
# graphviz (graphs) or the lab's worked example until they are asked for.
_SUBMODULES = ("formulas", "graphs", "lab")


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return importlib.import_module(f"rnnlab.{name}")
    raise AttributeError(f"module 'rnnlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBMODULES])
