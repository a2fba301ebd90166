"""The loops of rnnlab.compiled.kernels, compiled to machine code by numba (imported on first use).

Each function here is the readable code's loop over t written out entry by entry, so
that numba can compile it: the same equations, the same order of steps. The products
with whole sequences (U x_t for every t, W h_t, the weight gradients) are not here;
they stay one BLAS call each in rnnlab.compiled.kernels.

Arrays are rows, C-contiguous, all of one dtype (float32 or float64). σ is an integer
code (see SIGMA_CODES), a constant for the whole loop, so its branch costs nothing.

Compiled code is cached on disk in the user's cache folder (platformdirs'
user_cache_dir, e.g. ~/.cache/rnnlab/numba), not beside the installed source as
numba's ``cache=True`` would, so a later process loads it instead of compiling again.
Nothing of numba's process-wide configuration is changed: only these functions use
that folder.
"""

import contextlib
import math
import os

import numba
import numpy as np
import platformdirs
from numba.core import caching

SIGMA_CODES = {"identity": 0, "relu": 1, "tanh": 2, "sigmoid": 3}
_IDENTITY, _RELU, _TANH, _SIGMOID = 0, 1, 2, 3


def cache_folder() -> str:
    """Where the compiled kernels are kept: the user's cache folder for rnnlab."""
    return os.path.join(platformdirs.user_cache_dir("rnnlab", appauthor=False), "numba")


class _UserCacheLocator(caching.UserProvidedCacheLocator):
    """numba's locator for a user-given folder, given rnnlab's folder instead of
    numba.config.CACHE_DIR (which would move every other library's cache too)."""

    def __init__(self, py_func, py_file) -> None:
        super().__init__(py_func, py_file)
        self._cache_path = os.path.join(cache_folder(), self.get_suitable_cache_subpath(py_file))

    @classmethod
    def from_function(cls, py_func, py_file):
        # Skip UserProvidedCacheLocator's test of numba.config.CACHE_DIR; the mixin's
        # own from_function checks that the folder can be made and written.
        return super(caching.UserProvidedCacheLocator, cls).from_function(py_func, py_file)


class _CacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = (_UserCacheLocator,)


class _FunctionCache(caching.FunctionCache):
    _impl_class = _CacheImpl


_REORDER_SUMS = {"reassoc", "contract"}
"""fastmath flags: a sum's terms may be added in any order (and multiply-adds fused), so
that a dot product vectorises; no flag that assumes finite numbers."""


def _compiled(function):
    """numba.njit(function), its compiled code cached in cache_folder() when writable."""
    dispatcher = numba.njit(nogil=True, fastmath=_REORDER_SUMS)(function)
    # What Dispatcher.enable_caching does, with rnnlab's folder as the only place. With
    # no writable folder numba says RuntimeError, and the kernel compiles in every process.
    with contextlib.suppress(RuntimeError):
        dispatcher._cache = _FunctionCache(function)
    return dispatcher


@numba.njit(inline="always")
def _sigma(z, code):
    """σ(z) for one number, as rnnlab.model.activations defines it."""
    if code == _RELU:
        return z if z > 0 else z * 0
    if code == _TANH:
        return math.tanh(z)
    if code == _SIGMOID:
        return 1 / (1 + math.exp(-z))
    return z


@numba.njit(inline="always")
def _sigma_derivative(z, a, code):
    """σ'(z) for one number, from z and a = σ(z), as rnnlab.model.activations defines it."""
    if code == _RELU:
        return 1 if z >= 0 else 0  # ReLU'(0) = 1, as torch.clamp's backward gives
    if code == _TANH:
        return 1 - a * a
    if code == _SIGMOID:
        return a * (1 - a)
    return 1


@numba.njit(inline="always", fastmath=_REORDER_SUMS)
def _add_product(out, MT, v):
    """out += M v, given MT = Mᵀ (H, H) and v (H,): out_i += Σ_j MT[j, i] v_j.

    Written as a sum of MT's rows scaled by v's entries, four rows at a time: the inner
    loop runs along contiguous memory and vectorises, and ``out`` is read and written
    once per four rows. At H = 256 this runs as fast as the memory holding M allows
    (about as fast as BLAS's matrix-vector product).
    """
    H = v.shape[0]
    j = 0
    while j + 4 <= H:
        a, b, c, d = v[j], v[j + 1], v[j + 2], v[j + 3]
        for i in range(out.shape[0]):
            out[i] += MT[j, i] * a + MT[j + 1, i] * b + MT[j + 2, i] * c + MT[j + 3, i] * d
        j += 4
    while j < H:
        for i in range(out.shape[0]):
            out[i] += MT[j, i] * v[j]
        j += 1


@_compiled
def recurrence(Ux, VT, h0, code):
    """Equation (1) for every t: h_t = σ(U x_t + V h_{t-1}) with U x_t given.

    Ux: (B, N, H) the input terms U x_t; VT: (H, H) Vᵀ; h0: (B, H).
    Returns h: (B, N+1, H) with h[:, 0] = h0, and z: (B, N, H) the pre-activations.
    """
    B, N, H = Ux.shape
    h = np.empty((B, N + 1, H), Ux.dtype)
    z = np.empty((B, N, H), Ux.dtype)
    z_t = np.empty(H, Ux.dtype)  # a buffer of its own, so the compiler sees no overlap
    for b in range(B):
        h[b, 0] = h0[b]
        for t in range(N):
            for i in range(H):
                z_t[i] = Ux[b, t, i]
            _add_product(z_t, VT, h[b, t])  # + V h_{t-1}
            for i in range(H):
                z[b, t, i] = z_t[i]
                h[b, t + 1, i] = _sigma(z_t[i], code)
    return h, z


@_compiled
def backward_sweep(dL_dh_out, z, h, V, code):
    """δ_t = σ'(z_t) ⊙ (Wᵀ ∂L/∂o_t + Vᵀ δ_{t+1}) for t = N … 1, with δ_{N+1} = 0.

    dL_dh_out: (N, H) the rows Wᵀ ∂L/∂o_t; z: (N, H); h: (N+1, H); V: (H, H).
    Returns δ: (N, H).
    """
    N, H = dL_dh_out.shape
    delta = np.empty((N, H), dL_dh_out.dtype)
    dL_dh = np.empty(H, dL_dh_out.dtype)  # ∂L/∂h_t, a buffer of its own
    for t in range(N - 1, -1, -1):
        for i in range(H):
            dL_dh[i] = dL_dh_out[t, i]
        if t + 1 < N:
            _add_product(dL_dh, V, delta[t + 1])  # + Vᵀ δ_{t+1}
        for i in range(H):
            delta[t, i] = _sigma_derivative(z[t, i], h[t + 1, i], code) * dL_dh[i]
    return delta


@_compiled
def path_sums(dL_dh_out, z, h, V, code, tiny):
    """For each k, the sum over t ≥ k of path (k, t)'s product up to z_k: (N, H).

    Path (k, t)'s product ∂L/∂o_t ∂o_t/∂h_t ∂h_t/∂h_{t-1} ⋯ ∂h_{k+1}/∂h_k ∂h_k/∂z_k is
    formed for every path, each from path (k + 1, t)'s by one more factor
    V diag(σ'(z_k)): O(N² H²), as the lab's sum is written. Entries below ``tiny``
    (the smallest normal number of the dtype) are set to 0: long paths shrink into the
    subnormal range, where the CPU is 10–100 times slower, and such terms are far too
    small to change the sum. This is done here, entry by entry, rather than by the
    processor's flush-to-zero mode, which is the whole process's setting.
    """
    N, H = dL_dh_out.shape
    sums = np.zeros((N, H), dL_dh_out.dtype)
    rows = np.empty((N, H), dL_dh_out.dtype)  # row t: path (k, t)'s product
    extended = np.empty(H, dL_dh_out.dtype)
    slope = np.empty(H, dL_dh_out.dtype)
    for k in range(N - 1, -1, -1):
        for i in range(H):
            slope[i] = _sigma_derivative(z[k, i], h[k + 1, i], code)
        for t in range(k + 1, N):
            # Path (k + 1, t) one state back: · V, then · diag(σ'(z_k)).
            extended[:] = 0
            _add_product(extended, V, rows[t])
            for i in range(H):
                value = extended[i] * slope[i]
                rows[t, i] = value if abs(value) >= tiny else value * 0
        for i in range(H):
            rows[k, i] = dL_dh_out[k, i] * slope[i]  # path (k, k) opens
        for t in range(k, N):
            for i in range(H):
                sums[k, i] += rows[t, i]
    return sums


_SQUARED_ERROR, _CROSS_ENTROPY = 0, 1
LOSS_CODES = {"squared_error": _SQUARED_ERROR, "cross_entropy": _CROSS_ENTROPY}


@_compiled
def small_reverse(xs, y, h0, UT, VT, WT, V, W, code, loss_code):
    """The whole of bptt's reverse method in one loop each way, for small D, H and O.

    xs: (N, D); y: (N, O) target rows; h0: (H,); UT = Uᵀ (D, H), VT = Vᵀ, WT = Wᵀ (H, O),
    V (H, H), W (O, H): each product is a sum of contiguous rows (_add_product).
    Returns dL/dU, dL/dV, dL/dW, dL/dh0 and L. Where the matrices are small, calling a
    matrix product costs more than its arithmetic, so the products are loops here too.
    """
    N, D = xs.shape
    H, O = VT.shape[0], WT.shape[1]
    h = np.empty((N + 1, H), xs.dtype)
    z = np.empty((N, H), xs.dtype)
    h[0] = h0
    for t in range(N):  # equation (1): h_t = σ(U x_t + V h_{t-1})
        z[t] = 0
        _add_product(z[t], UT, xs[t])
        _add_product(z[t], VT, h[t])
        for i in range(H):
            h[t + 1, i] = _sigma(z[t, i], code)
    dL_do = np.empty((N, O), xs.dtype)
    o = np.empty(O, xs.dtype)
    loss = 0.0
    for t in range(N):
        o[:] = 0
        _add_product(o, WT, h[t + 1])  # equation (2): o_t = W h_t
        if loss_code == _SQUARED_ERROR:  # ‖y_t − o_t‖², ∂L/∂o_t = 2 (o_t − y_t)
            for k in range(O):
                difference = o[k] - y[t, k]
                loss += difference * difference
                dL_do[t, k] = 2 * difference
        else:  # −Σ_k y_t,k log softmax(o_t)_k, ∂L/∂o_t = softmax(o_t) Σ_k y_t,k − y_t
            largest = o.max()
            log_total = largest + math.log(np.exp(o - largest).sum())
            weight = y[t].sum()
            for k in range(O):
                loss -= y[t, k] * (o[k] - log_total)
                dL_do[t, k] = math.exp(o[k] - log_total) * weight - y[t, k]
    dU = np.zeros((H, D), xs.dtype)
    dV = np.zeros((H, H), xs.dtype)
    dW = np.zeros((O, H), xs.dtype)
    dL_dh = np.empty(H, xs.dtype)
    after = np.zeros(H, xs.dtype)  # δ_{t+1}, 0 beyond the last step
    for t in range(N - 1, -1, -1):
        dL_dh[:] = 0  # δ_t = σ'(z_t) ⊙ (Wᵀ ∂L/∂o_t + Vᵀ δ_{t+1})
        _add_product(dL_dh, W, dL_do[t])
        _add_product(dL_dh, V, after)
        for i in range(H):
            after[i] = _sigma_derivative(z[t, i], h[t + 1, i], code) * dL_dh[i]
        for i in range(H):  # the sums over t of δ_t x_tᵀ, δ_t h_{t-1}ᵀ, ∂L/∂o_t h_tᵀ
            for d in range(D):
                dU[i, d] += after[i] * xs[t, d]
            for j in range(H):
                dV[i, j] += after[i] * h[t, j]
        for k in range(O):
            for j in range(H):
                dW[k, j] += dL_do[t, k] * h[t + 1, j]
    dh0 = np.zeros(H, xs.dtype)
    _add_product(dh0, V, after)  # ∂L/∂h_0 = Vᵀ δ_1
    return dU, dV, dW, dh0, loss
