"""Backpropagation through time, three ways, and each path's term (lab section 3).

With z_t = U x_t + V h_{t-1}, h_t = σ(z_t), o_t = W h_t and L = Σ_t loss(o_t, y_t), the
lab's partial derivatives are

    ∂L/∂o_t            the loss's gradient (rnnlab.model.losses)
    ∂o_t/∂h_t = W
    ∂h_j/∂h_{j-1} = diag(σ'(z_j)) V
    ∂h_k/∂U: entry (i, (a, b)) is σ'(z_k,i) [i = a] x_k,b

and dL/dU is the sum over every path (k, t), 1 ≤ k ≤ t ≤ N, of

    ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂h_{t-1} ⋯ ∂h_{k+1}/∂h_k · ∂h_k/∂U        (section 3.5)

(rnnlab.model.paths lists the paths.) V enters at the same places as U (∂h_k/∂V has
h_{k-1} where ∂h_k/∂U has x_k); W enters only at o_t.

- ``method="reverse"`` (``_reverse``) sums the paths that share their start before
  extending them, as min-char-rnn's backward loop does: going back from t = N, the
  gradient reaching h_t comes through o_t and through h_{t+1}, so
  δ_t = ∂L/∂z_t = σ'(z_t) ⊙ (Wᵀ ∂L/∂o_t + Vᵀ δ_{t+1}), and the weight gradients are
  the sums over t of δ_t x_tᵀ, δ_t h_{t-1}ᵀ and ∂L/∂o_t h_tᵀ. O(N H²), no autograd.
- ``method="paths"`` (``_paths``) takes the lab's sum literally: a double loop over
  every path (k, t), each path's product formed from the one before it. O(N² H²).
- ``method="autograd"``: torch autograd through ElmanRNN.forward, the reference.

The first two are the code to read. ``compiled=None`` runs the same loops compiled
(rnnlab.compiled.kernels) where that applies, ``compiled=False`` always the readable ones.

One sequence at a time: a batch (B, N, D) is not taken, because its gradient is just
the sum of the sequences' gradients.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from rnnlab.compiled import kernels
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model import display
from rnnlab.model.activations import derivative
from rnnlab.model.inputs import as_initial_state, as_inputs
from rnnlab.model.losses import Loss, get_loss, targets
from rnnlab.model.paths import WRT_NAMES, Path
from rnnlab.model.rnn import ElmanRNN

METHOD_NAMES = ("reverse", "paths", "autograd")


@dataclass(frozen=True)
class Gradients:
    """dL/dU (H, D), dL/dV (H, H), dL/dW (O, H), dL/dh0 (H,) and the loss L itself.

    For the scalar RNN U, V, W are 1×1 and h0 has shape (1,).
    """

    U: torch.Tensor
    V: torch.Tensor
    W: torch.Tensor
    h0: torch.Tensor
    loss: float

    def _repr_html_(self) -> "str | None":
        """Jupyter shows the four gradients side by side, and the loss."""
        return display.html(self)


@dataclass(frozen=True)
class _Problem:
    """Validated, detached inputs: xs (N, D), y (N, O) target rows, h0 (H,)."""

    rnn: ElmanRNN
    xs: torch.Tensor
    y: torch.Tensor
    h0: torch.Tensor
    loss: Loss


def bptt(
    rnn: ElmanRNN,
    xs: "torch.Tensor | Sequence",
    ys: "torch.Tensor | Sequence",
    h0: "torch.Tensor | float | None" = None,
    loss: str = "squared_error",
    method: str = "reverse",
    *,
    compiled: "bool | None" = None,
) -> Gradients:
    """The gradient of L = Σ_t loss(o_t, y_t) with respect to U, V, W and h0.

    xs: (N, D), a list of (D,) tensors, or N numbers for the scalar RNN. ys: (N, O)
    target rows (N numbers when O = 1), or token ids (N,) for ``cross_entropy``.
    h0: (H,), zeros by default. ``loss``: "squared_error" or "cross_entropy";
    ``method``: "reverse", "paths" or "autograd" (see the module's docstring).
    ``compiled``: None runs reverse and paths compiled where that applies (a named σ,
    CPU, float32/float64), False runs the readable loops, True insists on compiled.
    """
    if not isinstance(method, str) or method not in METHOD_NAMES:
        raise InvalidValueError(f"unknown method {method!r}; known: {', '.join(METHOD_NAMES)}")
    problem = _problem(rnn, xs, ys, h0, loss)
    if method == "autograd":
        kernels.use_kernel(compiled, "it is torch autograd itself", "method='autograd'")
        return _autograd(problem)
    reason = kernels.unavailable(rnn.sigma, (rnn.U, problem.xs))
    runs_compiled = kernels.use_kernel(compiled, reason, f"bptt(method={method!r})")
    if runs_compiled:
        return _compiled(problem, method)
    return _reverse(problem) if method == "reverse" else _paths(problem)


def next_token_targets(
    xs: "torch.Tensor | Sequence",
) -> "tuple[torch.Tensor | Sequence, torch.Tensor | Sequence]":
    """Split x_1 … x_{N+1} into inputs x_1 … x_N and targets x_2 … x_{N+1}.

    This is the lab's language-model loss L = Σ_t (x_{t+1} − o_t)²: each step's target is
    the next input. Works on anything sliceable along its first dimension.
    """
    if not hasattr(xs, "__len__") or not hasattr(xs, "__getitem__") or isinstance(xs, str):
        raise InvalidTypeError(f"xs must be a tensor or a sequence, got {type(xs).__name__}")
    if isinstance(xs, torch.Tensor) and xs.ndim == 0:  # has __len__, but len() raises
        shown = "on the meta device" if xs.is_meta else repr(xs.tolist())  # complex too
        raise InvalidValueError(f"xs is a single number ({shown}), expected a sequence")
    if len(xs) < 2:
        raise InvalidValueError(
            f"next_token_targets needs at least 2 inputs (x_1 and its target x_2), got {len(xs)}"
        )
    return xs[:-1], xs[1:]


def path_contributions(
    rnn: ElmanRNN,
    xs: "torch.Tensor | Sequence",
    ys: "torch.Tensor | Sequence",
    h0: "torch.Tensor | float | None" = None,
    wrt: str = "U",
    *,
    loss: str = "squared_error",
) -> dict[Path, torch.Tensor]:
    """Each path's term of dL/d``wrt``, keyed (k, t); the terms sum to the gradient.

    ``wrt`` "U" or "V": the term of path (k, t) has the shape of U (H, D) or V (H, H).
    ``wrt`` "W": W reaches L only through o_t, so its paths are (t, t), one per step.
    Their sizes show how a gradient vanishes or explodes as t − k grows. There are
    N(N + 1)/2 terms, each a full matrix: meant for short sequences.
    """
    if not isinstance(wrt, str) or wrt not in WRT_NAMES:
        raise InvalidValueError(f"unknown wrt {wrt!r}; known: {', '.join(WRT_NAMES)}")
    problem = _problem(rnn, xs, ys, h0, loss)
    N = len(problem.xs)
    with torch.no_grad():
        forward = _Forward.of(problem)
        if wrt == "W":
            # ∂L/∂o_t ∂o_t/∂W: entry (i, j) is (∂L/∂o_t)_i h_t,j.
            return {(t, t): torch.outer(forward.dL_do[t], forward.h[t]) for t in range(1, N + 1)}
        # ∂h_k/∂U puts x_k where ∂h_k/∂V puts h_{k-1}.
        entering = forward.x if wrt == "U" else {k: forward.h[k - 1] for k in forward.x}
        contributions = {
            (k, t): torch.outer(at_z, entering[k]) for (k, t), at_z in _path_products(forward, rnn)
        }
    return dict(sorted(contributions.items(), key=lambda item: (item[0][1], item[0][0])))


@dataclass(frozen=True)
class _Forward:
    """The forward pass and the factors both readable methods need, keyed by step t = 1 … N.

    x[t] = x_t (D,); h[t] = h_t (H,) for t = 0 … N; dL_do[t] = ∂L/∂o_t (O,);
    sigma_prime[t] = σ'(z_t) (H,); loss: L.
    """

    x: dict[int, torch.Tensor]
    h: dict[int, torch.Tensor]
    dL_do: dict[int, torch.Tensor]
    sigma_prime: dict[int, torch.Tensor]
    loss: torch.Tensor

    @staticmethod
    def of(problem: _Problem) -> "_Forward":
        """The readable forward pass (``compiled=False``) and the factors, step by step."""
        rnn = problem.rnn
        trace = rnn.forward(problem.xs, problem.h0, compiled=False)

        def steps(rows: torch.Tensor, start: int = 1) -> dict[int, torch.Tensor]:
            return dict(enumerate(rows, start=start))

        loss, dL_do = problem.loss.value_and_gradient(trace.o, problem.y)
        return _Forward(
            x=steps(problem.xs),
            h=steps(trace.h, start=0),
            dL_do=steps(dL_do),
            sigma_prime=steps(derivative(rnn.sigma, trace.z, trace.h[1:])),
            loss=loss,
        )


def _reverse(problem: _Problem) -> Gradients:
    """Reverse accumulation, one line per derivative in the order the chain rule applies."""
    U, V, W = problem.rnn.U.detach(), problem.rnn.V.detach(), problem.rnn.W.detach()
    with torch.no_grad():
        forward = _Forward.of(problem)
        x, h, dL_do, sigma_prime = forward.x, forward.h, forward.dL_do, forward.sigma_prime
        dU, dV, dW = torch.zeros_like(U), torch.zeros_like(V), torch.zeros_like(W)
        delta_next = torch.zeros_like(h[0])  # δ_{N+1} = 0: nothing comes back from beyond N
        for t in range(len(x), 0, -1):
            dL_dh = W.T @ dL_do[t] + V.T @ delta_next  # ∂L/∂h_t: through o_t and h_{t+1}
            delta = sigma_prime[t] * dL_dh  # δ_t = ∂L/∂z_t = σ'(z_t) ⊙ ∂L/∂h_t
            dU += torch.outer(delta, x[t])  # ∂z_t/∂U brings x_t
            dV += torch.outer(delta, h[t - 1])  # ∂z_t/∂V brings h_{t-1}
            dW += torch.outer(dL_do[t], h[t])  # ∂o_t/∂W brings h_t
            delta_next = delta
        dh0 = V.T @ delta_next  # ∂L/∂h_0 = Vᵀ δ_1: every path reaches h_0 through h_1
    return Gradients(U=dU, V=dV, W=dW, h0=dh0, loss=float(forward.loss))


def _paths(problem: _Problem) -> Gradients:
    """The lab's sum over every path (k, t), each path's product formed."""
    with torch.no_grad():
        forward = _Forward.of(problem)
        # ∂h_k/∂U (or ∂h_k/∂V) is the same for every path entering at h_k, so the paths
        # entering there are added up before the one product with x_k (or h_{k-1}).
        delta = {k: torch.zeros_like(forward.h[0]) for k in forward.x}
        for (k, _), at_z in _path_products(forward, problem.rnn):
            delta[k] += at_z
        rows = torch.stack([delta[k] for k in sorted(delta)])
        dL_do = torch.stack([forward.dL_do[t] for t in sorted(forward.dL_do)])
        h = torch.stack([forward.h[t] for t in sorted(forward.h)])
        return _gradients(rows, dL_do, h, problem, forward.loss)


def _path_products(forward: _Forward, rnn: ElmanRNN) -> Iterator[tuple[Path, torch.Tensor]]:
    """Every path (k, t) with its product ∂L/∂o_t ∂o_t/∂h_t ∂h_t/∂h_{t-1} ⋯ ∂h_k/∂z_k (H,).

    For each t, the paths leaving through o_t start at h_t and go back one state at a
    time, so each product is the one before it times one more factor.
    """
    V, W = rnn.V.detach(), rnn.W.detach()
    for t in range(1, len(forward.x) + 1):
        product = forward.dL_do[t] @ W  # ∂L/∂o_t ∂o_t/∂h_t
        for k in range(t, 0, -1):
            at_z = product * forward.sigma_prime[k]  # · ∂h_k/∂z_k = diag(σ'(z_k))
            yield (k, t), at_z
            product = at_z @ V  # · ∂z_k/∂h_{k-1} = V: one state further back


def _compiled(problem: _Problem, method: str) -> Gradients:
    """reverse or paths, their loops over t compiled (rnnlab.compiled.kernels); the same numbers.

    The twins depart from _reverse's order in one way, for speed: where _reverse adds
    δ_t x_tᵀ, δ_t h_{t-1}ᵀ and ∂L/∂o_t h_tᵀ at each step, they keep every δ_t, and each
    weight's sum over t is one matrix product after the sweep (_gradients); Wᵀ ∂L/∂o_t
    for every t is likewise one product before it.
    """
    U, V, W, sigma = (problem.rnn.U, problem.rnn.V, problem.rnn.W, problem.rnn.sigma)
    with torch.no_grad():
        # The forward pass as ElmanRNN.forward runs it compiled, on the checked inputs.
        h, z = kernels.forward(problem.xs @ U.T, V, problem.h0, sigma)
        o = h[1:] @ W.T
        loss, dL_do = problem.loss.value_and_gradient(o, problem.y)
        factors = (dL_do @ W, z, h, V, sigma)  # Wᵀ ∂L/∂o_t as rows
        if method == "reverse":
            delta = kernels.backward_sweep(*factors)
        else:
            delta = kernels.path_sums(*factors)
        return _gradients(delta, dL_do, h, problem, loss)


def _gradients(
    delta: torch.Tensor,
    dL_do: torch.Tensor,
    h: torch.Tensor,
    problem: _Problem,
    loss: torch.Tensor,
) -> Gradients:
    """The gradients from δ_t (N, H), each weight's sum over t as one matrix product.

    dL_do: (N, O) the rows ∂L/∂o_t; h: (N+1, H). Vectors are rows here, so Σ_t δ_t x_tᵀ
    is ``delta.T @ xs``.
    """
    V, columns = problem.rnn.V.detach(), delta.T
    return Gradients(
        U=columns @ problem.xs,  # Σ_t δ_t x_tᵀ
        V=columns @ h[:-1],  # Σ_t δ_t h_{t-1}ᵀ
        W=dL_do.T @ h[1:],  # Σ_t ∂L/∂o_t h_tᵀ
        h0=delta[0] @ V,  # ∂L/∂h_0 = Vᵀ δ_1: every path reaches h_0 through h_1
        loss=float(loss),
    )


def _autograd(problem: _Problem) -> Gradients:
    rnn = problem.rnn
    U, V, W, h0 = (p.detach().clone().requires_grad_() for p in (rnn.U, rnn.V, rnn.W, problem.h0))
    with torch.enable_grad():
        trace = ElmanRNN(U, V, W, sigma=rnn.sigma).forward(problem.xs, h0)
        L = problem.loss.value(trace.o, problem.y)
        dU, dV, dW, dh0 = torch.autograd.grad(L, (U, V, W, h0))
    return Gradients(U=dU, V=dV, W=dW, h0=dh0, loss=float(L.detach()))


def _problem(
    rnn: ElmanRNN,
    xs: "torch.Tensor | Sequence",
    ys: "torch.Tensor | Sequence",
    h0: "torch.Tensor | float | None",
    loss: str,
) -> _Problem:
    if not isinstance(rnn, ElmanRNN):
        raise InvalidTypeError(f"rnn must be an ElmanRNN, got {type(rnn).__name__}")
    objective = get_loss(loss)
    xs = as_inputs(xs, rnn.U).detach()
    if xs.ndim == 3:
        raise InvalidValueError(
            f"xs has shape {tuple(xs.shape)}: bptt takes one sequence (N, D); for a batch, "
            "add up the gradients of its sequences"
        )
    y = targets(objective, ys, xs, rnn.output_size)
    h0 = as_initial_state(h0, rnn.U).detach()
    return _Problem(rnn=rnn, xs=xs, y=y, h0=h0, loss=objective)
