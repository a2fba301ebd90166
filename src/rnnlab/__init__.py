"""rnnlab: compute, see and check every step of a lab on recurrent neural networks."""

from rnnlab import graphs
from rnnlab.activations import Activation
from rnnlab.bigram import BigramLM, sequence_probability
from rnnlab.construction import bigram_rnn
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.rnn import ElmanRNN, Trace

__all__ = [
    "Activation",
    "BigramLM",
    "ElmanRNN",
    "InvalidTypeError",
    "InvalidValueError",
    "Trace",
    "bigram_rnn",
    "graphs",
    "sequence_probability",
]
__version__ = "0.1.0"
