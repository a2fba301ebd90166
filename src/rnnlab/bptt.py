"""Backpropagation through time, three ways, and the paths from U to L (lab section 3).

With z_t = U x_t + V h_{t-1}, h_t = σ(z_t), o_t = W h_t and L = Σ_t loss(o_t, y_t), the
lab's partial derivatives are

    ∂L/∂o_t            the loss's gradient (rnnlab.losses)
    ∂o_t/∂h_t = W
    ∂h_j/∂h_{j-1} = diag(σ'(z_j)) V
    ∂h_k/∂U: entry (i, (a, b)) is σ'(z_k,i) [i = a] x_k,b

and dL/dU is the sum over every path (k, t), 1 ≤ k ≤ t ≤ N, of

    ∂L/∂o_t · ∂o_t/∂h_t · ∂h_t/∂h_{t-1} ⋯ ∂h_{k+1}/∂h_k · ∂h_k/∂U        (section 3.5)

U enters the chain of states at h_k and the path leaves it through o_t. V enters at
the same places (∂h_k/∂V has h_{k-1} where ∂h_k/∂U has x_k), so it has the same paths;
W enters only at o_t, so its paths are (t, t).

- ``method="paths"`` takes that sum literally. Going backwards from k = N, it keeps one
  row vector per path that is still open, ∂L/∂o_t ∂o_t/∂h_t ∂h_t/∂h_{t-1} ⋯ ∂h_{k+1}/∂h_k
  for every t ≥ k, and extends all of them by ∂h_k/∂h_{k-1} in one matrix product, so
  each path's product comes from the one before it, never from scratch: O(N² H²).
- ``method="reverse"`` sums the paths that share their start before extending them:
  δ_t = ∂L/∂z_t obeys δ_t = σ'(z_t) ⊙ (Wᵀ ∂L/∂o_t + Vᵀ δ_{t+1}), one backward sweep,
  O(N H²); then dL/dU = Σ_t δ_t x_tᵀ and dL/dV = Σ_t δ_t h_{t-1}ᵀ are each one matrix
  product over the whole sequence. No autograd.
- ``method="autograd"``: torch autograd through ElmanRNN.forward, the reference.

Vectors are rows in the code (``xs`` is (N, D)), so δ_t x_tᵀ summed over t is
``delta.T @ xs``. One sequence at a time: a batch (B, N, D) is not taken, because
its gradient is just the sum of the sequences' gradients.
"""

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy
import torch

from rnnlab import tables
from rnnlab.activations import Activation
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.losses import Loss, get_loss, targets
from rnnlab.rnn import ElmanRNN

Path = tuple[int, int]
METHOD_NAMES = ("reverse", "paths", "autograd")
WRT_NAMES = ("U", "V", "W")


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

    def _repr_html_(self) -> str:
        """Jupyter shows the four gradients side by side, and the loss."""
        return tables.gradients(self)


@dataclass(frozen=True)
class _Problem:
    """Validated, detached inputs: xs (N, D), y (N, O) target rows, h0 (H,)."""

    rnn: ElmanRNN
    xs: torch.Tensor
    y: torch.Tensor
    h0: torch.Tensor
    loss: Loss


@dataclass(frozen=True)
class _Forward:
    """The forward pass and the factors every backward method needs.

    h (N+1, H); dL_do (N, O) = ∂L/∂o_t; dL_dh_out (N, H) = ∂L/∂o_t ∂o_t/∂h_t, the part
    of ∂L/∂h_t that goes straight to o_t; slope (N, H) = σ'(z_t).
    """

    h: torch.Tensor
    loss: torch.Tensor
    dL_do: torch.Tensor
    dL_dh_out: torch.Tensor
    slope: torch.Tensor


def bptt(
    rnn: ElmanRNN,
    xs: "torch.Tensor | Sequence",
    ys: "torch.Tensor | Sequence",
    h0: "torch.Tensor | float | None" = None,
    loss: str = "squared_error",
    method: str = "reverse",
) -> Gradients:
    """The gradient of L = Σ_t loss(o_t, y_t) with respect to U, V, W and h0.

    xs: (N, D), a list of (D,) tensors, or N numbers for the scalar RNN. ys: (N, O)
    target rows (N numbers when O = 1), or token ids (N,) for ``cross_entropy``.
    h0: (H,), zeros by default. ``loss``: "squared_error" or "cross_entropy";
    ``method``: "reverse", "paths" or "autograd" (see the module's docstring).
    """
    if not isinstance(method, str) or method not in _METHODS:
        raise InvalidValueError(f"unknown method {method!r}; known: {', '.join(METHOD_NAMES)}")
    return _METHODS[method](_problem(rnn, xs, ys, h0, loss))


def next_token_targets(
    xs: "torch.Tensor | Sequence",
) -> "tuple[torch.Tensor | Sequence, torch.Tensor | Sequence]":
    """Split x_1 … x_{N+1} into inputs x_1 … x_N and targets x_2 … x_{N+1}.

    This is the lab's language-model loss L = Σ_t (x_{t+1} − o_t)²: each step's target is
    the next input. Works on anything sliceable along its first dimension.
    """
    if not hasattr(xs, "__len__") or not hasattr(xs, "__getitem__") or isinstance(xs, str):
        raise InvalidTypeError(f"xs must be a tensor or a sequence, got {type(xs).__name__}")
    if len(xs) < 2:
        raise InvalidValueError(
            f"next_token_targets needs at least 2 inputs (x_1 and its target x_2), got {len(xs)}"
        )
    return xs[:-1], xs[1:]


def paths(N: int) -> list[Path]:
    """Every path from U to L as (k, t), 1 ≤ k ≤ t ≤ N: U enters at h_k, leaves through o_t.

    Ordered by t, then k, as the lab's sums are written. Path (k, t) passes through the
    t − k + 1 states h_k … h_t.
    """
    _check_length(N)
    return [(k, t) for t in range(1, N + 1) for k in range(1, t + 1)]


def count_paths(N: int) -> int:
    """How many paths lead from U to L in an RNN unrolled over N steps: N(N + 1)/2."""
    _check_length(N)
    return N * (N + 1) // 2


def path_contributions(
    rnn: ElmanRNN,
    xs: "torch.Tensor | Sequence",
    ys: "torch.Tensor | Sequence",
    h0: "torch.Tensor | float | None" = None,
    wrt: str = "U",
    loss: str = "squared_error",
) -> dict[Path, torch.Tensor]:
    """Each path's term of dL/d``wrt``, keyed (k, t); the terms sum to the gradient.

    ``wrt`` "U" or "V": the term of path (k, t) has the shape of U (H, D) or V (H, H).
    ``wrt`` "W": W reaches L only through o_t, so its paths are (t, t), one per step.
    Their sizes show how a gradient vanishes or explodes as t − k grows. There are
    N(N + 1)/2 terms, each a full matrix: meant for short sequences.
    """
    if wrt not in WRT_NAMES:
        raise InvalidValueError(f"unknown wrt {wrt!r}; known: {', '.join(WRT_NAMES)}")
    problem = _problem(rnn, xs, ys, h0, loss)
    with torch.no_grad(), _subnormals_flushed():
        forward = _forward(problem)
        if wrt == "W":
            # ∂L/∂o_t ∂o_t/∂W: entry (i, j) is (∂L/∂o_t)_i h_t,j.
            terms = forward.dL_do[:, :, None] * forward.h[1:, None, :]
            return {(t, t): term for t, term in enumerate(terms, start=1)}
        # ∂h_k/∂U puts x_k where ∂h_k/∂V puts h_{k-1}.
        entering = problem.xs if wrt == "U" else forward.h[:-1]
        contributions = {}
        for k, deltas in _open_paths(forward, problem.rnn.V):
            for t, delta in enumerate(deltas, start=k + 1):
                contributions[(k + 1, t)] = torch.outer(delta, entering[k])
    return dict(sorted(contributions.items(), key=lambda item: (item[0][1], item[0][0])))


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
    xs = rnn._inputs(xs).detach()
    if xs.ndim == 3:
        raise InvalidValueError(
            f"xs has shape {tuple(xs.shape)}: bptt takes one sequence (N, D); for a batch, "
            "add up the gradients of its sequences"
        )
    y = targets(objective, ys, xs, rnn.output_size)
    h0 = rnn._initial_state(h0, torch.Size()).detach()
    return _Problem(rnn=rnn, xs=xs, y=y, h0=h0, loss=objective)


def _check_length(N: int) -> None:
    if isinstance(N, bool) or not isinstance(N, int):
        raise InvalidTypeError(f"N must be a whole number, got {type(N).__name__}")
    if N < 1:
        raise InvalidValueError(f"N = {N}: a sequence needs at least one step, so N ≥ 1")


def _forward(problem: _Problem) -> _Forward:
    """Run the RNN and compute ∂L/∂o_t, ∂L/∂o_t ∂o_t/∂h_t and σ'(z_t) for every t at once."""
    rnn = problem.rnn
    trace = rnn.forward(problem.xs, problem.h0)
    dL_do = problem.loss.gradient(trace.o, problem.y)
    return _Forward(
        h=trace.h,
        loss=problem.loss.value(trace.o, problem.y),
        dL_do=dL_do,
        dL_dh_out=dL_do @ rnn.W,
        slope=_sigma_derivative(rnn.sigma, trace.z, trace.h[1:]),
    )


def _sigma_derivative(sigma: Activation, z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """σ'(z) elementwise: the activation's own derivative, or torch.func's for a callable."""
    if sigma.derivative is not None:
        return sigma.derivative(z, a)
    # A callable σ must act elementwise, as the lab's ∂h_j/∂h_{j-1} = diag(σ'(z_j)) V
    # assumes; then its derivative at each entry is the gradient of σ at that one number.
    one_by_one = torch.func.vmap
    try:
        values = one_by_one(sigma.function)(z.reshape(-1))
        slope = one_by_one(torch.func.grad(sigma.function))(z.reshape(-1))
    except (RuntimeError, TypeError, ValueError) as error:
        raise InvalidValueError(
            f"cannot differentiate σ = {sigma.name!r} elementwise with torch.func ({error}); "
            "write it with torch operations on a tensor, or use method='autograd'"
        ) from error
    if not torch.allclose(values.reshape(z.shape), a):
        raise InvalidValueError(
            f"σ = {sigma.name!r} does not act elementwise (σ of a vector differs from σ of "
            "each entry), so ∂h_j/∂h_{j-1} is not diag(σ'(z_j)) V; use method='autograd'"
        )
    return slope.reshape(z.shape)


def _reverse(problem: _Problem) -> Gradients:
    rnn = problem.rnn
    # inference_mode: no autograd bookkeeping at all, which is a third of a step's cost.
    with torch.inference_mode():
        forward = _forward(problem)
        delta = _backward_sweep(forward.dL_dh_out, forward.slope, rnn.V)
    return _gradients(forward, delta, rnn.V, problem.xs)


def _backward_sweep(dL_dh_out: torch.Tensor, slope: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """δ_t = ∂L/∂z_t for t = N … 1: δ_t = σ'(z_t) ⊙ (Wᵀ ∂L/∂o_t + Vᵀ δ_{t+1}); (N, H).

    The loop is the whole cost of the method, and it is nothing but calls on vectors of
    H numbers, so it runs on numpy views of the same memory: a numpy call costs about
    half as much as a torch call on vectors this small.
    """
    work = slope.dtype if slope.dtype in _NUMPY_DTYPES else torch.float32
    direct = dL_dh_out.to(work).numpy()
    slopes = slope.to(work).numpy()
    VT = V.detach().T.contiguous().to(work).numpy()
    delta = numpy.empty_like(direct)
    # Rows as lists of views, and each step written in place into its row of delta:
    # no indexing and no new arrays inside the loop.
    rows, direct_rows, slope_rows = list(delta), list(direct), list(slopes)
    dot, add, multiply = numpy.dot, numpy.add, numpy.multiply
    after = multiply(direct_rows[-1], slope_rows[-1], out=rows[-1])  # δ_N
    for t in range(len(rows) - 2, -1, -1):
        row = rows[t]
        dot(VT, after, out=row)  # Vᵀ δ_{t+1}
        add(row, direct_rows[t], out=row)  # + Wᵀ ∂L/∂o_t
        after = multiply(row, slope_rows[t], out=row)  # ⊙ σ'(z_t)
    return torch.from_numpy(delta).to(slope.dtype)


_NUMPY_DTYPES = (torch.float16, torch.float32, torch.float64)


def _gradients(
    forward: _Forward, delta: torch.Tensor, V: torch.Tensor, xs: torch.Tensor
) -> Gradients:
    """The gradients from δ (N, H), each weight's one product over the whole sequence.

    Called outside inference mode, so they are ordinary tensors a user may go on to
    differentiate; under no_grad, so they carry no history of the parameters.
    """
    h = forward.h
    with torch.no_grad():
        return Gradients(
            U=delta.T @ xs,  # Σ_t δ_t x_tᵀ
            V=delta.T @ h[:-1],  # Σ_t δ_t h_{t-1}ᵀ
            W=forward.dL_do.T @ h[1:],  # Σ_t ∂L/∂o_t h_tᵀ
            h0=delta[0] @ V,  # ∂L/∂h_0 = Vᵀ δ_1: every path reaches h_0 through h_1
            loss=float(forward.loss),
        )


def _open_paths(forward: _Forward, V: torch.Tensor) -> Iterator[tuple[int, torch.Tensor]]:
    """For k = N−1 … 0 (0-based), the paths entering at h_k: (k, rows (N − k, H)).

    Row t − k is ∂L/∂o_t ∂o_t/∂h_t ∂h_t/∂h_{t-1} ⋯ ∂h_{k+1}/∂h_k ∂h_k/∂z_k, path (k, t)'s
    product up to where U (or V) enters; consume it before asking for the next k.
    """
    N, H = forward.dL_dh_out.shape
    # Two buffers in turn: each step's product is written straight into the other one.
    rows, extended = (torch.empty(N, H, dtype=forward.h.dtype) for _ in range(2))
    for k in range(N - 1, -1, -1):
        rows[k] = forward.dL_dh_out[k]  # path (k, k) opens: ∂L/∂o_k ∂o_k/∂h_k
        at_z = rows[k:].mul_(forward.slope[k])  # · ∂h_k/∂z_k = diag(σ'(z_k))
        yield k, at_z
        if k > 0:
            torch.mm(at_z, V, out=extended[k:])  # every open path one state back: · V
            rows, extended = extended, rows


@contextlib.contextmanager
def _subnormals_flushed() -> Iterator[None]:
    """Inside, numbers too small for a normal float (below 1e-38 in float32) count as 0.

    A long path multiplies many factors ∂h_j/∂h_{j-1}, and when they shrink its product
    ends in that range, where the CPU computes 10–100 times slower (the paths method at
    H = 256, N = 1000 took 9 s instead of 0.5 s). Such terms are far too small to change
    the sum. The setting is the process's, so it is put back as it was.
    """
    was_on = (
        float(torch.tensor(1e-40, dtype=torch.float32) * 1) == 0
    )  # a subnormal survives unless flushed
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was_on)


def _paths(problem: _Problem) -> Gradients:
    rnn = problem.rnn
    with torch.inference_mode(), _subnormals_flushed():
        forward = _forward(problem)
        delta = torch.empty_like(forward.dL_dh_out)
        # ∂h_k/∂U (or ∂h_k/∂V) is the same for every path entering at h_k, so the paths
        # entering there are added before the one product with x_k (or h_{k-1}).
        for k, at_z in _open_paths(forward, rnn.V):
            delta[k] = at_z.sum(dim=0)
    return _gradients(forward, delta, rnn.V, problem.xs)


def _autograd(problem: _Problem) -> Gradients:
    rnn = problem.rnn
    U, V, W, h0 = (p.detach().clone().requires_grad_() for p in (rnn.U, rnn.V, rnn.W, problem.h0))
    with torch.enable_grad():
        trace = ElmanRNN(U, V, W, sigma=rnn.sigma).forward(problem.xs, h0)
        L = problem.loss.value(trace.o, problem.y)
        dU, dV, dW, dh0 = torch.autograd.grad(L, (U, V, W, h0))
    return Gradients(U=dU, V=dV, W=dW, h0=dh0, loss=float(L.detach()))


_METHODS = {"reverse": _reverse, "paths": _paths, "autograd": _autograd}
