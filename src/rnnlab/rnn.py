"""The forward step of an Elman RNN, equations (1)–(3) of the lab.

    h_t = σ(U x_t + V h_{t-1})      (1) hidden state
    o_t = W h_t                      (2) output score
    ŷ_t = σ_out(o_t)                 (3) predicted output

Vectors are rows here, so ``U x_t`` is written ``x[t] @ U.T``; that lets one code path
serve a sequence (N, D) and a batch of sequences (B, N, D).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import torch

from rnnlab import tables
from rnnlab.activations import Activation, Function, get_activation
from rnnlab.errors import InvalidTypeError, InvalidValueError, shape_text


@dataclass(frozen=True)
class Trace:
    """Everything one forward pass computed; autograd flows through every field.

    h: (N+1, H) with h[0] = h0; z: (N, H) the pre-activations U x_t + V h_{t-1};
    o: (N, O); y_hat: (N, O). A batch adds a leading B to each.
    """

    h: torch.Tensor
    z: torch.Tensor
    o: torch.Tensor
    y_hat: torch.Tensor

    def _repr_html_(self) -> str:
        """Jupyter shows a trace as a table of t, z_t, h_t, o_t, ŷ_t."""
        return tables.trace(self)


class ElmanRNN:
    """An RNN with parameters U (H, D), V (H, H), W (O, H) and no bias terms.

    A Python number, a 0-d or a 1-element tensor stands for the scalar RNN (1×1), as in
    the lab's backward section. Tensors keep their autograd history, so gradients reach
    the tensors passed in. ``output_sigma=None`` means the same σ as the hidden state.
    """

    def __init__(
        self,
        U: "torch.Tensor | float",
        V: "torch.Tensor | float",
        W: "torch.Tensor | float",
        sigma: "str | Function | Activation" = "relu",
        output_sigma: "str | Function | Activation | None" = None,
    ) -> None:
        U, V, W = (_as_matrix(value, name) for name, value in (("U", U), ("V", V), ("W", W)))
        dtype = torch.promote_types(torch.promote_types(U.dtype, V.dtype), W.dtype)
        self.U, self.V, self.W = U.to(dtype), V.to(dtype), W.to(dtype)
        H = self.hidden_size
        if self.V.shape != (H, H):
            raise InvalidValueError(
                f"V has shape {shape_text(self.V)}, expected ({H}, {H}): H × H with H = {H} from U"
            )
        if self.W.shape[1] != H:
            raise InvalidValueError(
                f"W has shape {shape_text(self.W)}, expected (O, {H}): O × H with H = {H} from U"
            )
        self.sigma = get_activation(sigma)
        self.output_sigma = (
            self.sigma if output_sigma is None else get_activation(output_sigma, output=True)
        )

    @property
    def input_size(self) -> int:
        """D, the width of x_t."""
        return self.U.shape[1]

    @property
    def hidden_size(self) -> int:
        """H, the width of h_t."""
        return self.U.shape[0]

    @property
    def output_size(self) -> int:
        """O, the width of o_t."""
        return self.W.shape[0]

    @property
    def dtype(self) -> torch.dtype:
        return self.U.dtype

    def __repr__(self) -> str:
        return (
            f"ElmanRNN(D={self.input_size}, H={self.hidden_size}, O={self.output_size}, "
            f"sigma={self.sigma.name!r}, output_sigma={self.output_sigma.name!r}, "
            f"dtype={self.dtype})"
        )

    def forward(
        self, xs: "torch.Tensor | Sequence", h0: "torch.Tensor | float | None" = None
    ) -> Trace:
        """Run the RNN over xs: (N, D), (B, N, D), a list of (D,) tensors, or numbers (D = 1)."""
        xs = self._inputs(xs)
        # The input term U x_t of equation (1) for every step at once: one matrix product.
        return self._recur(xs @ self.U.T, h0)

    __call__ = forward

    def forward_ids(
        self, ids: "torch.Tensor | Sequence[int]", h0: "torch.Tensor | None" = None
    ) -> Trace:
        """forward() for one-hot inputs given as token ids: (N,) or (B, N).

        U x_t with x_t = e_i is column i of U, so a gather replaces the matrix product.
        """
        ids = self._ids(ids)
        return self._recur(self.U.T[ids], h0)

    def _recur(self, Ux: torch.Tensor, h0: "torch.Tensor | float | None") -> Trace:
        """Equations (1)–(3), given the input terms Ux: (N, H) or (B, N, H)."""
        V, W, sigma = self.V, self.W, self.sigma
        h = [self._initial_state(h0, Ux.shape[:-2])]
        z = []
        for t, Ux_t in enumerate(Ux.unbind(-2)):
            z.append(_plus_product(Ux_t, V, h[t]))  # U x_t + V h_{t-1}
            h.append(sigma(z[t]))  # equation (1)
        h = torch.stack(h, dim=-2)
        o = h[..., 1:, :] @ W.T  # equation (2)
        return Trace(h=h, z=torch.stack(z, dim=-2), o=o, y_hat=self.output_sigma(o))

    def _inputs(self, xs: "torch.Tensor | Sequence") -> torch.Tensor:
        D = self.input_size
        if isinstance(xs, Sequence) and not isinstance(xs, str):
            if len(xs) == 0:
                raise InvalidValueError("xs is empty: an RNN needs at least one step")
            if all(isinstance(x, torch.Tensor) for x in xs):
                xs = torch.stack([x.reshape(-1) for x in xs])
        xs = _as_tensor(xs, "xs", self.dtype).to(self.dtype)
        if xs.ndim == 1 and D == 1:
            xs = xs[:, None]
        if xs.ndim not in (2, 3) or xs.shape[-1] != D:
            raise InvalidValueError(
                f"xs has shape {shape_text(xs)}, expected (N, {D}) or (B, N, {D}): D = {D} from U"
            )
        if xs.shape[-2] == 0:
            raise InvalidValueError("xs is empty: an RNN needs at least one step")
        return xs

    def _ids(self, ids: "torch.Tensor | Sequence[int]") -> torch.Tensor:
        try:
            ids = torch.as_tensor(ids)
        except (TypeError, ValueError, RuntimeError) as error:
            raise InvalidTypeError(f"token ids must be integers, got {ids!r:.60}") from error
        if ids.numel() == 0:
            raise InvalidValueError("ids is empty: an RNN needs at least one step")
        if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
            raise InvalidTypeError(f"token ids must be integers, got dtype {ids.dtype}")
        if ids.ndim not in (1, 2) or ids.shape[-1] == 0:
            raise InvalidValueError(
                f"ids has shape {shape_text(ids)}, expected (N,) or (B, N) with N ≥ 1"
            )
        D = self.input_size
        bad = (ids < 0) | (ids >= D)
        if bad.any():
            where = tuple(int(i) for i in bad.nonzero()[0])
            raise InvalidValueError(
                f"token id {int(ids[where])} at position {where if len(where) > 1 else where[0]}"
                f" is outside 0..{D - 1} (D = {D})"
            )
        return ids.long()

    def _initial_state(self, h0: "torch.Tensor | float | None", batch: torch.Size) -> torch.Tensor:
        H = self.hidden_size
        if h0 is None:
            return torch.zeros(*batch, H, dtype=self.dtype, device=self.U.device)
        h0 = _as_tensor(h0, "h0", self.dtype).to(self.dtype)
        if H == 1 and h0.numel() == 1:
            h0 = h0.reshape(1)
        if h0.shape not in ((H,), (*batch, H)):
            expected = f"({H},)" if not batch else f"({H},) or ({batch[0]}, {H})"
            raise InvalidValueError(f"h0 has shape {shape_text(h0)}, expected {expected}: H = {H}")
        return h0.expand(*batch, H)


def _plus_product(a: torch.Tensor, M: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """a + M v for a vector v (H,) or each row of v (B, H), as one fused call.

    The time loop is the slow part of a forward pass, so each step costs as few
    Python-level operations as possible (this halves the time per step).
    """
    return torch.addmv(a, M, v) if v.ndim == 1 else torch.addmm(a, v, M.T)


def _as_tensor(value: object, name: str, dtype: torch.dtype | None = None) -> torch.Tensor:
    """value as a real tensor; Python numbers go straight to ``dtype`` when it is given.

    Straight, because through torch's default float32 they would lose the digits a
    float64 RNN keeps.
    """
    if isinstance(value, bool):
        raise InvalidTypeError(f"{name} must be numbers or a tensor, got a bool")
    try:
        tensor = torch.as_tensor(value)
        if dtype is not None and tensor.is_floating_point() and not isinstance(value, torch.Tensor):
            tensor = torch.as_tensor(value, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as error:
        raise InvalidTypeError(
            f"{name} must be numbers or a tensor, got {type(value).__name__}"
        ) from error
    if not (tensor.is_floating_point() or tensor.dtype in _INTEGER_DTYPES):
        raise InvalidTypeError(f"{name} must hold real numbers, got dtype {tensor.dtype}")
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


_INTEGER_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def _as_matrix(value: "torch.Tensor | float", name: str) -> torch.Tensor:
    """A parameter as a matrix; a number or a 1-element tensor is the 1×1 scalar RNN."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return torch.tensor([[float(value)]], dtype=torch.get_default_dtype())
    tensor = _as_tensor(value, name)
    if tensor.numel() == 1 and tensor.ndim <= 2:
        tensor = tensor.reshape(1, 1)
    if tensor.ndim != 2:
        raise InvalidValueError(
            f"{name} has shape {shape_text(tensor)}, expected a matrix or a single number"
        )
    if not torch.isfinite(tensor).all():
        raise InvalidValueError(f"{name} has a NaN or infinite entry")
    return tensor
