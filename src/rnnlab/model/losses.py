"""Losses on the output scores o_t, each beside its gradient ∂L/∂o_t.

The lab puts the loss on o_t, not on ŷ_t (section 3):

    squared_error   L = Σ_t ‖y_t − o_t‖²                  ∂L/∂o_t = 2 (o_t − y_t)
    cross_entropy   L = −Σ_t Σ_i y_t,i log softmax(o_t)_i   ∂L/∂o_t = softmax(o_t) Σ_i y_t,i − y_t

Both are sums over the steps t, not means, as in the lab; cross_entropy uses the
natural log. Cross-entropy targets are token ids (N,) or rows (N, O), one-hot or any
distribution; ids become one-hot rows, so both forms give the same numbers.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from rnnlab import validation
from rnnlab.errors import InvalidTypeError, InvalidValueError, shape_text
from rnnlab.model.inputs import ready_rows, stack_steps


@dataclass(frozen=True)
class Loss:
    """A loss L(o, y) over a whole sequence, with its gradient by hand.

    ``value(o, y)``: o, y (N, O) -> a 0-d tensor, built from torch operations so
    autograd can differentiate it. ``gradient(o, y)``: ∂L/∂o_t for every t, (N, O).
    ``value_and_gradient(o, y)``: both, sharing the work they have in common.
    """

    name: str
    value: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    gradient: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    value_and_gradient: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def squared_error(o: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L = Σ_t ‖y_t − o_t‖², the lab's loss; o, y: (N, O)."""
    return ((y - o) ** 2).sum()


def _squared_error_gradient(o: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 2 * (o - y)


def _squared_error_both(o: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    gradient = o - y
    gradient *= 2  # o − y is a new tensor: doubled in place, with no second one made
    flat = gradient.reshape(-1)
    return torch.dot(flat, flat) / 4, gradient  # ‖2 (o − y)‖² / 4: the 2 and the 4 are exact


def cross_entropy(o: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L = −Σ_t Σ_i y_t,i log softmax(o_t)_i; o: (N, O) scores, y: (N, O) target rows."""
    return -(y * torch.log_softmax(o, dim=-1)).sum()


def _cross_entropy_gradient(o: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # Σ_i y_t,i is 1 for a one-hot or probability row; kept so any row weights work.
    return torch.softmax(o, dim=-1) * y.sum(dim=-1, keepdim=True) - y


def _cross_entropy_both(o: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    log_softmax = torch.log_softmax(o, dim=-1)  # softmax(o) is its exp
    value = -(y * log_softmax).sum()
    return value, torch.exp(log_softmax) * y.sum(dim=-1, keepdim=True) - y


_LOSSES = {
    "squared_error": Loss(
        "squared_error", squared_error, _squared_error_gradient, _squared_error_both
    ),
    "cross_entropy": Loss(
        "cross_entropy", cross_entropy, _cross_entropy_gradient, _cross_entropy_both
    ),
}
LOSS_NAMES = tuple(_LOSSES)


def get_loss(name: str) -> Loss:
    """The Loss called ``name``; an unknown name is an error listing the known ones."""
    if not isinstance(name, str):
        raise InvalidTypeError(f"loss must be a name, got {type(name).__name__}")
    if name not in _LOSSES:
        raise InvalidValueError(f"unknown loss {name!r}; known: {', '.join(LOSS_NAMES)}")
    return _LOSSES[name]


def targets(loss: Loss, ys: "torch.Tensor | Sequence", xs: torch.Tensor, O: int) -> torch.Tensor:
    """ys as target rows (N, O) in the dtype of xs: (N, D), checked against xs and O outputs.

    ys: (N, O) rows; a list of (O,) tensors; for O = 1 a 1-D sequence of N numbers; and
    for cross_entropy also token ids (N,) of an integer dtype, each in 0 … O−1.
    """
    N, dtype = xs.shape[0], xs.dtype
    if ready_rows(ys, xs, O, N):  # rows already in xs's dtype, both on the CPU
        return ys
    if isinstance(ys, Sequence) and len(ys) > 0 and all(isinstance(y, torch.Tensor) for y in ys):
        ys = stack_steps(ys, "ys")
    try:
        given = ys
        ys = torch.as_tensor(ys)
        if not isinstance(given, torch.Tensor) and ys.is_floating_point():
            # Python floats straight to the RNN's dtype, not through float32.
            ys = torch.as_tensor(given, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as error:
        raise InvalidTypeError(
            f"ys is {ys!r:.80}, expected numbers or a tensor (of one shape)"
        ) from error
    validation.real_tensor("ys", ys, finite=False)  # not bool, complex or on the meta device
    if ys.device != xs.device:
        raise InvalidValueError(f"ys is on {ys.device}, but xs is on {xs.device}")
    expected = f"({N}, {O})"

    def steps() -> str:  # written only for a message
        return f"one target per step of xs, which has shape {shape_text(xs)}"

    if loss.name == "cross_entropy" and not ys.is_floating_point():
        if ys.shape != (N,):
            raise InvalidValueError(
                f"ys has shape {shape_text(ys)}, expected token ids ({N},) "
                f"or rows {expected}: {steps()}"
            )
        bad = (ys < 0) | (ys >= O)
        if bad.any():
            t = int(bad.nonzero()[0, 0])
            raise InvalidValueError(
                f"target id {int(ys[t])} at step {t + 1} is outside 0 … {O - 1} (O = {O})"
            )
        return torch.nn.functional.one_hot(ys.long(), O).to(dtype)
    ys = ys.to(dtype)
    if O == 1 and ys.shape == (N,):
        ys = ys[:, None]
    if ys.shape != (N, O):
        raise InvalidValueError(
            f"ys has shape {shape_text(ys)}, expected {expected} (width O = {O} from W): {steps()}"
        )
    if not validation.all_finite(ys):
        raise InvalidValueError("ys has a NaN or infinite entry")
    return ys
