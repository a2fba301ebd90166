"""The compiled kernels against the readable code and against autograd, and when each runs.

The independent reference is autograd through the lab's own loop (tests/reference.py:
column vectors, h = σ(U @ x_t + V @ h)), and torch.nn.RNN for the forward step.
"""

import os
import subprocess
import sys
import textwrap

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import DTYPE, SIGMAS, random_case, reference
from rnnlab import ElmanRNN, bptt
from rnnlab.compiled import kernels
from rnnlab.errors import InvalidTypeError, InvalidValueError

LOSSES = ("squared_error", "cross_entropy")


def assert_same(got, expected, tolerance=1e-10):
    loss, *tensors = expected
    assert got.loss == pytest.approx(loss, rel=tolerance, abs=tolerance)
    for name, value in zip(("U", "V", "W", "h0"), tensors, strict=True):
        scale = max(1.0, float(value.abs().max()))
        torch.testing.assert_close(
            getattr(got, name), value, rtol=tolerance, atol=tolerance * scale, msg=name
        )


def as_tuple(gradients):
    return (gradients.loss, gradients.U, gradients.V, gradients.W, gradients.h0)


@settings(max_examples=60, deadline=None)
@given(
    N=st.one_of(st.just(1), st.integers(2, 12), st.integers(150, 400)),
    D=st.integers(1, 4),
    H=st.integers(1, 6),
    O=st.integers(1, 4),
    sigma=st.sampled_from(sorted(SIGMAS)),
    loss=st.sampled_from(LOSSES),
    seed=st.integers(0, 2**31),
)
def test_kernels_readable_code_and_autograd_agree(N, D, H, O, sigma, loss, seed):
    U, V, W, h0, xs, ys = random_case(N, D, H, O, loss, seed)
    rnn = ElmanRNN(U, V, W, sigma=sigma)
    expected = reference(U, V, W, h0, xs, ys, sigma, loss)
    runs = [("reverse", True), ("reverse", False), ("autograd", None)]
    if N <= 12:  # the readable paths method is O(N²) Python steps
        runs += [("paths", False)]
    runs += [("paths", True)]
    for method, compiled in runs:
        got = bptt(rnn, xs, ys, h0, loss=loss, method=method, compiled=compiled)
        assert_same(got, expected)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sigma", sorted(SIGMAS))
def test_kernels_at_larger_sizes_agree_with_autograd(sigma, loss):
    # Past the sizes hypothesis draws: rows longer than a vector register, tails of rows.
    D, H, O = 35, 40, 33
    U, V, W, h0, xs, ys = random_case(25, D, H, O, loss, seed=len(sigma))
    rnn = ElmanRNN(U, V, W, sigma=sigma)
    expected = reference(U, V, W, h0, xs, ys, sigma, loss)
    for method in ("reverse", "paths"):
        for compiled in (True, False):
            got = bptt(rnn, xs, ys, h0, loss=loss, method=method, compiled=compiled)
            assert_same(got, expected)


@settings(max_examples=40, deadline=None)
@given(
    B=st.integers(1, 4),
    N=st.one_of(st.just(1), st.integers(2, 30)),
    D=st.integers(1, 4),
    H=st.integers(1, 6),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    seed=st.integers(0, 2**31),
)
def test_compiled_and_readable_forward_agree_with_nn_rnn(B, N, D, H, nonlinearity, seed):
    U, V, W, _, _, _ = random_case(1, D, H, 3, "squared_error", seed)
    generator = torch.Generator().manual_seed(seed)
    xs = torch.randn(B, N, D, generator=generator, dtype=DTYPE)
    h0 = torch.randn(B, H, generator=generator, dtype=DTYPE)
    reference = torch.nn.RNN(D, H, nonlinearity=nonlinearity, bias=False, batch_first=True)
    reference = reference.to(DTYPE)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(U)
        reference.weight_hh_l0.copy_(V)
        expected, _ = reference(xs, h0[None])
    rnn = ElmanRNN(U, V, W, sigma=nonlinearity)
    for compiled in (True, False):
        trace = rnn.forward(xs, h0, compiled=compiled)
        torch.testing.assert_close(trace.h[:, 1:], expected, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(trace.o, expected @ W.T, rtol=1e-12, atol=1e-12)
        single = rnn.forward(xs[0], h0[0], compiled=compiled)
        torch.testing.assert_close(single.h[1:], expected[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sigma", sorted(SIGMAS))
def test_compiled_forward_ids_equal_the_readable_one(sigma, generator):
    U, V, W, _, _, _ = random_case(1, 7, 5, 3, "squared_error", seed=4)
    rnn = ElmanRNN(U, V, W, sigma=sigma, output_sigma="softmax")
    ids = torch.randint(0, 7, (3, 40), generator=generator)
    for batch in (ids, ids[1]):
        compiled, readable = (rnn.forward_ids(batch, compiled=c) for c in (True, False))
        for field in ("h", "z", "o", "y_hat"):
            torch.testing.assert_close(
                getattr(compiled, field), getattr(readable, field), rtol=1e-12, atol=1e-12
            )


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("method", ["reverse", "paths"])
def test_float32_kernels_agree_with_float64_autograd(loss, method):
    U, V, W, h0, xs, ys = random_case(60, 3, 8, 4, loss, seed=11)
    expected = reference(U, V, W, h0, xs, ys, "tanh", loss)
    rnn = ElmanRNN(U.float(), V.float(), W.float(), sigma="tanh")
    target = ys if loss == "cross_entropy" else ys.float()
    got = bptt(rnn, xs.float(), target, h0.float(), loss=loss, method=method, compiled=True)
    assert got.U.dtype == torch.float32
    assert_same(got, tuple(v if isinstance(v, float) else v.float() for v in expected), 1e-4)


def subnormal_survives() -> bool:
    """Whether this process keeps subnormal numbers (flush-to-zero is off)."""
    return float(torch.tensor(1e-310, dtype=torch.float64) * 1) != 0


@pytest.mark.parametrize("method", ["reverse", "paths", "autograd"])
def test_subnormal_inputs_give_autograds_gradient_and_leave_the_process_alone(method):
    U, V, W, h0, xs, ys = random_case(20, 2, 3, 2, "squared_error", seed=5)
    xs = xs * 1e-310  # every input subnormal in float64
    h0 = h0 * 1e-310
    before = (subnormal_survives(), torch.get_num_threads())
    expected = reference(U, V, W, h0, xs, ys, "tanh", "squared_error")
    for compiled in (True, False) if method != "autograd" else (None,):
        got = bptt(ElmanRNN(U, V, W, sigma="tanh"), xs, ys, h0, method=method, compiled=compiled)
        assert_same(got, expected)
    assert (subnormal_survives(), torch.get_num_threads()) == before == (True, before[1])


def test_paths_kernel_flushes_vanishing_paths_without_changing_the_sum():
    # A strongly contracting V: the longest paths' products fall below 1e-308 (subnormal
    # in float64), which the kernel sets to 0; the sum still equals reverse's.
    U, V, W, h0, xs, ys = random_case(300, 2, 4, 2, "squared_error", seed=6)
    rnn = ElmanRNN(U, V * 0.05, W, sigma="tanh")
    assert_same(
        bptt(rnn, xs, ys, h0, method="paths", compiled=True),
        as_tuple(bptt(rnn, xs, ys, h0, method="reverse", compiled=False)),
    )
    assert subnormal_survives()


# --- which code runs ---


def kernel_calls(monkeypatch) -> list[str]:
    """Record each kernel called from now on, by name."""
    calls = []
    for name in ("forward", "backward_sweep", "path_sums"):
        original = getattr(kernels, name)

        def spy(*arguments, _name=name, _original=original):
            calls.append(_name)
            return _original(*arguments)

        monkeypatch.setattr(kernels, name, spy)
    return calls


def test_compiled_none_takes_the_kernel_where_it_applies(monkeypatch):
    calls = kernel_calls(monkeypatch)
    U, V, W, _, xs, ys = random_case(5, 2, 3, 2, "squared_error", seed=1)
    rnn = ElmanRNN(U, V, W, sigma="tanh")
    bptt(rnn, xs, ys)
    bptt(rnn, xs, ys, method="paths")
    with torch.no_grad():
        rnn.forward(xs)
    rnn.forward_ids([0, 1, 1])  # no tensor requires grad: nothing for autograd to record
    assert calls == ["forward", "backward_sweep", "forward", "path_sums", "forward", "forward"]


def test_compiled_none_takes_the_readable_code_where_no_kernel_applies(monkeypatch):
    calls = kernel_calls(monkeypatch)
    U, V, W, _, xs, ys = random_case(5, 2, 3, 2, "squared_error", seed=1)
    callable_sigma = ElmanRNN(U, V, W, sigma=lambda z: torch.tanh(z))
    bptt(callable_sigma, xs, ys)
    half = ElmanRNN(U.half(), V.half(), W.half(), sigma="tanh")
    half.forward(xs.half())
    bptt(ElmanRNN(U, V, W, sigma="tanh"), xs, ys, compiled=False)
    # A tensor that requires grad: the readable loop, which autograd records.
    U1 = U.clone().requires_grad_()
    ElmanRNN(U1, V, W, sigma="tanh").forward(xs).o.sum().backward()
    assert U1.grad is not None
    assert calls == []


def test_compiled_true_says_why_it_cannot_run():
    U, V, W, _, xs, ys = random_case(4, 2, 3, 2, "squared_error", seed=2)
    cases = [
        (lambda: bptt(ElmanRNN(U, V, W, sigma=torch.tanh), xs, ys, compiled=True), "callable"),
        (
            lambda: ElmanRNN(U.half(), V.half(), W.half()).forward(xs.half(), compiled=True),
            "the dtype is torch.float16",
        ),
        (
            lambda: ElmanRNN(U.clone().requires_grad_(), V, W).forward(xs, compiled=True),
            "autograd is recording",
        ),
        (
            lambda: bptt(ElmanRNN(U, V, W), xs, ys, method="autograd", compiled=True),
            "torch autograd itself",
        ),
    ]
    for call, reason in cases:
        with pytest.raises(
            InvalidValueError, match=f"compiled=True, but .*cannot run compiled: .*{reason}"
        ):
            call()


def test_the_device_rule_names_the_device():
    sigma = ElmanRNN(1.0, 1.0, 1.0, sigma="tanh").sigma
    reason = kernels.unavailable(sigma, (torch.empty(2, device="meta"),))
    assert reason == "the tensors are on meta; the kernels run on the CPU"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_gpu_tensor_runs_the_readable_code_or_says_why_not():
    U, V, W, h0, xs, ys = random_case(6, 2, 3, 2, "squared_error", seed=2)
    rnn = ElmanRNN(U.cuda(), V.cuda(), W.cuda(), sigma="tanh")
    got = bptt(rnn, xs.cuda(), ys.cuda(), h0.cuda())
    assert_same(got, reference(U, V, W, h0, xs, ys, "tanh", "squared_error"))
    with pytest.raises(InvalidValueError, match="on cuda:0; the kernels run on the CPU"):
        bptt(rnn, xs.cuda(), ys.cuda(), compiled=True)


def test_the_environment_can_turn_the_kernels_off(monkeypatch):
    calls = kernel_calls(monkeypatch)
    monkeypatch.setenv("RNNLAB_COMPILED", "0")
    U, V, W, h0, xs, ys = random_case(5, 2, 3, 2, "squared_error", seed=1)
    rnn = ElmanRNN(U, V, W, sigma="tanh")
    assert_same(bptt(rnn, xs, ys, h0), reference(U, V, W, h0, xs, ys, "tanh", "squared_error"))
    rnn.forward(xs)
    assert calls == []
    with pytest.raises(InvalidValueError, match="RNNLAB_COMPILED=0 in the environment"):
        bptt(rnn, xs, ys, compiled=True)


def test_compiled_must_be_none_or_a_bool():
    with pytest.raises(InvalidTypeError, match="compiled is 'yes', expected None, True or False"):
        ElmanRNN(1.0, 1.0, 1.0).forward([1.0], compiled="yes")


@pytest.mark.slow
def test_compiled_kernels_are_cached_where_numba_keeps_its_cache(tmp_path):
    # numba's own cache=True: a fresh process with NUMBA_CACHE_DIR in tmp_path compiles
    # and writes there; a second process loads the kernels from there instead.
    script = textwrap.dedent(
        """
        import torch
        from rnnlab import ElmanRNN, bptt
        from rnnlab.compiled import kernel_loops
        rnn = ElmanRNN(torch.eye(2), torch.eye(2) / 2, torch.eye(2), sigma="tanh")
        bptt(rnn, torch.ones(3, 2), torch.zeros(3, 2), compiled=True)
        rnn.forward(torch.ones(3, 2), compiled=True)
        kernels = (kernel_loops.recurrence, kernel_loops.backward_sweep)
        print(sum(sum(kernel.stats.cache_hits.values()) for kernel in kernels))
        """
    )
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=environment, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    assert any(name.endswith(".nbi") for _, _, files in os.walk(tmp_path) for name in files)
    assert [run.stdout.split() for run in runs] == [["0"], ["2"]]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_compiled_tanh_is_within_two_ulp_of_torchs(dtype):
    # The recurrence's own tanh (a vectorised series) against torch.tanh, on every scale
    # from subnormal to saturated, and on ±0, ±inf and nan.
    generator = torch.Generator().manual_seed(3)
    scales = torch.tensor([1e-300, 1e-30, 1e-8, 1e-3, 0.1, 0.35, 1, 3, 10, 19, 30], dtype=DTYPE)
    z = torch.randn(len(scales), 2000, generator=generator, dtype=DTYPE) * scales[:, None]
    specials = [0.0, -0.0, float("inf"), -float("inf"), float("nan"), 1e-310, 0.17328679]
    z = torch.cat([z.flatten(), torch.tensor(specials, dtype=DTYPE)]).to(dtype)
    tanh = ElmanRNN(1.0, 1.0, 1.0, sigma="tanh").sigma
    # A batch of len(z) sequences of one step, H = 1, V = 0: h_1 = tanh(U x_1) = tanh(z).
    V, h0 = torch.zeros(1, 1, dtype=dtype), torch.zeros(len(z), 1, dtype=dtype)
    h, z_1 = kernels.forward(z[:, None, None], V, h0, tanh)
    got, expected = h[:, 1, 0], torch.tanh(z_1[:, 0, 0])  # z_1 = z + 0 h_0: −0 is +0 there
    ulp = torch.finfo(dtype).eps * expected.abs().clamp(min=torch.finfo(dtype).tiny)
    finite = expected.isfinite()
    assert ((got - expected)[finite].abs() <= 2 * ulp[finite]).all()
    assert torch.equal(got.isnan(), expected.isnan())
    numbers = ~expected.isnan()
    assert torch.equal(got[numbers].signbit(), expected[numbers].signbit())


def test_the_kernels_run_where_no_cache_folder_can_be_written():
    # In a sandbox numba finds no folder to write its cache to: they compile in memory.
    script = textwrap.dedent(
        """
        import numba.core.caching as caching
        def refuse(self):
            raise OSError("read-only")
        caching._CacheLocator.ensure_cache_path = refuse
        import torch
        from rnnlab import ElmanRNN, bptt
        rnn = ElmanRNN(torch.eye(2), torch.eye(2) / 2, torch.eye(2), sigma="identity")
        print(bptt(rnn, torch.ones(1, 2), torch.zeros(1, 2), compiled=True).loss)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == 2.0  # h_1 = o_1 = (1, 1): L = ‖o_1 − 0‖² = 2
