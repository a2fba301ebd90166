"""The lab's worked example, as named constants, and an answer to each of its questions.

The names are the lab's: U, V, W, x1, x2, h0 (section 1), Vocab, T, seq1, seq2
(section 2), and the scalar RNN of the backward section U_, V_, W_, x1_ … x4_, h0_.
They are float32, as the lab's ``torch.Tensor`` makes them. The answers are computed
from these values by the library, never typed in.
"""

from dataclasses import dataclass

import graphviz
import torch

from rnnlab import formulas, graphs
from rnnlab.activations import HIDDEN_NAMES, get_activation, relu
from rnnlab.bigram import BigramLM, sequence_probability
from rnnlab.bptt import bptt, next_token_targets
from rnnlab.construction import bigram_rnn
from rnnlab.errors import InvalidValueError
from rnnlab.graph_paths import paths
from rnnlab.losses import get_loss
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


FORWARD_GRAPH_ANSWER = (
    "It should look like equations (1) and (2) unrolled over two steps, and it does, with "
    "torch's own detail added: each operation torch ran is a node of its own (a "
    "matrix-vector product mv for U x_t, V h_(t-1) and W h_t, an add), and h_t is the "
    "ReLU of that sum. U, V and W each feed both steps, because the same parameters are "
    "used at every step; h0 enters only through V h0 in the first step; h1 feeds both o1 "
    "and the second step, which is how o2 comes to depend on x1. Arrows run from what "
    "was used to what was computed; backpropagation walks them the other way."
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


# --- Section 3: the backward step, answered on the scalar RNN U_, V_, W_, x1_ … x4_. ---

SCALAR_INPUTS = (x1_, x2_, x3_, x4_)


@dataclass(frozen=True)
class ScalarBackward:
    """Sections 3.1–3.3 for a sequence of N steps: dL/dU as a formula and in numbers.

    ``partials``: each partial derivative of the formula, by its symbol's text
    ("∂L/∂o_1"), evaluated on the lab's scalar RNN. ``path_terms``: each path's term
    (k, t), the formula's product with those numbers. ``dL_dU``: the formula's value;
    ``reverse`` and ``autograd``: the same gradient by rnnlab.bptt's reverse sweep and by
    torch autograd, as checks.
    """

    N: int
    formula: str
    latex: str
    partials: dict[str, float]
    path_terms: dict[tuple[int, int], float]
    dL_dU: float
    reverse: float
    autograd: float

    @property
    def path_count(self) -> int:
        return len(self.path_terms)

    @property
    def states_on_path(self) -> dict[tuple[int, int], int]:
        """How many h's path (k, t) passes through: h_k … h_t."""
        return {(k, t): t - k + 1 for k, t in self.path_terms}


def scalar_backward(N: int) -> ScalarBackward:
    """dL/dU for L = Σ_t (x_{t+1} − o_t)² on the scalar RNN (ReLU, h0_ = 0), N = 1, 2 or 3."""
    if isinstance(N, bool) or not isinstance(N, int) or not 1 <= N <= len(SCALAR_INPUTS) - 1:
        raise InvalidValueError(
            f"N is {N!r}; the lab's inputs x1_ … x4_ give targets for N = 1, 2 or 3"
        )
    xs, ys = next_token_targets(torch.cat(SCALAR_INPUTS[: N + 1]))
    rnn = ElmanRNN(U_, V_, W_, sigma="relu")
    trace = rnn.forward(xs, h0_)
    slope = rnn.sigma.derivative(trace.z, trace.h[1:]).reshape(-1)  # σ'(z_t)
    dL_do = get_loss("squared_error").gradient(trace.o, ys[:, None]).reshape(-1)
    values = {}
    for t in range(1, N + 1):
        values[formulas.partial("L", f"o_{t}")] = float(dL_do[t - 1])  # 2(o_t − x_{t+1})
        values[formulas.partial(f"o_{t}", f"h_{t}")] = float(W_)  # (2): o_t = W h_t
        if t > 1:  # h_0 is not a function of U: no path goes through it
            values[formulas.partial(f"h_{t}", f"h_{t - 1}")] = float(slope[t - 1] * V_)  # (1)
        values[formulas.partial(f"h_{t}", "U")] = float(slope[t - 1] * xs[t - 1])  # (1)
    terms = formulas.terms(N)
    return ScalarBackward(
        N=N,
        formula=formulas.text(N),
        latex=formulas.latex(N),
        partials={str(symbol): value for symbol, value in values.items()},
        path_terms={
            path: float(term.xreplace(values)) for path, term in zip(paths(N), terms, strict=True)
        },
        dL_dU=float(formulas.gradient(N).xreplace(values)),
        reverse=float(bptt(rnn, xs, ys, h0_, method="reverse").U),
        autograd=float(bptt(rnn, xs, ys, h0_, method="autograd").U),
    )


PATHS_ANSWER = (
    "U is used at every step, so it reaches L along one path for every pair k ≤ t: the "
    "path enters the chain of hidden states at h_k, is passed along h_{k+1}, …, h_t, and "
    "leaves through o_t into L. Each path is one term of dL/dU. N = 1 has 1 path, N = 2 "
    "has 3 and N = 3 has 6; in general there are N(N + 1)/2. The path (k, t) holds the "
    "t − k + 1 hidden states h_k … h_t, so for N = 3 the paths hold 1, 2 or 3 of them."
)

GENERAL_N_ANSWER = (
    "For N steps, add up the product of partial derivatives along every path from U to L. "
    "Group the paths by the output o_t they leave through (the outer sum) and, for each, "
    "by the state h_k where U comes in (the inner sum); in between, the path is carried "
    "from h_k to h_t by one factor ∂h_j/∂h_{j-1} per step:\n"
    f"    {formulas.general_text()}\n"
    "That is N(N + 1)/2 terms, and the inner product has t − k factors, so a term from "
    "far back in the sequence is multiplied many times by ∂h_j/∂h_{j-1} = σ'(z_j) V: "
    "it shrinks to nothing or grows without bound, the vanishing and exploding gradients."
)


@dataclass(frozen=True)
class H11Gradient:
    """Section 3.4 on section 1's U, V, x1, h0.

    ``dh1_dU11``: ∂h_1/∂U_{1,1} (both entries of h_1) for each named σ, by autograd;
    ``U_grad``: the gradient of h_{1,1} with respect to all of U with σ = ReLU, the lab's
    ``U_grad``. ``z1``: U x1 + V h0, whose first entry decides ReLU's slope.
    """

    dh1_dU11: dict[str, torch.Tensor]
    U_grad: torch.Tensor
    z1: torch.Tensor


def h11_gradient() -> H11Gradient:
    """Section 3.4: ∂h_1/∂U_{1,1} for several σ, and ∂h_{1,1}/∂U by h11.backward()."""
    by_sigma = {}
    for name in HIDDEN_NAMES:
        sigma = get_activation(name)

        def h1_of_U11(U11: torch.Tensor, sigma=sigma) -> torch.Tensor:
            varied = torch.stack([torch.stack([U11, U[0, 1]]), U[1]])
            return sigma(varied @ x1 + V @ h0)  # (1)

        by_sigma[name] = torch.autograd.functional.jacobian(h1_of_U11, U[0, 0])
    # The lab's own cell: h11.backward() fills U_.grad.
    U_leaf = U.clone().requires_grad_()
    h11 = relu(U_leaf @ x1 + V @ h0)[0]
    h11.backward()
    return H11Gradient(dh1_dU11=by_sigma, U_grad=U_leaf.grad, z1=U @ x1 + V @ h0)


H11_ANSWER = (
    "∂h_1/∂U_{1,1} = [0, 0]. Only the first entry of h_1 involves U_{1,1}: "
    "h_{1,1} = σ(U_{1,1} x_{1,1} + U_{1,2} x_{1,2} + (V h_0)_1), so by the chain rule "
    "∂h_{1,1}/∂U_{1,1} = σ'(z_{1,1}) · x_{1,1}, and ∂h_{1,2}/∂U_{1,1} = 0. The input "
    "x_1 = [0, 1] has x_{1,1} = 0, which makes the product 0 whatever σ'(z_{1,1}) is; "
    "that is why σ was never needed."
)

U_GRAD_ANSWER = (
    "h11.backward() fills U_grad, the gradient of h_{1,1} with respect to every entry of U. "
    "Its second row is 0, because row 2 of U never reaches h_{1,1}; its first row is "
    "σ'(z_{1,1}) x_1ᵀ, and with ReLU and z_{1,1} > 0 the slope is 1, leaving x_1ᵀ. Its "
    "(1, 1) entry is x_{1,1} = 0, the value found by hand, so the two agree."
)
