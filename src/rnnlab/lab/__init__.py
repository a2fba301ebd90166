"""The lab's worked example, as named constants, and ``answers()``: every question answered.

The names are the lab's: U, V, W, x1, x2, h0 (section 1), Vocab, T, seq1, seq2
(section 2), and the scalar RNN of the backward section U_, V_, W_, x1_ … x4_, h0_.
They are float32, as the lab's ``torch.Tensor`` makes them. ``WORKED`` is the same
example as one rnnlab.lab.example.Example, in float64 from the same decimals, and
``answers()`` computes every answer of the lab from it (or from a user's Example) once.
"""

from typing import TYPE_CHECKING

import torch

from rnnlab.lab.example import Example, ScalarExample

if TYPE_CHECKING:  # the answers, the graphs and the bigram model import when asked for
    import graphviz

    from rnnlab.bigram import BigramLM
    from rnnlab.lab.sections import Answers, ForwardStep
    from rnnlab.lab.train import TrainingConfig

_U = [[-0.3, 0.6], [0.2, 0.1]]
_V = [[0.4, 0.4], [0.9, -0.7]]
_W = [[0.2, 0.1], [-0.2, 0.5]]
_XS = [[0.0, 1.0], [0.3, 0.4]]
_T = [[0.6, 0.4], [0.3, 0.7]]
_SCALAR = {"U": 0.1, "V": 0.2, "W": 0.3, "xs": (0.5, 0.6, 0.7, 0.8)}

# Section 1: the forward step. N = 2 and D = H = O = 2.
U = torch.tensor(_U)
V = torch.tensor(_V)
W = torch.tensor(_W)
x1 = torch.tensor(_XS[0])
x2 = torch.tensor(_XS[1])
h0 = torch.tensor([0.0, 0.0])

# Section 2: a bigram model over the two tokens a = v_1 and b = v_2.
Vocab = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
T = torch.tensor(_T)
TOKENS = ("a", "b")
seq1 = Vocab[[0, 0, 0, 0, 0, 0, 1, 1, 0, 0]]  # aaaaaabbaa
seq2 = Vocab[[1, 0, 1, 1, 1, 1, 0, 1, 1, 1]]  # babbbbabbb

# Section 3: the scalar RNN of the backward step.
U_ = torch.tensor([_SCALAR["U"]])
V_ = torch.tensor([_SCALAR["V"]])
W_ = torch.tensor([_SCALAR["W"]])
x1_, x2_, x3_, x4_ = (torch.tensor([x]) for x in _SCALAR["xs"])
h0_ = torch.tensor([0.0])


WORKED = Example(
    U=_U,
    V=_V,
    W=_W,
    xs=_XS,
    h0=[0.0, 0.0],
    sigma="relu",
    Vocab=TOKENS,
    T=_T,
    seqs=(tuple("aaaaaabbaa"), tuple("babbbbabbb")),
    scalar=ScalarExample(**_SCALAR),
)
"""The worked example; the Example reads the lab's decimals into float64."""


def answers(example: Example = WORKED, training: "TrainingConfig | None" = None) -> "Answers":
    """Every answer of the lab on ``example`` (the worked one by default), computed once.

    training: the settings of the "can gradient descent find it" run (rnnlab train's
    defaults if None).
    """
    from rnnlab.lab import sections

    return sections.answers(example, training)


def lab_graphs(example: Example = WORKED) -> "dict[str, graphviz.Digraph]":
    """Every computation graph of the lab on ``example``, by file name (see rnnlab.lab.drawings)."""
    from rnnlab.lab import drawings

    return drawings.lab_graphs(example)


def forward_step(example: Example = WORKED) -> "ForwardStep":
    """Section 1.2 alone: the RNN run on the example's inputs."""
    from rnnlab.lab import sections

    return sections.forward_step(example)


def bigram_model() -> "BigramLM":
    """The lab's bigram model with its tokens named a and b."""
    from rnnlab.bigram import BigramLM

    return BigramLM(T, vocab=TOKENS)


def forward_graph() -> "graphviz.Digraph":
    """Section 1.3's graph of o1 and o2 on the worked example."""
    from rnnlab.lab import drawings

    return drawings.forward_graph(WORKED)


def backward_graph(N: int) -> "graphviz.Digraph":
    """Sections 3.1–3.3's graph of L for N steps of the worked scalar RNN (inputs continued
    in steps of 0.1 past x4_)."""
    from rnnlab.lab import drawings

    return drawings.backward_graph(N, WORKED.scalar, WORKED.sigma)


def h11_gradient_graph() -> "graphviz.Digraph":
    """Section 3.4's graph of h_(1,1) after h11.backward(), on the worked example."""
    from rnnlab.lab import drawings

    return drawings.h11_gradient_graph(WORKED)
