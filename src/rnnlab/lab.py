"""The lab's worked example, as named constants, and an answer to each of its questions.

The names are the lab's: U, V, W, x1, x2, h0 (section 1), Vocab, T, seq1, seq2
(section 2), and the scalar RNN of the backward section U_, V_, W_, x1_ … x4_, h0_.
They are float32, as the lab's ``torch.Tensor`` makes them. The answers are computed
from these values by the library, never typed in.
"""

from dataclasses import dataclass

import graphviz
import torch

from rnnlab import graphs
from rnnlab.activations import relu
from rnnlab.bigram import BigramLM, sequence_probability
from rnnlab.construction import bigram_rnn
from rnnlab.errors import InvalidValueError
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


# --- Computation graphs (sections 1.3 and 3.1–3.4), drawn from the constants above. ---


def forward_graph() -> graphviz.Digraph:
    """Section 1.3: the autograd graph of o1 and o2, each tensor named as the lab names it.

    As in the lab, U, V, W, x1, x2 and h0 require grad, so all of them appear; they are
    fresh copies, and the constants above stay as they are.
    """
    leaf = {name: value.clone().requires_grad_() for name, value in _section_1_leaves()}
    h1 = relu(leaf["U"] @ leaf["x1"] + leaf["V"] @ leaf["h0"])  # (1)
    o1 = leaf["W"] @ h1  # (2)
    h2 = relu(leaf["U"] @ leaf["x2"] + leaf["V"] @ h1)
    o2 = leaf["W"] @ h2
    return graphs.make_dot((o1, o2), params={**leaf, "h1": h1, "o1": o1, "h2": h2, "o2": o2})


def _section_1_leaves() -> list[tuple[str, torch.Tensor]]:
    return [("U", U), ("V", V), ("W", W), ("x1", x1), ("x2", x2), ("h0", h0)]


def backward_graph(N: int) -> graphviz.Digraph:
    """Sections 3.1–3.3: the graph of L = Σ_t (o_t − x_{t+1})² for the scalar RNN run N steps.

    Only U requires grad, as in the lab, so the graph shows how L depends on U. The
    inputs are the lab's x1_ … x4_, continued by steps of 0.1 when N > 3.
    """
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise InvalidValueError(f"N is {N!r}, expected a whole number of steps, at least 1")
    U = U_.clone().requires_grad_()
    x = [None, x1_, x2_, x3_, x4_] + [torch.tensor([0.4 + 0.1 * t]) for t in range(5, N + 2)]
    h = [h0_]
    names = {"U": U}
    terms = []
    for t in range(1, N + 1):
        h.append(relu(U * x[t] + V_ * h[t - 1]))  # (1)
        o_t = W_ * h[t]  # (2)
        terms.append((o_t - x[t + 1]) ** 2)
        names |= {f"h{t}": h[t], f"o{t}": o_t}
    L = terms[0]
    for term in terms[1:]:
        L = L + term
    return graphs.make_dot(L, params={"L": L, **names})


def h11_gradient_graph() -> graphviz.Digraph:
    """Section 3.4: the graph of h_{1,1}, the first entry of h1, after h11.backward().

    U (section 1's) requires grad; each node shows its value and gradient, so the picture
    reads off ∂h_{1,1}/∂U = [[0, 1], [0, 0]]: only row 1 of U reaches h_{1,1}, times x1.
    """
    U_grad = U.clone().requires_grad_()
    h1 = relu(U_grad @ x1 + V @ h0)  # (1)
    h1.retain_grad()
    h11 = h1[0]
    h11.retain_grad()
    h11.backward()
    names = {"U": U_grad, "h1": h1, "h11": h11}
    return graphs.autograd_graph(h11, names=names, values=True, grads=True)


def lab_graphs() -> dict[str, graphviz.Digraph]:
    """Every computation graph of the lab, by file name: the lab's five and the unrolled RNN's.

    computation_graph (1.3), computation_graph_1, _2, _3 (3.1–3.3), computation_graph_h11
    (3.4), and unrolled_1, _2, _3: the math graphs of sections 3.1–3.3 with every path
    from U to L highlighted, which answer "how many paths, and how many h's on each".
    """
    drawn = {"computation_graph": forward_graph()}
    drawn |= {f"computation_graph_{N}": backward_graph(N) for N in (1, 2, 3)}
    drawn["computation_graph_h11"] = h11_gradient_graph()
    drawn |= {f"unrolled_{N}": graphs.unrolled_graph(N, highlight="all") for N in (1, 2, 3)}
    return drawn
