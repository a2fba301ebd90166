"""The inputs of an RNN, checked and converted at the boundary: xs, h0, token ids, parameters.

Each helper returns a tensor in the RNN's dtype and on its device, or raises rnnlab's
own errors naming the bad value (rnnlab.validation): never a raw torch error. The
forward step (rnnlab.model.rnn) and the backward methods (rnnlab.bptt, rnnlab.model.losses) share
them, so every entry point checks its inputs the same way.
"""

from collections.abc import Sequence
from numbers import Real

import torch

from rnnlab import validation
from rnnlab.errors import InvalidTypeError, InvalidValueError, shape_text


def as_inputs(xs: "torch.Tensor | Sequence", U: torch.Tensor) -> torch.Tensor:
    """xs checked and as a tensor (N, D) or (B, N, D) in U's dtype, for U (H, D).

    xs may be a tensor, a list of (D,) tensors, nested lists of numbers, or for D = 1 a
    1-D sequence of numbers. Its entries must be finite real numbers on U's device.
    """
    D = U.shape[1]
    if ready_rows(xs, U, D):  # rows already in U's dtype, both on the CPU
        return xs
    if isinstance(xs, Sequence) and not isinstance(xs, str):
        if len(xs) == 0:
            raise InvalidValueError("xs is empty: an RNN needs at least one step")
        if all(isinstance(x, torch.Tensor) for x in xs):
            xs = stack_steps(xs, "xs")
    xs = as_tensor(xs, "xs", U.dtype)
    if xs.ndim == 1 and D == 1:
        xs = xs[:, None]
    if xs.ndim not in (2, 3) or xs.shape[-1] != D:
        raise InvalidValueError(
            f"xs has shape {shape_text(xs)}, expected (N, {D}) or (B, N, {D}): D = {D} from U"
        )
    if xs.shape[-2] == 0:
        raise InvalidValueError("xs is empty: an RNN needs at least one step")
    return _on_device(validation.real_tensor("xs", xs.to(U.dtype)), "xs", U)


def ready_rows(value: object, like: torch.Tensor, width: int, length: int | None = None) -> bool:
    """Whether value is already rows as the checks return them: finite, (N, width) with
    N = length (any N ≥ 1 where None), a plain tensor in like's dtype on the CPU, as
    like is. The usual call, settled in a few steps; anything else takes the general
    path, which names what is wrong."""
    return (
        type(value) is torch.Tensor
        and value.dtype == like.dtype
        and value.ndim == 2
        and value.shape[0] > 0
        and (length is None or value.shape[0] == length)
        and value.shape[1] == width
        and value.is_cpu
        and like.is_cpu
        and validation.all_finite(value)
    )


def as_initial_state(
    h0: "torch.Tensor | float | None", U: torch.Tensor, batch: "torch.Size | tuple[int, ...]" = ()
) -> torch.Tensor:
    """h0 checked and as a tensor (*batch, H) for U (H, D): zeros for None; one (H,) serves
    a batch."""
    H = U.shape[0]
    if h0 is None:
        return U.new_zeros((*batch, H))  # U's dtype and device
    h0 = as_tensor(h0, "h0", U.dtype)
    if H == 1 and h0.numel() == 1:
        h0 = h0.reshape(1)
    if h0.shape not in ((H,), (*batch, H)):
        expected = f"({H},)" if not batch else f"({H},) or ({batch[0]}, {H})"
        raise InvalidValueError(f"h0 has shape {shape_text(h0)}, expected {expected}: H = {H}")
    h0 = _on_device(validation.real_tensor("h0", h0.to(U.dtype)), "h0", U)
    return h0.expand(*batch, H)


def stack_steps(steps: Sequence[torch.Tensor], name: str) -> torch.Tensor:
    """A list of per-step tensors as rows (N, width), each flattened; all the same size."""
    sizes = [step.numel() for step in steps]
    for t, size in enumerate(sizes):
        if size != sizes[0]:
            raise InvalidValueError(
                f"step {t + 1} of {name} has {size} entries, expected {sizes[0]} like step 1: "
                "every step has the same width"
            )
    for t, step in enumerate(steps):
        validation.real_tensor(f"step {t + 1} of {name}", step, finite=False)
    return torch.stack([step.reshape(-1) for step in steps])


def _on_device(tensor: torch.Tensor, name: str, U: torch.Tensor) -> torch.Tensor:
    if tensor.device != U.device:
        raise InvalidValueError(
            f"{name} is on {tensor.device}, but the RNN's parameters are on {U.device}"
        )
    return tensor


def as_ids(ids: "torch.Tensor | Sequence[int]", U: torch.Tensor) -> torch.Tensor:
    """Token ids checked and as a long tensor (N,) or (B, N) on U's device, each in 0 … D−1."""
    try:
        ids = torch.as_tensor(ids)
    except (TypeError, ValueError, RuntimeError) as error:
        raise InvalidTypeError(f"token ids must be integers, got {ids!r:.60}") from error
    if ids.device.type == "meta":
        raise InvalidValueError("ids is on the meta device, which holds no values")
    if ids.numel() == 0:
        raise InvalidValueError("ids is empty: an RNN needs at least one step")
    if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise InvalidTypeError(f"token ids must be integers, got dtype {ids.dtype}")
    if ids.ndim not in (1, 2) or ids.shape[-1] == 0:
        raise InvalidValueError(
            f"ids has shape {shape_text(ids)}, expected (N,) or (B, N) with N ≥ 1"
        )
    D = U.shape[1]
    bad = (ids < 0) | (ids >= D)
    if bad.any():
        where = tuple(int(i) for i in bad.nonzero()[0])
        place = f"step {where[-1] + 1}" + (f" of sequence {where[0] + 1}" if len(where) > 1 else "")
        raise InvalidValueError(
            f"token id {int(ids[where])} at {place} is outside 0..{D - 1} (D = {D})"
        )
    return ids.long().to(U.device)


def as_tensor(value: object, name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
    """value as a real tensor; Python numbers go straight to ``dtype`` when it is given.

    Straight, because through torch's default float32 they would lose the digits a
    float64 RNN keeps.
    """
    if isinstance(value, bool):
        raise InvalidTypeError(f"{name} is {value!r}, expected numbers or a tensor")
    try:
        tensor = torch.as_tensor(value)
        if dtype is not None and tensor.is_floating_point() and not isinstance(value, torch.Tensor):
            tensor = torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as error:
        raise InvalidTypeError(
            f"{name} is {value!r:.80}, expected numbers or a tensor (of one shape)"
        ) from error
    if not (tensor.is_floating_point() or tensor.dtype in _INTEGER_DTYPES):
        raise InvalidTypeError(f"{name} has dtype {tensor.dtype}, expected real numbers")
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def as_matrix(value: "torch.Tensor | float", name: str) -> torch.Tensor:
    """A parameter as a matrix; a number or a 1-element tensor is the 1×1 scalar RNN."""
    if isinstance(value, Real) and not isinstance(value, bool):
        number = validation.real_number(name, value)
        return torch.tensor([[number]], dtype=torch.get_default_dtype())
    tensor = validation.real_tensor(name, as_tensor(value, name))
    if tensor.numel() == 1 and tensor.ndim <= 2:
        tensor = tensor.reshape(1, 1)
    if tensor.ndim != 2:
        raise InvalidValueError(
            f"{name} has shape {shape_text(tensor)}, expected a matrix or a single number"
        )
    return tensor
