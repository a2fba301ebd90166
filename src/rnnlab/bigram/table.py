"""The bigram table T as the lab has it: T[i, j] = Pr(v_j | v_i), the lab's
``sequence_probability``, and the table as a model's probabilities.

As in the lab, the first token of a sequence is context only: its own probability is
not counted, so a sequence w_1 … w_N scores Π_{t=1}^{N-1} T[w_t, w_{t+1}].
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.validation import check_stochastic


def one_hot_ids(seq: object, V: int, name: str = "seq") -> torch.Tensor:
    """The token ids (N,) of a sequence of one-hot rows (N, V), after checking each row.

    The rows may be numbers or bools (a bool one-hot row is a one-hot row).
    """
    rows = as_rows(seq, name, f"(N, {V}) one-hot rows").detach()
    if rows.dtype == torch.bool:
        rows = rows.to(torch.uint8)
    if rows.dtype.is_complex:
        raise InvalidTypeError(f"{name} has dtype {rows.dtype}, expected one-hot rows of 0s and 1s")
    if rows.ndim != 2 or rows.shape[1] != V:
        raise InvalidValueError(
            f"{name} has shape {tuple(rows.shape)}, expected (N, {V}) one-hot rows"
        )
    is_one_hot = ((rows == 0) | (rows == 1)).all(dim=1) & (rows.sum(dim=1) == 1)
    if not is_one_hot.all():
        t = int((~is_one_hot).nonzero()[0])
        raise InvalidValueError(
            f"row {t + 1} of {name} is {rows[t].tolist()}, not one-hot (a single 1, the rest 0)"
        )
    return rows.argmax(dim=1)


def as_rows(seq: object, name: str, expected: str) -> torch.Tensor:
    """seq as a tensor, or rnnlab's error naming it: the wrong kind (a dict, None, words
    without a vocabulary) or rows that differ in length."""
    if isinstance(seq, torch.Tensor):
        return seq
    if isinstance(seq, np.ndarray) and seq.dtype.kind in "USO":
        seq = seq.tolist()
    if isinstance(seq, list | tuple) and any(isinstance(token, str) for token in seq):
        raise InvalidValueError(
            f"{name} is {_show(seq)}: words need a vocab (BigramLM(T, vocab=[...])), "
            f"expected {expected} or token ids"
        )
    try:
        return torch.as_tensor(seq)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        if isinstance(seq, list | tuple) and all(isinstance(row, list | tuple) for row in seq):
            raise InvalidValueError(
                f"{name} is {_show(seq)}: its rows differ in length, expected {expected}"
            ) from None
        raise InvalidTypeError(
            f"{name} is {_show(seq)} (a {type(seq).__name__}), expected {expected}"
        ) from None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def sequence_probability(seq: object, T: object) -> torch.Tensor:
    """The probability of seq (N, V) one-hot rows (numbers or bools) under T (V, V), a 0-d tensor.

    The first token only gives context. Differentiable with respect to T.
    """
    T = check_stochastic(T)
    ids = one_hot_ids(seq, T.shape[0])
    if len(ids) == 0:
        raise InvalidValueError("seq is empty, expected at least one token")
    return _sequence_probability(ids, T)


def _sequence_probability(ids: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
    """Π_t T[w_t, w_(t+1)] for the token ids w (N,), N ≥ 1, under a T (V, V) already checked
    stochastic; a 0-d tensor of T's dtype."""
    factors = T.double()[ids[:-1], ids[1:]]
    if (factors == 0).any():
        # The probability is exactly 0; the plain product also keeps the gradient finite,
        # where exp(log 0) would give 0 · ∞ = NaN.
        return factors.prod().to(T.dtype)
    return torch.exp(torch.log(factors).sum()).to(T.dtype)


@dataclass(frozen=True)
class TableProbabilities:
    """A model's probabilities given as its dense table T (V, V), checked stochastic."""

    T: torch.Tensor
    kind: str = field(default="table", init=False)
    log_T: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        with np.errstate(divide="ignore"):
            object.__setattr__(self, "log_T", np.log(self.T.detach().double().numpy()))

    @property
    def size(self) -> int:
        return self.T.shape[0]

    @property
    def smoothing(self) -> float:
        return 0.0

    def unseen_share(self) -> float:
        return 0.0

    def log_probs(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        return self.log_T[contexts, words]

    def dense(self) -> torch.Tensor:
        return self.T

    def backoff_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        T = self.T.detach().double().numpy()
        keys = np.flatnonzero(T)
        return keys, T.reshape(-1)[keys], np.zeros(self.size)

    def sampler(self) -> Callable[[int, float], int]:
        # One cumulative row per context, computed once per sample() call.
        cumulative = np.cumsum(self.T.detach().double().numpy(), axis=1)

        def draw(context: int, u: float) -> int:
            row = cumulative[context]
            # The first column whose cumulative mass exceeds u·(row total): an
            # inverse-CDF draw that never lands on a zero-probability column.
            return int(np.searchsorted(row, u * row[-1], side="right"))

        return draw

    def arrays(self) -> dict[str, np.ndarray]:
        return {"T": self.T.detach().numpy()}
