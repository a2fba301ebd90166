"""rnnlab: compute, see and check every step of a lab on recurrent neural networks."""

from rnnlab import formulas, graphs
from rnnlab.activations import Activation
from rnnlab.bigram import BigramLM, sequence_probability
from rnnlab.bptt import (
    Gradients,
    bptt,
    count_paths,
    next_token_targets,
    path_contributions,
    paths,
)
from rnnlab.construction import bigram_rnn
from rnnlab.errors import InvalidTypeError, InvalidValueError
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
