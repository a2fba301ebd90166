"""Losses on o_t: values against torch.nn.functional, gradients against autograd, targets."""

import pytest
import torch
from torch.nn import functional

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model.losses import LOSS_NAMES, cross_entropy, get_loss, squared_error, targets

DTYPE = torch.float64


def test_squared_error_is_the_labs_sum(generator):
    o, y = torch.randn(5, 3, generator=generator, dtype=DTYPE), torch.randn(5, 3, dtype=DTYPE)
    assert float(squared_error(o, y)) == pytest.approx(
        float(functional.mse_loss(o, y, reduction="sum"))
    )
    # The lab's scalar case: L = (x_2 − o_1)².
    assert float(squared_error(torch.tensor([[0.015]]), torch.tensor([[0.6]]))) == pytest.approx(
        0.585**2
    )


def test_cross_entropy_matches_torch_for_ids_and_probability_rows(generator):
    o = torch.randn(6, 4, generator=generator, dtype=DTYPE)
    ids = torch.randint(0, 4, (6,), generator=generator)
    one_hot = functional.one_hot(ids, 4).to(DTYPE)
    expected = functional.cross_entropy(o, ids, reduction="sum")
    assert float(cross_entropy(o, one_hot)) == pytest.approx(float(expected), rel=1e-12)
    soft = torch.softmax(torch.randn(6, 4, generator=generator, dtype=DTYPE), dim=-1)
    assert float(cross_entropy(o, soft)) == pytest.approx(
        float(functional.cross_entropy(o, soft, reduction="sum")), rel=1e-12
    )


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_gradient_by_hand_matches_autograd(name, generator):
    loss = get_loss(name)
    o = torch.randn(7, 3, generator=generator, dtype=DTYPE, requires_grad=True)
    y = torch.softmax(torch.randn(7, 3, generator=generator, dtype=DTYPE), dim=-1)
    (expected,) = torch.autograd.grad(loss.value(o, y), o)
    torch.testing.assert_close(loss.gradient(o.detach(), y), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_value_and_gradient_together_are_value_and_gradient(name, dtype, generator):
    loss = get_loss(name)
    o = 3 * torch.randn(50, 4, generator=generator, dtype=dtype)
    y = torch.softmax(torch.randn(50, 4, generator=generator, dtype=dtype), dim=-1)
    value, gradient = loss.value_and_gradient(o, y)
    assert value.shape == () and value.dtype == dtype
    torch.testing.assert_close(value, loss.value(o, y))
    torch.testing.assert_close(gradient, loss.gradient(o, y))


def test_targets_accepts_the_forms_of_xs():
    xs = torch.zeros(3, 2, dtype=DTYPE)
    squared = get_loss("squared_error")
    rows = torch.tensor([[0.5], [0.6], [0.7]], dtype=DTYPE)
    torch.testing.assert_close(targets(squared, [0.5, 0.6, 0.7], xs, 1), rows)
    listed = [torch.tensor([0.5]), torch.tensor([0.6]), torch.tensor([0.7])]
    torch.testing.assert_close(targets(squared, listed, xs, 1), rows)
    entropy = get_loss("cross_entropy")
    torch.testing.assert_close(
        targets(entropy, [2, 0, 1], xs, 3),
        torch.tensor([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=DTYPE),
    )


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(InvalidValueError, match="'hinge'.*squared_error, cross_entropy"):
        get_loss("hinge")
    with pytest.raises(InvalidTypeError):
        get_loss(2)


def test_wrong_target_shape_names_both_shapes():
    xs = torch.zeros(4, 2)
    with pytest.raises(
        InvalidValueError, match=r"ys has shape \(3, 2\), expected \(4, 2\).*\(4, 2\)"
    ):
        targets(get_loss("squared_error"), torch.zeros(3, 2), xs, 2)
    with pytest.raises(InvalidValueError, match=r"ys has shape \(4, 5\), expected \(4, 2\)"):
        targets(get_loss("squared_error"), torch.zeros(4, 5), xs, 2)
    with pytest.raises(InvalidValueError, match=r"ys has shape \(3,\), expected token ids \(4,\)"):
        targets(get_loss("cross_entropy"), [0, 1, 1], xs, 2)


def test_target_id_out_of_range_is_named():
    with pytest.raises(InvalidValueError, match="target id 5 at step 2 is outside 0 … 2"):
        targets(get_loss("cross_entropy"), [0, 5, 1], torch.zeros(3, 2), 3)


def test_non_finite_or_non_numeric_targets_are_refused():
    with pytest.raises(InvalidValueError, match="NaN"):
        targets(get_loss("squared_error"), [0.1, float("nan")], torch.zeros(2, 1), 1)
    with pytest.raises(InvalidTypeError):
        targets(get_loss("squared_error"), [True, False], torch.zeros(2, 1), 1)


def test_rows_already_ready_pass_as_they_are_and_the_rest_are_still_checked():
    """The fast path (inputs.ready_rows) returns a ready tensor itself; a tensor that is
    one step off it (a NaN, another dtype or width, a subclass) takes the checked path."""
    from rnnlab.model.inputs import as_inputs

    U = torch.zeros(3, 2)
    xs = torch.arange(8.0).reshape(4, 2)
    assert as_inputs(xs, U) is xs
    ys = torch.ones(4, 3)
    assert targets(get_loss("squared_error"), ys, xs, 3) is ys
    with pytest.raises(InvalidValueError, match="NaN"):
        as_inputs(torch.tensor([[0.0, float("nan")]]), U)
    with pytest.raises(InvalidValueError, match="NaN"):
        targets(get_loss("squared_error"), torch.tensor([[float("inf")]] * 4), xs, 1)
    with pytest.raises(InvalidValueError, match=r"ys has shape \(4, 2\), expected \(4, 3\)"):
        targets(get_loss("squared_error"), torch.ones(4, 2), xs, 3)
    with pytest.raises(InvalidValueError, match=r"ys has shape \(3, 3\), expected \(4, 3\)"):
        targets(get_loss("squared_error"), torch.ones(3, 3), xs, 3)
    wider = as_inputs(xs.double(), U)
    assert wider.dtype == torch.float32 and torch.equal(wider, xs)
    parameter = torch.nn.Parameter(xs.clone())
    torch.testing.assert_close(as_inputs(parameter, U), xs)
