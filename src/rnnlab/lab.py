"""The lab's worked example, as named constants, and an answer to each of its questions.

The names are the lab's: U, V, W, x1, x2, h0 (section 1), Vocab, T, seq1, seq2
(section 2), and the scalar RNN of the backward section U_, V_, W_, x1_ … x4_, h0_.
They are float32, as the lab's ``torch.Tensor`` makes them. The answers are computed
from these values by the library, never typed in.
"""

from dataclasses import dataclass

import torch

from rnnlab.bigram import BigramLM, sequence_probability
from rnnlab.construction import bigram_rnn
from rnnlab.rnn import ElmanRNN, Trace

# Section 1: the forward step. N = 2 and D = H = O = 2.
U = torch.tensor([[-0.3, 0.6], [0.2, 0.1]])
V = torch.tensor([[0.4, 0.4], [0.9, -0.7]])
W = torch.tensor([[0.2, 0.1], [-0.2, 0.5]])
x1 = torch.tensor([0.0, 1.0])
x2 = torch.tensor([0.3, 0.4])
h0 = torch.tensor([0.0, 0.0])

# Section 2: a bigram model over the two tokens a = v_1 and b = v_2.
Vocab = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
T = torch.tensor([[0.6, 0.4], [0.3, 0.7]])
TOKENS = ("a", "b")
seq1 = Vocab[[0, 0, 0, 0, 0, 0, 1, 1, 0, 0]]  # aaaaaabbaa
seq2 = Vocab[[1, 0, 1, 1, 1, 1, 0, 1, 1, 1]]  # babbbbabbb

# Section 3: the scalar RNN of the backward step.
U_ = torch.tensor([0.1])
V_ = torch.tensor([0.2])
W_ = torch.tensor([0.3])
x1_ = torch.tensor([0.5])
x2_ = torch.tensor([0.6])
x3_ = torch.tensor([0.7])
x4_ = torch.tensor([0.8])
h0_ = torch.tensor([0.0])


@dataclass(frozen=True)
class ForwardStep:
    """h1, o1, h2, o2 of section 1.2, and the whole trace they come from."""

    h1: torch.Tensor
    o1: torch.Tensor
    h2: torch.Tensor
    o2: torch.Tensor
    trace: Trace


def forward_step() -> ForwardStep:
    """Section 1.2: the RNN with σ = ReLU run on x1, x2 from h0."""
    trace = ElmanRNN(U, V, W, sigma="relu").forward(torch.stack([x1, x2]), h0)
    return ForwardStep(h1=trace.h[1], o1=trace.o[0], h2=trace.h[2], o2=trace.o[1], trace=trace)


H_HAS_ONE_MORE = (
    "Each step needs the state from before it: h_t is computed from x_t and h_{t-1}. "
    "The first step therefore needs a state that no input produced, the initial h_0, "
    "so N inputs give the N+1 states h_0 … h_N, while each input yields exactly one "
    "output, o_t = W h_t for t = 1 … N."
)


@dataclass(frozen=True)
class SequenceScores:
    """Section 2.1: the probabilities of seq1 and seq2 under T."""

    probability1: float
    probability2: float

    @property
    def more_likely(self) -> str:
        return "seq1" if self.probability1 > self.probability2 else "seq2"


def sequence_scores() -> SequenceScores:
    """Section 2.1: sequence_probability of the two sample sequences."""
    return SequenceScores(
        probability1=float(sequence_probability(seq1, T)),
        probability2=float(sequence_probability(seq2, T)),
    )


def bigram_model() -> BigramLM:
    """The lab's bigram model with its tokens named a and b."""
    return BigramLM(T, vocab=TOKENS)


@dataclass(frozen=True)
class TinyBigramRNN:
    """Section 2.2: the RNN built from T, and its first output for each one-hot input."""

    rnn: ElmanRNN
    outputs: torch.Tensor

    @property
    def matches_T(self) -> bool:
        """Whether the output for v_i is row T_i for every i."""
        return bool(torch.allclose(self.outputs, T))


def tiny_bigram_rnn() -> TinyBigramRNN:
    """Section 2.2: σ(x) = x, U = I, V = 0, W = Tᵀ; o_1 for input v_i is the row T_i."""
    rnn = bigram_rnn(T)
    outputs = torch.stack([rnn.forward(v[None], h0=torch.zeros(2)).o[0] for v in Vocab])
    return TinyBigramRNN(rnn=rnn, outputs=outputs)


GENERAL_BIGRAM_RNN = (
    "For a V × V table T, use the identity as σ, the V × V identity matrix as U, the "
    "V × V zero matrix as V, and Tᵀ as W (take h_0 = 0). Then h_t = U x_t = x_t: the "
    "hidden state is the one-hot vector of the current word, and V = 0 makes it forget "
    "every earlier word, just as a bigram model does. The output o_t = Tᵀ x_t picks "
    "out column i of Tᵀ, which is row T_i: the distribution of the next word after v_i. "
    "Equally, U = Tᵀ and W = I works; what matters is that U and W multiply to Tᵀ and "
    "that V drops the history."
)
