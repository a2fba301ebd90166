"""The independent reference that test_bptt and test_kernels hold the library against.

Written here, apart from the library: the lab's loop with column vectors,
h = σ(U @ x_t + V @ h), the loss from torch.nn.functional, and torch autograd.
"""

import torch
from torch.nn import functional

DTYPE = torch.float64
SIGMAS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "identity": lambda z: z,
}


def reference(U, V, W, h0, xs, ys, sigma, loss):
    """(L, dL/dU, dL/dV, dL/dW, dL/dh0) by autograd through the lab's own loop.

    sigma: a name in SIGMAS or a function.
    """
    leaves = [p.detach().clone().requires_grad_() for p in (U, V, W, h0)]
    U, V, W, h = leaves
    L = torch.zeros((), dtype=DTYPE)
    for t in range(len(xs)):
        h = (SIGMAS[sigma] if isinstance(sigma, str) else sigma)(U @ xs[t] + V @ h)
        o = W @ h
        if loss == "squared_error":
            L = L + functional.mse_loss(o, ys[t], reduction="sum")
        else:
            L = L + functional.cross_entropy(o[None], ys[t][None], reduction="sum")
    return (float(L.detach()), *torch.autograd.grad(L, leaves))


def random_case(N, D, H, O, loss, seed, dtype=DTYPE):
    """U, V, W, h0, xs (N, D), ys (N, O) or class ids (N,), drawn from a fixed seed."""
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return torch.randn(*shape, generator=generator, dtype=dtype)

    U, V, W = draw(H, D), draw(H, H) / H**0.5, draw(O, H) / H**0.5
    xs, h0 = draw(N, D), draw(H)
    ys = torch.randint(0, O, (N,), generator=generator) if loss == "cross_entropy" else draw(N, O)
    return U, V, W, h0, xs, ys
