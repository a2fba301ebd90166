"""Each named activation's derivative against torch autograd."""

import pytest
import torch

from rnnlab.model.activations import HIDDEN_NAMES, get_activation


@pytest.mark.parametrize("name", HIDDEN_NAMES)
def test_derivative_matches_autograd(name, generator):
    sigma = get_activation(name)
    # Keep away from ReLU's kink at 0, where any subgradient is defensible.
    z = torch.randn(50, generator=generator, dtype=torch.float64)
    z = torch.where(z.abs() < 1e-3, torch.full_like(z, 0.5), z).requires_grad_()
    (expected,) = torch.autograd.grad(sigma(z).sum(), z)
    with torch.no_grad():
        got = sigma.derivative(z, sigma(z))
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_relu_is_the_labs_clamp():
    z = torch.tensor([-1.0, 0.0, 2.5])
    torch.testing.assert_close(get_activation("relu")(z), torch.tensor([0.0, 0.0, 2.5]))


def test_softmax_is_for_outputs_only():
    softmax = get_activation("softmax", output=True)
    torch.testing.assert_close(softmax(torch.tensor([0.0, 0.0])), torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="outputs only"):
        get_activation("softmax")


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="known: relu, identity, tanh, sigmoid"):
        get_activation("swish")


def test_callable_keeps_its_name_and_has_no_derivative():
    def cube(z):
        return z**3

    sigma = get_activation(cube)
    assert sigma.name == "cube" and sigma.derivative is None
    torch.testing.assert_close(sigma(torch.tensor([2.0])), torch.tensor([8.0]))


def test_wrong_kind_is_a_type_error():
    with pytest.raises(TypeError, match="name or a callable"):
        get_activation(3)
