"""The lab's computation graphs (sections 1.3 and 3.1–3.4), drawn from an Example.

Each function runs the lab's own cell on fresh copies of the example's tensors that
require grad, as the lab does, and hands the result to rnnlab.graphs; the example itself
is never changed.
"""

import graphviz
import torch

from rnnlab import graphs
from rnnlab.lab.example import Example, ScalarExample
from rnnlab.model.activations import get_activation
from rnnlab.validation import whole_number


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
    """Every computation graph of the lab, by file name.

    computation_graph (1.3), computation_graph_1, _2, _3 (3.1–3.3) for the lengths the
    scalar inputs allow, computation_graph_h11 (3.4), and unrolled_1, _2, _3: the math
    graphs of sections 3.1–3.3 with every path from U to L highlighted.
    """
    lengths = example.scalar.lengths
    drawn = {"computation_graph": forward_graph(example)}
    drawn |= {
        f"computation_graph_{N}": backward_graph(N, example.scalar, example.sigma) for N in lengths
    }
    drawn["computation_graph_h11"] = h11_gradient_graph(example)
    drawn |= {f"unrolled_{N}": graphs.unrolled_graph(N, highlight="all") for N in lengths}
    return drawn
