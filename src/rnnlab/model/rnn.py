"""The forward step of an Elman RNN, equations (1)–(3) of the lab.

    h_t = σ(U x_t + V h_{t-1})      (1) hidden state
    o_t = W h_t                      (2) output score
    ŷ_t = σ_out(o_t)                 (3) predicted output

``ElmanRNN._unroll`` is those equations, one line each, looping over t: the code to
read, and the one autograd records. Where no gradient is wanted, the same loop runs
compiled (rnnlab.compiled.kernels), with the same results; ``compiled=False`` always runs the
readable one.

Vectors are columns in the loop, as the lab writes them: x_t is (D,), or (D, B) for a
batch of B sequences, so that ``U @ x[t]`` is U x_t in both cases. A Trace holds rows,
(N, H) or (B, N, H), the layout torch's own RNN uses.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from rnnlab.compiled import kernels
from rnnlab.errors import InvalidValueError, shape_text
from rnnlab.model import display
from rnnlab.model.activations import Activation, Function, get_activation
from rnnlab.model.inputs import as_ids, as_initial_state, as_inputs, as_matrix


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

    def _repr_html_(self) -> "str | None":
        """Jupyter shows a trace as a table of t, z_t, h_t, o_t, ŷ_t per sequence."""
        return display.html(self)


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
        U, V, W = (as_matrix(value, name) for name, value in (("U", U), ("V", V), ("W", W)))
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
        self,
        xs: "torch.Tensor | Sequence",
        h0: "torch.Tensor | float | None" = None,
        *,
        compiled: "bool | None" = None,
    ) -> Trace:
        """Run the RNN over xs: (N, D), (B, N, D), a list of (D,) tensors, or numbers (D = 1).

        ``compiled``: None runs the compiled loop where it applies (no gradient wanted, a
        named σ, CPU, float32/float64), False the readable loop, True insists on the
        compiled one. Same results either way.
        """
        xs = as_inputs(xs, self.U)
        h0 = as_initial_state(h0, self.U, xs.shape[:-2])
        runs_compiled = self._runs_compiled(compiled, (xs, h0), "forward")
        if runs_compiled:
            # U x_t for every t at once: one matrix product, handed to the compiled loop.
            return self._compiled_trace(xs @ self.U.T, h0)
        return self._unroll(xs, h0)

    __call__ = forward

    def forward_ids(
        self,
        ids: "torch.Tensor | Sequence[int]",
        h0: "torch.Tensor | None" = None,
        *,
        compiled: "bool | None" = None,
    ) -> Trace:
        """forward() for one-hot inputs given as token ids: (N,) or (B, N).

        U x_t with x_t = e_i is column i of U, so a gather replaces the matrix product.
        """
        ids = as_ids(ids, self.U)
        h0 = as_initial_state(h0, self.U, ids.shape[:-1])
        runs_compiled = self._runs_compiled(compiled, (h0,), "forward_ids")
        if runs_compiled:
            return self._compiled_trace(self.U.T[ids], h0)  # column i_t of U for every t
        return self._unroll_ids(ids, h0)

    def _unroll(self, xs: torch.Tensor, h0: torch.Tensor) -> Trace:
        """Equations (1)–(3) step by step; xs: (N, D) or (B, N, D), h0: (H,) or (B, H)."""
        U, V, W, sigma = self.U, self.V, self.W, self.sigma
        x = _columns(xs)  # x[t] is x_t, for t = 1 … N
        h, z, o = {0: _column(h0)}, {}, {}
        for t in range(1, len(x) + 1):
            z[t] = U @ x[t] + V @ h[t - 1]
            h[t] = sigma(z[t])  # equation (1): h_t = σ(U x_t + V h_{t-1})
            o[t] = W @ h[t]  # equation (2): o_t = W h_t
        return self._rows(h, z, o)

    def _unroll_ids(self, ids: torch.Tensor, h0: torch.Tensor) -> Trace:
        """_unroll for x_t = e_i given as i: U x_t is then column i of U, gathered."""
        U, V, W, sigma = self.U, self.V, self.W, self.sigma
        i = dict(enumerate(ids.unbind(-1), start=1))  # i[t]: x_t's id, (B,) ids for a batch
        h, z, o = {0: _column(h0)}, {}, {}
        for t in range(1, len(i) + 1):
            z[t] = U[:, i[t]] + V @ h[t - 1]  # U x_t = U e_i = column i of U
            h[t] = sigma(z[t])  # equation (1)
            o[t] = W @ h[t]  # equation (2)
        return self._rows(h, z, o)

    def _rows(self, h: dict, z: dict, o: dict) -> Trace:
        """The Trace of _unroll's columns, as rows; equation (3) on every o_t at once."""
        o = _stacked(o, start=1)
        return Trace(
            h=_stacked(h, start=0), z=_stacked(z, start=1), o=o, y_hat=self.output_sigma(o)
        )

    def _compiled_trace(self, U_x: torch.Tensor, h0: torch.Tensor) -> Trace:
        """Equations (1)–(3) by the compiled loop, given U x_t for every t: U_x (N, H) or
        (B, N, H), and h0 (H,) or (B, H)."""
        h, z = kernels.forward(U_x, self.V, h0, self.sigma)
        o = h[..., 1:, :] @ self.W.T  # equation (2) for every t at once
        return Trace(h=h, z=z, o=o, y_hat=self.output_sigma(o))

    def _runs_compiled(
        self, compiled: "bool | None", tensors: "tuple[torch.Tensor, ...]", what: str
    ) -> bool:
        """Whether ``what`` runs compiled; the compiled loop records no autograd history."""
        parameters = (self.U, self.V, self.W)
        reason = kernels.unavailable(self.sigma, (*parameters, *tensors))
        if reason is None and torch.is_grad_enabled():
            wanted = [t for t in (*parameters, *tensors) if t.requires_grad]
            if wanted:
                reason = "autograd is recording it (a tensor requires grad)"
        return kernels.use_kernel(compiled, reason, what)


def _columns(rows: torch.Tensor) -> dict[int, torch.Tensor]:
    """x_t for t = 1 … N as the lab's columns: (D,) from rows (N, D); (D, B) from (B, N, D)."""
    return {t: _column(row) for t, row in enumerate(rows.unbind(-2), start=1)}


def _column(row: torch.Tensor) -> torch.Tensor:
    """A row (D,) as it is; the rows of a batch (B, D) as the columns of (D, B)."""
    return row.T if row.ndim == 2 else row


def _stacked(columns: dict[int, torch.Tensor], start: int) -> torch.Tensor:
    """Columns for t = start, start + 1, … as rows: (N, H), or (B, N, H) for a batch."""
    stacked = torch.stack([columns[t] for t in range(start, start + len(columns))])
    return stacked.permute(2, 0, 1) if stacked.ndim == 3 else stacked
