"""The lab's figures as data, computed once: its computation graphs (sections 1.3 and
3.1–3.4), the sizes of the paths' terms (vanishing and exploding gradients) and the
learning run's curves. rnnlab.render.plots and rnnlab.graphs draw them; they compute nothing.

Each graph function runs the lab's own cell on fresh copies of the example's tensors
that require grad, as the lab does, and hands the result to rnnlab.graphs; the example
itself is never changed. ``Picture`` names every figure: the stem of its files, and
what the page's blocks refer to.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import graphviz
import torch

from rnnlab import graphs
from rnnlab.errors import InvalidValueError
from rnnlab.lab.example import Example, ScalarExample
from rnnlab.lab.train import Training, _entropy_rate
from rnnlab.model.activations import get_activation
from rnnlab.model.bptt import path_contributions
from rnnlab.model.rnn import ElmanRNN
from rnnlab.validation import whole_number


class Picture(Enum):
    """Every figure of the lab, by the stem of its files; {N}: a sequence's length."""

    FORWARD_GRAPH = "computation_graph"
    BACKWARD_GRAPH = "computation_graph_{N}"
    H11_GRAPH = "computation_graph_h11"
    UNROLLED = "unrolled_{N}"
    VANISHING_EXPLODING = "vanishing_exploding"
    TRAINING = "training"

    def stem(self, N: "int | None" = None) -> str:
        """The stem of this figure's files; N for the figures drawn once per length."""
        if ("{N}" in self.value) != (N is not None):
            wanted = "a length N" if N is None else "no length"
            raise InvalidValueError(f"{self.name} with N = {N!r}, expected {wanted}")
        return self.value.format(N=N)


def forward_graph(example: Example) -> graphviz.Digraph:
    """Section 1.3: the autograd graph of o_1 … o_N, each tensor named as the lab names it.

    As in the lab, U, V, W, the inputs and h0 require grad, so all of them appear.
    """
    sigma = get_activation(example.sigma)
    leaf = {
        name: value.clone().requires_grad_()
        for name, value in (("U", example.U), ("V", example.V), ("W", example.W))
    }
    xs = {f"x{t}": x.clone().requires_grad_() for t, x in enumerate(example.xs, start=1)}
    h = [example.h0.clone().requires_grad_()]
    named = {**leaf, **xs, "h0": h[0]}
    outputs = []
    for t in range(1, len(example.xs) + 1):
        h.append(sigma(leaf["U"] @ xs[f"x{t}"] + leaf["V"] @ h[t - 1]))  # (1)
        outputs.append(leaf["W"] @ h[t])  # (2)
        named |= {f"h{t}": h[t], f"o{t}": outputs[-1]}
    return graphs.make_dot(tuple(outputs), params=named)


def scalar_inputs(scalar: ScalarExample, N: int) -> list[float]:
    """x_1 … x_{N+1}: the example's scalar inputs, continued in steps of 0.1 past its last."""
    xs = list(scalar.xs[: N + 1])
    while len(xs) < N + 1:
        xs.append(xs[-1] + 0.1)
    return xs


def backward_graph(N: int, scalar: ScalarExample, sigma: str) -> graphviz.Digraph:
    """Sections 3.1–3.3: the graph of L = Σ_t (o_t − x_{t+1})² for the scalar RNN over N steps.

    Only U requires grad, as in the lab, so the graph shows how L depends on U.
    """
    N = whole_number("N", N, least=1)
    activation = get_activation(sigma)
    U = torch.tensor([scalar.U], dtype=torch.float64, requires_grad=True)
    V, W = (torch.tensor([value], dtype=torch.float64) for value in (scalar.V, scalar.W))
    x = [None, *(torch.tensor([value], dtype=torch.float64) for value in scalar_inputs(scalar, N))]
    h = [torch.zeros(1, dtype=torch.float64)]
    names = {"U": U}
    L = None
    for t in range(1, N + 1):
        h.append(activation(U * x[t] + V * h[t - 1]))  # (1)
        o_t = W * h[t]  # (2)
        term = (o_t - x[t + 1]) ** 2
        L = term if L is None else L + term
        names |= {f"h{t}": h[t], f"o{t}": o_t}
    return graphs.make_dot(L, params={"L": L, **names})


def h11_gradient_graph(example: Example) -> graphviz.Digraph:
    """Section 3.4: the graph of h_(1,1), the first entry of h_1, after h11.backward().

    U requires grad; each node shows its value and gradient, so the picture reads off
    ∂h_(1,1)/∂U: only row 1 of U reaches h_(1,1), times x_1.
    """
    sigma = get_activation(example.sigma)
    U = example.U.clone().requires_grad_()
    h1 = sigma(U @ example.xs[0] + example.V @ example.h0)  # (1)
    h1.retain_grad()
    h11 = h1[0]
    h11.retain_grad()
    h11.backward()
    return graphs.autograd_graph(h11, names={"U": U, "h1": h1, "h11": h11}, values=True, grads=True)


def lab_graphs(example: Example) -> dict[str, graphviz.Digraph]:
    """Every computation graph of the lab, by the stem of its files.

    computation_graph (1.3), computation_graph_1, _2, _3 (3.1–3.3) for the lengths the
    scalar inputs allow, computation_graph_h11 (3.4), and unrolled_1, _2, _3: the math
    graphs of sections 3.1–3.3 with every path from U to L highlighted.
    """
    lengths = example.scalar.lengths
    drawn = {Picture.FORWARD_GRAPH.stem(): forward_graph(example)}
    drawn |= {
        Picture.BACKWARD_GRAPH.stem(N): backward_graph(N, example.scalar, example.sigma)
        for N in lengths
    }
    drawn[Picture.H11_GRAPH.stem()] = h11_gradient_graph(example)
    drawn |= {Picture.UNROLLED.stem(N): graphs.unrolled_graph(N, highlight="all") for N in lengths}
    return drawn


@dataclass(frozen=True, eq=False)
class PathMagnitudes:
    """The size of every path's term in dL/dU, by how far U's entry point is from the loss.

    distance: (P,) t − k for each path (k, t), P = N(N+1)/2; magnitude: (P,) ‖term(k, t)‖,
    the Frobenius norm of that path's product of partial derivatives. last_distance and
    last_magnitude: (N,) the same for the paths into the last output o_N (k = N … 1),
    which share one loss factor and so show the pure effect of the Jacobian product.
    """

    distance: torch.Tensor
    magnitude: torch.Tensor
    last_distance: torch.Tensor
    last_magnitude: torch.Tensor


def path_magnitudes(
    rnn: ElmanRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    h0: "torch.Tensor | None" = None,
) -> PathMagnitudes:
    """‖term(k, t)‖ for every path from U to L (squared error, as in the lab's section 3)."""
    terms = path_contributions(rnn, xs, ys, h0=h0, wrt="U")
    pairs = sorted(terms)
    distance = torch.tensor([t - k for k, t in pairs])
    magnitude = torch.stack([terms[pair].detach().double().norm() for pair in pairs])
    N = max(t for _, t in pairs)
    last = [i for i, (_, t) in enumerate(pairs) if t == N]
    order = torch.tensor(last)[distance[last].argsort()]
    return PathMagnitudes(distance, magnitude, distance[order], magnitude[order])


def vanishing_exploding_rnns(
    hidden_size: int = 4, scales: Sequence[float] = (0.7, 1.3), seed: int = 0
) -> dict[float, ElmanRNN]:
    """Linear RNNs (σ = identity) whose V is ``scale`` times a random orthogonal matrix.

    Then ‖V^d x‖ = scale^d ‖x‖ exactly, so V contracts (spectral norm < 1) or expands
    (> 1) every state by the same factor, and each path's term scales with scale^(t−k).
    """
    generator = torch.Generator().manual_seed(seed)
    H = hidden_size
    Q, _ = torch.linalg.qr(torch.randn(H, H, dtype=torch.float64, generator=generator))
    U = torch.randn(H, 1, dtype=torch.float64, generator=generator)
    W = torch.randn(1, H, dtype=torch.float64, generator=generator)
    return {scale: ElmanRNN(U, scale * Q, W, sigma="identity") for scale in scales}


@dataclass(frozen=True, eq=False)
class VanishingExploding:
    """The paths' terms of RNNs run for N steps, by a label naming each RNN's V."""

    N: int
    curves: dict[str, PathMagnitudes]


def vanishing_exploding(
    N: int = 30, hidden_size: int = 4, scales: Sequence[float] = (0.7, 1.3), seed: int = 0
) -> VanishingExploding:
    """Every path's term for a contracting and an expanding V (vanishing_exploding_rnns),
    on the input x_t = 1 with target 0."""
    if isinstance(N, bool) or not isinstance(N, int) or N < 2:
        raise InvalidValueError(f"N is {N!r}, expected a whole number of steps, at least 2")
    xs = torch.ones(N, 1, dtype=torch.float64)
    ys = torch.zeros(N, 1, dtype=torch.float64)
    curves = {
        _spectral_label(rnn): path_magnitudes(rnn, xs, ys)
        for rnn in vanishing_exploding_rnns(hidden_size, scales, seed).values()
    }
    return VanishingExploding(N, curves)


@dataclass(frozen=True)
class Curve:
    """One training run's history, per epoch: loss and distance to the table T.

    entropy: the lowest loss any model can reach on data from T (the chain's entropy
    rate), or None where it is not shown.
    """

    epoch: Sequence[int]
    loss: Sequence[float]
    distance: Sequence[float]
    entropy: "float | None" = None


def training_curve(run: Training, T: torch.Tensor) -> Curve:
    """The curve of a finished rnnlab.lab.train run on the table T (V, V), float64 and
    already checked stochastic, with T's entropy rate."""
    return Curve(
        epoch=tuple(epoch.epoch for epoch in run.history),
        loss=tuple(epoch.loss for epoch in run.history),
        distance=tuple(epoch.distance.max_abs for epoch in run.history),
        entropy=_entropy_rate(T),
    )


@dataclass(frozen=True, eq=False)
class Figures:
    """Every figure of the lab as data: the graphs by the stem of their files, the
    vanishing and exploding paths, and the learning run's curve."""

    graphs: dict[str, graphviz.Digraph]
    vanishing_exploding: VanishingExploding
    training: Curve


def lab_figures(example: Example, run: Training) -> Figures:
    """The figures of the lab on ``example``; run: its learning run on the example's T."""
    return Figures(
        graphs=lab_graphs(example),
        vanishing_exploding=vanishing_exploding(),
        training=training_curve(run, example.T),
    )


def _spectral_label(rnn: ElmanRNN) -> str:
    norm = float(torch.linalg.matrix_norm(rnn.V.detach(), ord=2))
    kind = "contracting" if norm < 1 else "expanding"
    return f"{kind} V, ‖V‖₂ = {norm:.2g}"
