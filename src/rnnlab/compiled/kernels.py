"""Compiled kernels beside the readable code, as nanoGPT keeps its fused attention.

The readable torch code in rnnlab.model.rnn and rnnlab.bptt is the reference: the lab's
equations, one line each, looping over t in Python. Here the same loops run compiled
(rnnlab.compiled.kernel_loops, numba), for speed:

- ``forward``: equation (1) without autograd, the twin of ElmanRNN's ``_unroll`` and
  ``_unroll_ids`` when nothing asks for a gradient;
- ``backward_sweep``: the twin of bptt's ``_reverse`` loop, for both losses;
- ``path_sums``: the twin of bptt's ``_paths``.

They run on the CPU, in float32 and float64, for the named σ (relu, identity, tanh,
sigmoid). ``compiled=None`` takes a kernel where one applies, ``compiled=False`` the
readable code, ``compiled=True`` insists and says why it cannot (``use_kernel``). The
tests hold each kernel against the readable code and against autograd.

Only the loops over t are compiled. Products with a whole sequence (U x_t for every t,
W h_t, the weight gradients Σ_t δ_t x_tᵀ …) are one matrix product each, which torch
already runs as fast as the machine allows.
"""

import functools
import importlib.util
import os
from types import ModuleType

import torch

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.activations import Activation, named

DTYPES = (torch.float32, torch.float64)


SWITCH = "RNNLAB_COMPILED"
"""Set to 0 in the environment, it turns the kernels off: ``compiled=None`` then always
runs the readable code. For a place where compiling (seconds, once per machine) is not
wanted, such as a sandbox with no cache folder to keep the compiled code in."""


def unavailable(sigma: Activation, tensors: "tuple[torch.Tensor, ...]") -> "str | None":
    """Why no kernel can run on these tensors with this σ, or None when one can."""
    if os.environ.get(SWITCH) == "0":
        return f"{SWITCH}=0 in the environment turns the kernels off"
    if not named(sigma):
        return f"σ = {sigma.name!r} is a callable; the kernels know only the named σ"
    for tensor in tensors:
        if tensor.device.type != "cpu":
            return f"the tensors are on {tensor.device}; the kernels run on the CPU"
        if tensor.dtype not in DTYPES:
            return f"the dtype is {tensor.dtype}; the kernels take float32 or float64"
    if not _numba_installed():
        return "numba is not installed"
    return None


@functools.cache
def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def use_kernel(compiled: object, reason: "str | None", what: str) -> bool:
    """Whether ``what`` runs compiled: ``compiled`` is None (where a kernel applies),
    True (insist: an error saying ``reason`` where none applies) or False (never)."""
    if compiled is not None and not isinstance(compiled, bool):
        raise InvalidTypeError(f"compiled is {compiled!r}, expected None, True or False")
    if compiled and reason is not None:
        raise InvalidValueError(f"compiled=True, but {what} cannot run compiled: {reason}")
    return reason is None if compiled is None else compiled


@functools.cache
def _loops() -> ModuleType:
    """rnnlab.compiled.kernel_loops, imported on first use: numba takes a while to load."""
    from rnnlab.compiled import kernel_loops

    return kernel_loops


def _numpy(tensor: torch.Tensor):
    """The tensor's memory as a C-contiguous numpy array, copied only where it must be.

    Each step is taken only where it is needed: at the lab's sizes a call of a kernel
    costs little more than the torch calls around it."""
    if tensor.requires_grad:
        tensor = tensor.detach()
    if not tensor.is_contiguous():
        tensor = tensor.contiguous()
    return tensor.numpy()


def _sigma_code(sigma: Activation) -> int:
    return _loops().SIGMA_CODES[sigma.name]


def forward(
    U_x: torch.Tensor, V: torch.Tensor, h0: torch.Tensor, sigma: Activation
) -> tuple[torch.Tensor, torch.Tensor]:
    """Equation (1) for every t, compiled: U_x (N, H) or (B, N, H) the terms U x_t,
    V (H, H), h0 (H,) or (B, H).

    Returns h (N+1, H) or (B, N+1, H), with h0 first, and z (N, H) or (B, N, H).
    """
    U_x_rows, h0_rows = _numpy(U_x), _numpy(h0)
    single = U_x_rows.ndim == 2
    if single:  # one sequence: a batch of one for the kernel
        U_x_rows, h0_rows = U_x_rows[None], h0_rows[None]
    h, z = _loops().recurrence(U_x_rows, _numpy(V), h0_rows, _sigma_code(sigma))
    if single:
        h, z = h[0], z[0]
    return torch.from_numpy(h), torch.from_numpy(z)


def backward_sweep(
    dL_dh_out: torch.Tensor, z: torch.Tensor, h: torch.Tensor, V: torch.Tensor, sigma: Activation
) -> torch.Tensor:
    """δ_t = σ'(z_t) ⊙ (Wᵀ ∂L/∂o_t + Vᵀ δ_{t+1}) for t = N … 1, compiled: (N, H)."""
    arrays = (_numpy(dL_dh_out), _numpy(z), _numpy(h), _numpy(V))
    return torch.from_numpy(_loops().backward_sweep(*arrays, _sigma_code(sigma)))


def path_sums(
    dL_dh_out: torch.Tensor, z: torch.Tensor, h: torch.Tensor, V: torch.Tensor, sigma: Activation
) -> torch.Tensor:
    """Σ_{t ≥ k} of path (k, t)'s product up to z_k, every path formed, compiled: (N, H)."""
    arrays = (_numpy(dL_dh_out), _numpy(z), _numpy(h), _numpy(V))
    tiny = torch.finfo(dL_dh_out.dtype).tiny
    return torch.from_numpy(_loops().path_sums(*arrays, _sigma_code(sigma), tiny))
