"""bptt's three methods, the paths and their contributions, each against an independent source.

The reference (tests/reference.py) is written apart from the library: the lab's loop with
column vectors, h = σ(U @ x_t + V @ h), the loss from torch.nn.functional, and autograd.
"""

import dataclasses

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional

from reference import DTYPE, SIGMAS, random_case, reference
from rnnlab import (
    ElmanRNN,
    Gradients,
    bptt,
    count_paths,
    next_token_targets,
    path_contributions,
    paths,
)
from rnnlab.errors import InvalidTypeError, InvalidValueError

METHODS = ("reverse", "paths", "autograd")


def assert_gradients(gradients: Gradients, expected) -> None:
    loss, dU, dV, dW, dh0 = expected
    assert gradients.loss == pytest.approx(loss, rel=1e-10, abs=1e-10)
    for name, value in zip(("U", "V", "W", "h0"), (dU, dV, dW, dh0), strict=True):
        scale = max(1.0, float(value.abs().max()))
        torch.testing.assert_close(
            getattr(gradients, name), value, rtol=1e-10, atol=1e-10 * scale, msg=name
        )


@settings(max_examples=60, deadline=None)
@given(
    N=st.integers(1, 8),
    D=st.integers(1, 4),
    H=st.integers(1, 5),
    O=st.integers(1, 4),
    sigma=st.sampled_from(sorted(SIGMAS)),
    loss=st.sampled_from(("squared_error", "cross_entropy")),
    method=st.sampled_from(METHODS),
    seed=st.integers(0, 2**31),
)
def test_every_method_matches_autograd_through_the_labs_loop(N, D, H, O, sigma, loss, method, seed):
    U, V, W, h0, xs, ys = random_case(N, D, H, O, loss, seed)
    gradients = bptt(ElmanRNN(U, V, W, sigma=sigma), xs, ys, h0, loss=loss, method=method)
    assert_gradients(gradients, reference(U, V, W, h0, xs, ys, sigma, loss))


@pytest.mark.parametrize("method", METHODS)
def test_cross_entropy_takes_one_hot_rows_as_well_as_ids(method):
    U, V, W, h0, xs, ids = random_case(6, 3, 4, 5, "cross_entropy", seed=3)
    rnn = ElmanRNN(U, V, W, sigma="tanh")
    rows = functional.one_hot(ids, 5).to(DTYPE)
    expected = reference(U, V, W, h0, xs, ids, "tanh", "cross_entropy")
    assert_gradients(bptt(rnn, xs, rows, h0, loss="cross_entropy", method=method), expected)


@pytest.mark.parametrize("method", METHODS)
def test_a_callable_sigma_gets_its_derivative_from_torch(method):
    U, V, W, h0, xs, ys = random_case(5, 2, 3, 2, "squared_error", seed=4)
    expected = reference(U, V, W, h0, xs, ys, torch.sin, "squared_error")
    assert_gradients(bptt(ElmanRNN(U, V, W, sigma=torch.sin), xs, ys, h0, method=method), expected)


def test_a_sigma_torch_cannot_differentiate_is_a_clear_error():
    def through_numpy(z):
        return torch.from_numpy(z.numpy() * 2)

    rnn = ElmanRNN(torch.eye(2, dtype=DTYPE), torch.eye(2, dtype=DTYPE), torch.eye(2, dtype=DTYPE))
    rnn = ElmanRNN(rnn.U, rnn.V, rnn.W, sigma=through_numpy)
    with pytest.raises(InvalidValueError, match="cannot differentiate σ = 'through_numpy'"):
        bptt(rnn, torch.ones(3, 2, dtype=DTYPE), torch.ones(3, 2, dtype=DTYPE))


def test_a_sigma_that_mixes_entries_is_refused_by_the_hand_methods():
    def softmax(z):
        return torch.softmax(z, dim=-1)

    U, V, W, h0, xs, ys = random_case(4, 2, 3, 2, "squared_error", seed=9)
    rnn = ElmanRNN(U, V, W, sigma=softmax)
    with pytest.raises(InvalidValueError, match="'softmax' does not act elementwise"):
        bptt(rnn, xs, ys, h0)
    expected = reference(U, V, W, h0, xs, ys, softmax, "squared_error")
    assert_gradients(bptt(rnn, xs, ys, h0, method="autograd"), expected)


class _ReverseLoss(torch.autograd.Function):
    """L as a function of U, V, W, h0 whose backward is bptt's reverse method, for gradcheck."""

    @staticmethod
    def forward(ctx, U, V, W, h0, xs, ys, sigma):
        gradients = bptt(ElmanRNN(U, V, W, sigma=sigma), xs, ys, h0, method="reverse")
        ctx.gradients = gradients
        return torch.tensor(gradients.loss, dtype=DTYPE)

    @staticmethod
    def backward(ctx, upstream):
        g = ctx.gradients
        return upstream * g.U, upstream * g.V, upstream * g.W, upstream * g.h0, None, None, None


@pytest.mark.parametrize("sigma", ["tanh", "sigmoid", "identity"])
def test_reverse_passes_gradcheck_against_finite_differences(sigma):
    U, V, W, h0, xs, ys = random_case(5, 3, 4, 2, "squared_error", seed=5)
    inputs = tuple(p.requires_grad_() for p in (U, V, W, h0))
    assert torch.autograd.gradcheck(
        lambda *p: _ReverseLoss.apply(*p, xs, ys, sigma), inputs, eps=1e-6, atol=1e-6
    )


def test_long_sequence_methods_agree():
    U, V, W, h0, xs, ys = random_case(300, 3, 6, 2, "squared_error", seed=6)
    rnn = ElmanRNN(U, V, W, sigma="tanh")
    expected = reference(U, V, W, h0, xs, ys, "tanh", "squared_error")
    for method in METHODS:
        assert_gradients(bptt(rnn, xs, ys, h0, method=method), expected)


# The lab's scalar example: U = 0.1, V = 0.2, W = 0.3, x = 0.5, 0.6, 0.7, 0.8, ReLU, h0 = 0.
U_, V_, W_ = 0.1, 0.2, 0.3
X_ = [0.5, 0.6, 0.7, 0.8]


def scalar_rnn(requires_grad: bool = False) -> ElmanRNN:
    U, V, W = (torch.tensor([p], dtype=DTYPE, requires_grad=requires_grad) for p in (U_, V_, W_))
    return ElmanRNN(U, V, W, sigma="relu")


def hand_gradient(N: int) -> tuple[float, dict]:
    """dL/dU by the lab's formula, each partial written out by hand, and each path's term."""
    h, z = [0.0], [None]
    for t in range(1, N + 1):
        z.append(U_ * X_[t - 1] + V_ * h[t - 1])
        h.append(max(z[t], 0.0))
    relu_slope = [None] + [1.0 if z[t] > 0 else 0.0 for t in range(1, N + 1)]
    dL_do = [None] + [2 * (W_ * h[t] - X_[t]) for t in range(1, N + 1)]  # 2(o_t − x_{t+1})
    do_dh = W_
    dh_dprev = [None] + [relu_slope[t] * V_ for t in range(1, N + 1)]
    dh_dU = [None] + [relu_slope[t] * X_[t - 1] for t in range(1, N + 1)]
    terms = {}
    for t in range(1, N + 1):
        for k in range(1, t + 1):
            product = 1.0
            for j in range(k + 1, t + 1):
                product *= dh_dprev[j]
            terms[(k, t)] = dL_do[t] * do_dh * product * dh_dU[k]
    return sum(terms.values()), terms


def test_hand_gradient_for_one_step_is_the_worked_number():
    # z1 = 0.1·0.5 = 0.05 = h1, o1 = 0.015, ∂L/∂o1 = 2(0.015 − 0.6) = −1.17,
    # dL/dU = −1.17 · 0.3 · 0.5 = −0.1755.
    assert hand_gradient(1)[0] == pytest.approx(-0.1755, rel=1e-12)


@pytest.mark.parametrize("N", [1, 2, 3])
@pytest.mark.parametrize("method", METHODS)
def test_the_labs_scalar_example_matches_the_hand_formula(N, method):
    rnn = scalar_rnn()
    xs, ys = next_token_targets(X_[: N + 1])
    gradients = bptt(rnn, xs, ys, method=method)
    assert gradients.U.shape == (1, 1) and gradients.h0.shape == (1,)
    assert float(gradients.U) == pytest.approx(hand_gradient(N)[0], rel=1e-12)


@pytest.mark.parametrize("N", [1, 2, 3])
def test_the_labs_scalar_paths_are_the_hand_terms(N):
    rnn = scalar_rnn()
    xs, ys = next_token_targets(X_[: N + 1])
    contributions = path_contributions(rnn, xs, ys)
    _, terms = hand_gradient(N)
    assert list(contributions) == list(terms) == paths(N)
    for path, term in terms.items():
        assert float(contributions[path]) == pytest.approx(term, rel=1e-12, abs=1e-15)


def test_scalar_inputs_in_every_form_give_the_same_gradient():
    rnn = scalar_rnn()
    numbers = bptt(rnn, [0.5, 0.6, 0.7], [0.6, 0.7, 0.8])
    tensors = bptt(rnn, [torch.tensor([x], dtype=DTYPE) for x in (0.5, 0.6, 0.7)], [0.6, 0.7, 0.8])
    column = bptt(
        rnn,
        torch.tensor([[0.5], [0.6], [0.7]], dtype=DTYPE),
        torch.tensor([[0.6], [0.7], [0.8]], dtype=DTYPE),
    )
    for other in (tensors, column):
        for name in ("U", "V", "W", "h0"):
            assert torch.equal(getattr(other, name), getattr(numbers, name))
        assert other.loss == numbers.loss


@pytest.mark.parametrize("wrt", ["U", "V", "W"])
@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy"])
def test_path_contributions_sum_to_the_gradient(wrt, loss):
    U, V, W, h0, xs, ys = random_case(6, 3, 4, 3, loss, seed=7)
    rnn = ElmanRNN(U, V, W, sigma="sigmoid")
    contributions = path_contributions(rnn, xs, ys, h0, wrt=wrt, loss=loss)
    expected = dict(zip("UVW", reference(U, V, W, h0, xs, ys, "sigmoid", loss)[1:4], strict=True))
    if wrt == "W":
        assert list(contributions) == [(t, t) for t in range(1, 7)]
    else:
        assert list(contributions) == paths(6)
    total = torch.stack(list(contributions.values())).sum(dim=0)
    torch.testing.assert_close(total, expected[wrt], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("was_on", [False, True])
def test_the_paths_leave_the_subnormal_setting_as_it_was(was_on):
    def flushing():
        return float(torch.tensor(1e-40) * 1) == 0

    U, V, W, h0, xs, ys = random_case(5, 2, 3, 2, "squared_error", seed=10)
    torch.set_flush_denormal(was_on)
    try:
        assert flushing() == was_on
        bptt(ElmanRNN(U, V, W), xs, ys, h0, method="paths")
        assert flushing() == was_on
        path_contributions(ElmanRNN(U, V, W), xs, ys, h0)
        assert flushing() == was_on
    finally:
        torch.set_flush_denormal(False)


def test_a_contracting_recurrence_shrinks_the_long_paths():
    # With |σ'| ≤ 1/4 (sigmoid) and small V, each extra state multiplies a path by < 1/4.
    U, V, W, h0, xs, ys = random_case(8, 2, 3, 2, "squared_error", seed=8)
    contributions = path_contributions(ElmanRNN(U, V * 0.5, W, sigma="sigmoid"), xs, ys, h0)
    norms = [float(contributions[(1, t)].norm()) for t in range(1, 9)]
    assert norms[-1] < 1e-3 * norms[0]


def test_paths_and_their_count():
    assert paths(1) == [(1, 1)]
    assert paths(2) == [(1, 1), (1, 2), (2, 2)]
    assert paths(3) == [(1, 1), (1, 2), (2, 2), (1, 3), (2, 3), (3, 3)]
    for N in range(1, 30):
        assert count_paths(N) == len(paths(N)) == len(set(paths(N))) == N * (N + 1) // 2
        assert all(1 <= k <= t <= N for k, t in paths(N))


def test_next_token_targets_shifts_by_one():
    inputs, targets = next_token_targets([0.5, 0.6, 0.7, 0.8])
    assert (inputs, targets) == ([0.5, 0.6, 0.7], [0.6, 0.7, 0.8])
    rows = torch.eye(4)
    inputs, targets = next_token_targets(rows)
    torch.testing.assert_close(inputs, rows[:3])
    torch.testing.assert_close(targets, rows[1:])
    with pytest.raises(InvalidValueError, match="at least 2 inputs"):
        next_token_targets([0.5])


def test_gradients_are_frozen_and_plain_tensors():
    rnn = scalar_rnn(requires_grad=True)
    gradients = bptt(rnn, [0.5, 0.6], [0.6, 0.7])
    with pytest.raises(dataclasses.FrozenInstanceError):
        gradients.U = torch.zeros(1, 1)
    assert not gradients.U.requires_grad and not gradients.h0.requires_grad
    gradients.U.mul_(2)  # an ordinary tensor, not one locked by inference mode


@pytest.mark.parametrize("N", [0, -2])
def test_no_steps_is_an_error_that_says_so(N):
    with pytest.raises(InvalidValueError, match=f"N = {N}: a sequence needs at least one step"):
        paths(N)
    with pytest.raises(InvalidValueError, match=f"N = {N}"):
        count_paths(N)


def test_bad_input_is_named():
    rnn = ElmanRNN(torch.eye(2), torch.eye(2), torch.ones(3, 2))
    xs = torch.zeros(4, 2)
    with pytest.raises(InvalidValueError, match="'hinge'; known: squared_error, cross_entropy"):
        bptt(rnn, xs, torch.zeros(4, 3), loss="hinge")
    with pytest.raises(InvalidValueError, match="'forward'; known: reverse, paths, autograd"):
        bptt(rnn, xs, torch.zeros(4, 3), method="forward")
    with pytest.raises(
        InvalidValueError, match=r"ys has shape \(3, 3\), expected \(4, 3\).*xs.*\(4, 2\)"
    ):
        bptt(rnn, xs, torch.zeros(3, 3))
    with pytest.raises(InvalidValueError, match=r"ys has shape \(4, 2\), expected \(4, 3\)"):
        bptt(rnn, xs, torch.zeros(4, 2))
    with pytest.raises(InvalidValueError, match="xs is empty"):
        bptt(rnn, torch.zeros(0, 2), torch.zeros(0, 3))
    with pytest.raises(InvalidValueError, match="one sequence"):
        bptt(rnn, torch.zeros(2, 4, 2), torch.zeros(4, 3))
    with pytest.raises(InvalidValueError, match="unknown wrt 'x'; known: U, V, W"):
        path_contributions(rnn, xs, torch.zeros(4, 3), wrt="x")
    with pytest.raises(InvalidTypeError, match="ElmanRNN"):
        bptt("rnn", xs, torch.zeros(4, 3))
    with pytest.raises(InvalidTypeError, match="whole number"):
        paths(2.5)


@pytest.mark.parametrize("method", ["reverse", "paths", "autograd"])
def test_relu_at_its_kink_agrees_with_autograd_through_clamp(method):
    # z_2 = U x_2 + V h_1 = 0.5 · 1 − 1 · 0.5 = 0 exactly: ReLU's kink. The lab's ReLU is
    # torch.clamp(z, min=0), whose backward passes the gradient at 0; the reference below
    # is that computation written out and differentiated by autograd.
    U, V, W, h0 = (
        torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, -1.0, 1.0, 0.0)
    )
    h1 = torch.clamp(U * 1 + V * h0, min=0)
    h2 = torch.clamp(U * 1 + V * h1, min=0)
    loss = (0 - W * h1) ** 2 + (1 - W * h2) ** 2
    expected = torch.autograd.grad(loss, (U, V, W, h0))
    rnn = ElmanRNN(torch.tensor([[0.5]], dtype=torch.float64), -1.0, 1.0, sigma="relu")
    got = bptt(
        rnn, torch.tensor([[1.0], [1.0]], dtype=torch.float64), [[0.0], [1.0]], method=method
    )
    for name, value in zip(("U", "V", "W", "h0"), expected, strict=True):
        assert getattr(got, name).reshape(()).item() == pytest.approx(value.item(), abs=1e-12), name


# --- bad values and sizes (issue 14) ---


def test_bad_targets_are_named():
    rnn = ElmanRNN(torch.eye(2), torch.eye(2), torch.eye(2))
    xs = torch.zeros(2, 2)
    with pytest.raises(
        InvalidValueError, match=r"step 2 of ys has 3 entries, expected 2 like step 1"
    ):
        bptt(rnn, xs, [torch.zeros(2), torch.zeros(3)])
    with pytest.raises(InvalidTypeError, match=r"ys is \[\[0.0, 1.0\], \[1.0\]\]"):
        bptt(rnn, xs, [[0.0, 1.0], [1.0]])
    with pytest.raises(InvalidValueError, match="ys is on the meta device"):
        bptt(rnn, xs, torch.zeros(2, 2, device="meta"))
    with pytest.raises(InvalidTypeError, match="ys has dtype torch.bool"):
        bptt(rnn, xs, torch.zeros(2, 2, dtype=torch.bool))
