"""Activation functions σ, each beside its derivative (micrograd's habit).

The derivative is written as a function of the pre-activation z and the activation's
own value a = σ(z), because for tanh and sigmoid the value is the cheap way to get it.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from rnnlab.errors import InvalidTypeError, InvalidValueError

Function = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Activation:
    """σ with its name; ``derivative(z, a)`` is σ'(z) elementwise, or None if unknown."""

    name: str
    function: Function
    derivative: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        a = self.function(z)
        if self.derivative is None:  # a user's callable: h_t must keep z_t's shape
            shape = tuple(a.shape) if isinstance(a, torch.Tensor) else f"a {type(a).__name__}"
            if shape != tuple(z.shape):
                raise InvalidValueError(
                    f"σ = {self.name!r} returned {shape} for z of shape {tuple(z.shape)}, "
                    "expected a tensor of the same shape (σ acts on each entry)"
                )
        return a


def relu(z: torch.Tensor) -> torch.Tensor:
    """ReLU(z) = max(0, z), as the lab writes it with torch.clamp."""
    return torch.clamp(z, min=0)


def _relu_derivative(z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    # ReLU'(0) = 1, as the backward of torch.clamp(z, min=0) (the lab's ReLU) gives, so
    # the hand-derived gradients agree with autograd's even where some z is exactly 0.
    return (z >= 0).to(z.dtype)


def identity(z: torch.Tensor) -> torch.Tensor:
    """σ(z) = z, the activation of the bigram RNN."""
    return z


def _identity_derivative(z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(z)


def _tanh_derivative(z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return 1 - a * a


def _sigmoid_derivative(z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    return a * (1 - a)


def softmax(o: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension: a distribution over the output units."""
    return torch.softmax(o, dim=-1)


_HIDDEN = {
    "relu": Activation("relu", relu, _relu_derivative),
    "identity": Activation("identity", identity, _identity_derivative),
    "tanh": Activation("tanh", torch.tanh, _tanh_derivative),
    "sigmoid": Activation("sigmoid", torch.sigmoid, _sigmoid_derivative),
}
_OUTPUT_ONLY = {"softmax": Activation("softmax", softmax)}

HIDDEN_NAMES = tuple(_HIDDEN)
OUTPUT_NAMES = HIDDEN_NAMES + tuple(_OUTPUT_ONLY)


def named(sigma: Activation) -> bool:
    """Whether σ is one of rnnlab's own hidden-state activations (not a user's callable)."""
    return _HIDDEN.get(sigma.name) is sigma


def get_activation(sigma: "str | Function | Activation", *, output: bool = False) -> Activation:
    """The Activation for a name, a callable or an Activation.

    ``output=True`` also admits ``"softmax"``, which only makes sense on o_t (equation 3).
    A callable gets no derivative here; rnnlab.bptt asks torch for it.
    """
    if isinstance(sigma, Activation):
        return sigma
    if isinstance(sigma, str):
        known = {**_HIDDEN, **_OUTPUT_ONLY} if output else _HIDDEN
        if sigma in known:
            return known[sigma]
        if sigma in _OUTPUT_ONLY:
            raise InvalidValueError(
                f"activation {sigma!r} is for outputs only; "
                f"for the hidden state use one of {', '.join(HIDDEN_NAMES)} or a callable"
            )
        raise InvalidValueError(
            f"unknown activation {sigma!r}; known: {', '.join(known)} (or pass a callable)"
        )
    if callable(sigma):
        name = getattr(sigma, "__name__", type(sigma).__name__)
        return Activation(name, sigma)
    raise InvalidTypeError(f"sigma must be a name or a callable, got {type(sigma).__name__}")


def derivative(sigma: Activation, z: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """σ'(z) elementwise, given a = σ(z): σ's own derivative, or torch.func's for a callable."""
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
