"""ElmanRNN against hand-derived values and torch.nn.RNN."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab import ElmanRNN
from rnnlab.errors import InvalidTypeError, InvalidValueError

# The lab's section 1 example.
U = torch.tensor([[-0.3, 0.6], [0.2, 0.1]], dtype=torch.float64)
V = torch.tensor([[0.4, 0.4], [0.9, -0.7]], dtype=torch.float64)
W = torch.tensor([[0.2, 0.1], [-0.2, 0.5]], dtype=torch.float64)
x1 = torch.tensor([0.0, 1.0], dtype=torch.float64)
x2 = torch.tensor([0.3, 0.4], dtype=torch.float64)

sizes = st.integers(min_value=1, max_value=6)


def random_rnn(D, H, O, sigma, generator, dtype=torch.float64):
    U = torch.randn(H, D, generator=generator, dtype=dtype)
    V = torch.randn(H, H, generator=generator, dtype=dtype) / H**0.5
    W = torch.randn(O, H, generator=generator, dtype=dtype)
    return ElmanRNN(U, V, W, sigma=sigma)


def test_lab_forward_step_matches_hand_computation():
    # By hand, with ReLU and h0 = 0:
    #   U x1 = [0.6, 0.1], V h0 = 0          -> h1 = [0.6, 0.1]
    #   o1 = W h1 = [0.12 + 0.01, -0.12 + 0.05] = [0.13, -0.07]
    #   U x2 = [-0.09 + 0.24, 0.06 + 0.04] = [0.15, 0.10]
    #   V h1 = [0.24 + 0.04, 0.54 - 0.07] = [0.28, 0.47] -> h2 = [0.43, 0.57]
    #   o2 = W h2 = [0.086 + 0.057, -0.086 + 0.285] = [0.143, 0.199]
    trace = ElmanRNN(U, V, W, sigma="relu").forward(torch.stack([x1, x2]))
    expected_h = torch.tensor([[0, 0], [0.6, 0.1], [0.43, 0.57]], dtype=torch.float64)
    expected_o = torch.tensor([[0.13, -0.07], [0.143, 0.199]], dtype=torch.float64)
    torch.testing.assert_close(trace.h, expected_h)
    torch.testing.assert_close(trace.z, expected_h[1:])  # both pre-activations are positive
    torch.testing.assert_close(trace.o, expected_o)
    # output_sigma=None means the same σ: ReLU clips o1's negative entry.
    torch.testing.assert_close(trace.y_hat, torch.clamp(expected_o, min=0))


def test_list_of_vectors_and_explicit_h0():
    rnn = ElmanRNN(U, V, W)
    h0 = torch.tensor([0.5, -0.5], dtype=torch.float64)
    trace = rnn.forward([x1, x2], h0=h0)
    # By hand: z1 = U x1 + V h0 = [0.6 + 0.2 - 0.2, 0.1 + 0.45 + 0.35] = [0.6, 0.9].
    torch.testing.assert_close(trace.z[0], torch.tensor([0.6, 0.9], dtype=torch.float64))
    torch.testing.assert_close(trace.h[0], h0)


def test_scalar_rnn_from_plain_numbers():
    # The lab's scalar example: U = 0.1, V = 0.2, W = 0.3, x = 0.5, 0.6, 0.7.
    #   h1 = 0.05, h2 = 0.06 + 0.2 * 0.05 = 0.07, h3 = 0.07 + 0.2 * 0.07 = 0.084
    rnn = ElmanRNN(0.1, 0.2, 0.3)
    assert rnn.U.shape == rnn.V.shape == rnn.W.shape == (1, 1)
    trace = rnn.forward([0.5, 0.6, 0.7])
    expected_h = torch.tensor([[0.0], [0.05], [0.07], [0.084]])
    torch.testing.assert_close(trace.h, expected_h)
    torch.testing.assert_close(trace.o, 0.3 * expected_h[1:])


@pytest.mark.parametrize("form", ["0-d", "1-element", "1x1"])
def test_scalar_rnn_from_small_tensors(form):
    make = {
        "0-d": lambda v: torch.tensor(v),
        "1-element": lambda v: torch.tensor([v]),
        "1x1": lambda v: torch.tensor([[v]]),
    }[form]
    rnn = ElmanRNN(make(0.1), make(0.2), make(0.3))
    trace = rnn.forward([torch.tensor([0.5]), torch.tensor([0.6])], h0=torch.tensor([0.0]))
    torch.testing.assert_close(trace.o[:, 0], torch.tensor([0.015, 0.021]))


@settings(max_examples=40, deadline=None)
@given(
    D=sizes,
    H=sizes,
    N=st.integers(1, 12),
    nonlinearity=st.sampled_from(["tanh", "relu"]),
    seed=st.integers(0, 2**31),
)
def test_agrees_with_torch_nn_rnn(D, H, N, nonlinearity, seed):
    generator = torch.Generator().manual_seed(seed)
    rnn = random_rnn(D, H, 3, nonlinearity, generator)
    reference = torch.nn.RNN(D, H, nonlinearity=nonlinearity, bias=False, dtype=torch.float64)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(rnn.U)
        reference.weight_hh_l0.copy_(rnn.V)
    xs = torch.randn(N, D, generator=generator, dtype=torch.float64)
    h0 = torch.randn(H, generator=generator, dtype=torch.float64)
    expected, _ = reference(xs, h0[None])
    trace = rnn.forward(xs, h0)
    torch.testing.assert_close(trace.h[1:], expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(trace.o, expected @ rnn.W.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sigma", ["relu", "tanh", "sigmoid", "identity"])
def test_batch_equals_one_by_one(sigma, generator):
    rnn = random_rnn(3, 4, 2, sigma, generator)
    xs = torch.randn(5, 7, 3, generator=generator, dtype=torch.float64)
    h0 = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    batched = rnn.forward(xs, h0)
    assert batched.h.shape == (5, 8, 4) and batched.o.shape == (5, 7, 2)
    for b in range(5):
        single = rnn.forward(xs[b], h0[b])
        for field in ("h", "z", "o", "y_hat"):
            torch.testing.assert_close(getattr(batched, field)[b], getattr(single, field))


def test_batch_shares_a_single_h0(generator):
    rnn = random_rnn(2, 3, 2, "tanh", generator)
    xs = torch.randn(4, 5, 2, generator=generator, dtype=torch.float64)
    h0 = torch.randn(3, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(rnn.forward(xs, h0).h[2], rnn.forward(xs[2], h0).h)


@settings(max_examples=30, deadline=None)
@given(D=st.integers(1, 9), H=sizes, N=st.integers(1, 10), seed=st.integers(0, 2**31))
def test_forward_ids_equals_one_hot_forward(D, H, N, seed):
    generator = torch.Generator().manual_seed(seed)
    rnn = random_rnn(D, H, 2, "tanh", generator)
    ids = torch.randint(0, D, (N,), generator=generator)
    one_hot = torch.nn.functional.one_hot(ids, D).to(torch.float64)
    by_ids, by_rows = rnn.forward_ids(ids), rnn.forward(one_hot)
    torch.testing.assert_close(by_ids.h, by_rows.h, rtol=0, atol=1e-15)
    torch.testing.assert_close(by_ids.o, by_rows.o, rtol=0, atol=1e-15)


def test_forward_ids_batched(generator):
    rnn = random_rnn(5, 3, 2, "relu", generator)
    ids = torch.randint(0, 5, (4, 6), generator=generator)
    batched = rnn.forward_ids(ids)
    for b in range(4):
        torch.testing.assert_close(batched.o[b], rnn.forward_ids(ids[b]).o)


def test_gradients_flow_to_the_parameters_passed_in():
    U1 = U.clone().requires_grad_()
    rnn = ElmanRNN(U1, V, W, sigma="tanh")
    rnn.forward(torch.stack([x1, x2])).o.sum().backward()
    # The same computation written out directly, differentiated by autograd.
    U2 = U.clone().requires_grad_()
    h1 = torch.tanh(U2 @ x1)
    h2 = torch.tanh(U2 @ x2 + V @ h1)
    (W @ h1 + W @ h2).sum().backward()
    torch.testing.assert_close(U1.grad, U2.grad)


def test_inputs_take_the_parameters_dtype():
    rnn = ElmanRNN(U, V, W)  # float64
    trace = rnn.forward(torch.tensor([[0.0, 1.0]], dtype=torch.float32))
    assert trace.o.dtype == torch.float64
    assert ElmanRNN(U.float(), V.float(), W.float()).forward([[0, 1]]).o.dtype == torch.float32


def test_softmax_output_and_callable_sigma():
    rnn = ElmanRNN(U, V, W, sigma=lambda z: z * 2, output_sigma="softmax")
    trace = rnn.forward([x1, x2])
    torch.testing.assert_close(trace.h[1], 2 * (U @ x1))
    torch.testing.assert_close(trace.y_hat, torch.softmax(trace.o, dim=-1))
    torch.testing.assert_close(trace.y_hat.sum(dim=-1), torch.ones(2, dtype=torch.float64))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ElmanRNN(U, torch.zeros(3, 3), W), r"V has shape \(3, 3\), expected \(2, 2\)"),
        (lambda: ElmanRNN(U, V, torch.zeros(2, 3)), r"W has shape \(2, 3\), expected \(O, 2\)"),
        (lambda: ElmanRNN(U, V, W, sigma="gelu"), r"unknown activation 'gelu'; known: relu"),
        (lambda: ElmanRNN(U, V, W, sigma="softmax"), "for outputs only"),
        (lambda: ElmanRNN(torch.zeros(2, 2, 2), V, W), r"U has shape \(2, 2, 2\)"),
        (lambda: ElmanRNN(U * float("nan"), V, W), "U has a NaN"),
        (lambda: ElmanRNN(U, V, W).forward(torch.zeros(3, 5)), r"xs has shape \(3, 5\)"),
        (lambda: ElmanRNN(U, V, W).forward([]), "xs is empty"),
        (lambda: ElmanRNN(U, V, W).forward([x1], h0=torch.zeros(3)), r"h0 has shape \(3,\)"),
        (lambda: ElmanRNN(U, V, W).forward_ids([0, 2, 1]), "token id 2 at step 2 is outside"),
    ],
)
def test_bad_input_names_the_bad_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_float_token_ids_are_a_type_error():
    with pytest.raises(TypeError, match="token ids must be integers"):
        ElmanRNN(U, V, W).forward_ids(torch.tensor([0.0, 1.0]))


def test_python_numbers_keep_a_float64_rnns_digits():
    rnn = ElmanRNN(U, V, W, sigma="identity")
    trace = rnn.forward([[0.1, 0.2]], h0=[0.3, 0.7])
    # z_1 = U x_1 + V h_0, written out entry by entry in float64.
    expected = torch.tensor(
        [
            -0.3 * 0.1 + 0.6 * 0.2 + 0.4 * 0.3 + 0.4 * 0.7,
            0.2 * 0.1 + 0.1 * 0.2 + 0.9 * 0.3 - 0.7 * 0.7,
        ],
        dtype=torch.float64,
    )
    torch.testing.assert_close(trace.z[0], expected, rtol=0, atol=1e-15)


# --- bad values are named, never a raw torch error (issue 14) ---

META = torch.zeros(1, 2, device="meta")


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: ElmanRNN(float("nan"), 0.2, 0.3), InvalidValueError, "U is nan"),
        (lambda: ElmanRNN(0.1, float("inf"), 0.3), InvalidValueError, "V is inf"),
        (
            lambda: ElmanRNN(U, V, W).forward([[float("nan"), 0.0]]),
            InvalidValueError,
            "xs has a NaN",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward([x1], h0=torch.tensor([0.0, float("nan")])),
            InvalidValueError,
            "h0 has a NaN",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward(torch.tensor([[True, False]])),
            InvalidTypeError,
            "xs has dtype torch.bool, expected real numbers",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward([torch.tensor([False, True])]),
            InvalidTypeError,
            r"step 1 of xs has dtype torch.bool",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward(torch.tensor([[1j, 0]])),
            InvalidTypeError,
            "xs has dtype torch.complex64",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward(["a", "b"]),
            InvalidTypeError,
            r"xs is \['a', 'b'\], expected numbers",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward([[1.0, 2.0], [3.0]]),
            InvalidTypeError,
            r"xs is \[\[1.0, 2.0\], \[3.0\]\], expected numbers or a tensor \(of one shape\)",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward([torch.zeros(2), torch.zeros(3)]),
            InvalidValueError,
            r"step 2 of xs has 3 entries, expected 2 like step 1",
        ),
        (
            lambda: ElmanRNN(torch.zeros(2, 2, device="meta"), V, W),
            InvalidValueError,
            "U is on the meta device",
        ),
        (lambda: ElmanRNN(U, V, W).forward(META), InvalidValueError, "xs is on the meta device"),
        (
            lambda: ElmanRNN(U, V, W).forward([x1], h0=META[0]),
            InvalidValueError,
            "h0 is on the meta device",
        ),
        (
            lambda: ElmanRNN(U, V, W).forward_ids(torch.zeros(2, dtype=torch.long, device="meta")),
            InvalidValueError,
            "ids is on the meta device",
        ),
    ],
)
def test_bad_values_raise_rnnlabs_errors_naming_them(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("sigma", "returned"),
    [(lambda z: z.sum(), r"\(\)"), (lambda z: z[:1], r"\(1,\)"), (lambda z: 2.0, "a float")],
)
def test_a_callable_sigma_of_the_wrong_shape_is_named(sigma, returned):
    rnn = ElmanRNN(U, V, W, sigma=sigma)
    with pytest.raises(
        InvalidValueError, match=rf"σ = '<lambda>' returned {returned} for z of shape \(2,\)"
    ):
        rnn.forward(torch.ones(3, 2))
