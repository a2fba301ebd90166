"""The loops of rnnlab.compiled.kernels, compiled to machine code by numba (imported on first use).

Each function here is the twin of one readable loop over t, written out entry by entry
so that numba can compile it: ``recurrence`` of ElmanRNN's ``_unroll`` and
``_unroll_ids``, ``backward_sweep`` of bptt's ``_reverse``, ``path_sums`` of bptt's
``_paths``. The products with whole sequences (U x_t for every t, W h_t, the weight
gradients) are not here: they stay one BLAS call each in rnnlab.compiled.kernels.

Arrays are rows, C-contiguous, all of one dtype (float32 or float64). σ is an integer
code (see SIGMA_CODES), a constant for the whole loop, so its branch costs nothing.

Compiled code is cached by numba's own ``cache=True``: in the ``__pycache__`` folder
beside this file where that is writable, else in numba's folder in the user's cache
(NUMBA_CACHE_DIR, numba's own setting, moves it), so a later process loads it instead
of compiling again. Where no folder is writable, each process compiles them anew.
"""

import math

import numba
import numpy as np

SIGMA_CODES = {"identity": 0, "relu": 1, "tanh": 2, "sigmoid": 3}
_IDENTITY, _RELU, _TANH, _SIGMOID = 0, 1, 2, 3

_REORDER_SUMS = {"reassoc", "contract"}
"""fastmath flags: a sum's terms may be added in any order (and multiply-adds fused), so
that a dot product vectorises; no flag that assumes finite numbers."""

_OPTIONS = {"nogil": True, "fastmath": _REORDER_SUMS, "error_model": "numpy"}
"""error_model "numpy": x / 0 gives inf or nan, as in torch, instead of a check per
division that keeps a loop from vectorising."""


def _compiled(function):
    """numba.njit(function), its compiled code cached where numba can write its cache."""
    try:
        return numba.njit(cache=True, **_OPTIONS)(function)
    except RuntimeError:  # numba finds no folder it may write its cache to
        return numba.njit(**_OPTIONS)(function)


@numba.njit(inline="always")
def _sigma(z, code):
    """σ(z) for one number, as rnnlab.model.activations defines it; tanh is _tanh_into's."""
    if code == _RELU:
        return z if z > 0 else z * 0
    if code == _SIGMOID:
        return 1 / (1 + math.exp(-z))
    return z


_LN2_HIGH, _LN2_LOW = 6.93147180369123816490e-01, 1.90821492927058770002e-10
"""ln 2 split in two, the high part with zeros in its last bits, so that k ln 2 for an
integer k is exact in the high part."""


@numba.njit(inline="always")
def _expm1_near_zero(r, single):
    """exp(r) − 1 for |r| ≤ ln 2 / 2: its Taylor series r + r²/2! + r³/3! + ⋯, to r⁸/8!
    for a float32 result (``single``) and to r¹⁴/14! for float64. The first term left
    out is below 2⁻³⁰ |exp(r) − 1| (float32) or 2⁻⁵³ |exp(r) − 1| (float64) there.

    The series is r · P(r); P is evaluated by Estrin's scheme, pairs of terms combined
    with r², r⁴ and r⁸, not by Horner's rule: the same sum, with a chain of four
    dependent steps instead of thirteen, which is what each step of the recurrence waits on.
    """
    r2 = r * r
    r4 = r2 * r2
    low = (1.0 + r * (1 / 2)) + r2 * ((1 / 6) + r * (1 / 24))  # P's terms up to r³
    middle = ((1 / 120) + r * (1 / 720)) + r2 * ((1 / 5040) + r * (1 / 40320))  # r⁴ … r⁷
    if single:
        return r * (low + r4 * middle)
    high = ((1 / 362880) + r * (1 / 3628800)) + r2 * ((1 / 39916800) + r * (1 / 479001600))
    top = (1 / 6227020800) + r * (1 / 87178291200)  # r¹² and r¹³
    return r * ((low + r4 * middle) + (r4 * r4) * (high + r4 * top))


@numba.njit(inline="always")
def _tanh_into(out, z, powers):
    """out = tanh(z) entry by entry, in loops that vectorise (math.tanh does not: it is
    a call per entry). powers: a float64 scratch array as long as z.

    tanh |z| = (1 − e) / (1 + e) with e = exp(−2|z|) = 2^k exp(r), k the integer nearest
    to −2|z| / ln 2 and |r| ≤ ln 2 / 2, 2^k made from its bits. Written as
    ((1 − 2^k) − 2^k p) / ((1 + 2^k) + 2^k p), p = exp(r) − 1, so that no digits cancel
    near z = 0. Past |z| = 20, e is below half an ulp of 1 and tanh |z| rounds to 1.
    Computed in float64 for both dtypes, the series of exp(r) − 1 as long as ``out``'s
    dtype needs; within 2 ulp of torch.tanh.
    """
    single = out.itemsize == 4  # a float32 out
    bits = powers.view(np.int64)
    for i in range(z.shape[0]):
        s = -2.0 * abs(z[i])
        s = s if s > -40.0 else -40.0
        bits[i] = (np.int64(s * (1 / _LN2_HIGH) - 0.5) + 1023) << 52  # 2^k
    for i in range(z.shape[0]):
        s = -2.0 * abs(z[i])
        s = s if s > -40.0 else -40.0
        k = np.float64(np.int64(s * (1 / _LN2_HIGH) - 0.5))  # truncation: the nearest k ≤ 0
        r = (s - k * _LN2_HIGH) - k * _LN2_LOW
        p = _expm1_near_zero(r, single)
        q = powers[i]
        magnitude = ((1.0 - q) - q * p) / ((1.0 + q) + q * p)
        value = math.copysign(magnitude, z[i])
        out[i] = value if z[i] == z[i] else z[i]  # nan stays nan


@numba.njit(inline="always")
def _sigma_into(out, z, code, powers):
    """out = σ(z) entry by entry; powers: the float64 scratch of _tanh_into."""
    if code == _TANH:
        _tanh_into(out, z, powers)
    else:
        for i in range(z.shape[0]):
            out[i] = _sigma(z[i], code)


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


@numba.njit(inline="always")
def _derivative_times(out, z, a, v, code):
    """out = σ'(z) ⊙ v entry by entry, given a = σ(z). tanh, the usual σ, has a loop of
    its own, where σ is known when compiling: a loop without a branch, which vectorises."""
    if code == _TANH:
        for i in range(out.shape[0]):
            out[i] = _sigma_derivative(z[i], a[i], _TANH) * v[i]
    else:
        for i in range(out.shape[0]):
            out[i] = _sigma_derivative(z[i], a[i], code) * v[i]


@numba.njit(inline="always", fastmath=_REORDER_SUMS)
def _add_product(out, MT, v):
    """out += M v, given MT = Mᵀ (H, H) and v (H,): out_i += Σ_j MT[j, i] v_j.

    Written as a sum of MT's rows scaled by v's entries, eight rows at a time: the inner
    loop runs along contiguous memory and vectorises, and ``out`` is read and written
    once per eight rows, so a step waits on few of those round trips.
    """
    H = v.shape[0]
    j = 0
    while j + 8 <= H:
        a, b, c, d = v[j], v[j + 1], v[j + 2], v[j + 3]
        e, f, g, k = v[j + 4], v[j + 5], v[j + 6], v[j + 7]
        for i in range(out.shape[0]):
            first = MT[j, i] * a + MT[j + 1, i] * b + MT[j + 2, i] * c + MT[j + 3, i] * d
            second = MT[j + 4, i] * e + MT[j + 5, i] * f + MT[j + 6, i] * g + MT[j + 7, i] * k
            out[i] += first + second
        j += 8
    while j < H:
        for i in range(out.shape[0]):
            out[i] += MT[j, i] * v[j]
        j += 1


@_compiled
def recurrence(Ux, V, h0, code):
    """Equation (1) for every t: h_t = σ(U x_t + V h_{t-1}) with U x_t given.

    Ux: (B, N, H) the input terms U x_t; V: (H, H); h0: (B, H).
    Returns h: (B, N+1, H) with h[:, 0] = h0, and z: (B, N, H) the pre-activations.
    """
    B, N, H = Ux.shape
    VT = np.ascontiguousarray(V.T)  # V h_{t-1} as a sum of Vᵀ's rows (_add_product)
    h = np.empty((B, N + 1, H), Ux.dtype)
    z = np.empty((B, N, H), Ux.dtype)
    # z_t and h_t in buffers of their own, so the compiler sees no overlap; each is
    # copied into z and h after its step.
    z_t = np.empty(H, Ux.dtype)
    h_t = np.empty(H, Ux.dtype)
    powers = np.empty(H)  # the scratch of _tanh_into
    for b in range(B):
        for i in range(H):
            h_t[i] = h[b, 0, i] = h0[b, i]
        for t in range(N):
            for i in range(H):
                z_t[i] = Ux[b, t, i]
            _add_product(z_t, VT, h_t)  # + V h_{t-1}
            _sigma_into(h_t, z_t, code, powers)  # equation (1): h_t = σ(z_t)
            for i in range(H):
                z[b, t, i] = z_t[i]
                h[b, t + 1, i] = h_t[i]
    return h, z


@_compiled
def backward_sweep(dL_dh_out, z, h, V, code):
    """δ_t = σ'(z_t) ⊙ (Wᵀ ∂L/∂o_t + Vᵀ δ_{t+1}) for t = N … 1, with δ_{N+1} = 0.

    dL_dh_out: (N, H) the rows Wᵀ ∂L/∂o_t; z: (N, H); h: (N+1, H); V: (H, H).
    Returns δ: (N, H).
    """
    N, H = dL_dh_out.shape
    delta = np.empty((N, H), dL_dh_out.dtype)
    # ∂L/∂h_t and δ_t in buffers of their own; δ_t is copied into delta after its step.
    dL_dh = np.empty(H, dL_dh_out.dtype)
    delta_t = np.zeros(H, dL_dh_out.dtype)  # δ_{N+1} = 0: nothing comes back from beyond N
    for t in range(N - 1, -1, -1):
        for i in range(H):
            dL_dh[i] = dL_dh_out[t, i]
        _add_product(dL_dh, V, delta_t)  # + Vᵀ δ_{t+1}
        _derivative_times(delta_t, z[t], h[t + 1], dL_dh, code)  # δ_t = σ'(z_t) ⊙ ∂L/∂h_t
        for i in range(H):
            delta[t, i] = delta_t[i]
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
