"""Bigram language models: a table T with T[i, j] = Pr(v_j | v_i), and scoring with it.

As in the lab, the first token of a sequence is context only: its own probability is
not counted, so a sequence w_1 … w_N scores Π_{t=1}^{N-1} T[w_t, w_{t+1}]. Scores are
summed in log space (float64), so a long sequence gives a finite log probability.
"""

import math
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from rnnlab.errors import InvalidTypeError, InvalidValueError


def check_stochastic(T: object, name: str = "T") -> torch.Tensor:
    """T as a floating tensor, after checking it is square, finite, ≥ 0, rows summing to 1."""
    try:
        T = torch.as_tensor(T)
    except (TypeError, ValueError, RuntimeError) as error:
        raise InvalidTypeError(
            f"{name} must be a matrix of numbers, got {type(T).__name__}"
        ) from error
    if not T.is_floating_point():
        T = T.to(torch.get_default_dtype())
    if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] == 0:
        raise InvalidValueError(f"{name} has shape {tuple(T.shape)}, expected a square V × V table")
    values = T.detach()
    if torch.isnan(values).any():
        i, j = (int(k) for k in torch.isnan(values).nonzero()[0])
        raise InvalidValueError(f"{name}[{i}, {j}] is NaN, expected a probability")
    bad = (values < 0) | (values > 1)
    if bad.any():
        i, j = (int(k) for k in bad.nonzero()[0])
        raise InvalidValueError(
            f"{name}[{i}, {j}] is {values[i, j].item():g}, expected a probability in [0, 1]"
        )
    sums = values.double().sum(dim=1)
    tolerance = max(1e-6, 8 * torch.finfo(T.dtype).eps)
    off = (sums - 1).abs() > tolerance
    if off.any():
        i = int(off.nonzero()[0])
        raise InvalidValueError(f"row {i} of {name} sums to {sums[i].item():.6g}, expected 1")
    return T


def one_hot_ids(seq: object, V: int, name: str = "seq") -> torch.Tensor:
    """The token ids of a sequence of one-hot rows (N, V), after checking each row."""
    rows = torch.as_tensor(seq).detach()
    if rows.ndim != 2 or rows.shape[1] != V:
        raise InvalidValueError(
            f"{name} has shape {tuple(rows.shape)}, expected (N, {V}) one-hot rows"
        )
    is_one_hot = ((rows == 0) | (rows == 1)).all(dim=1) & (rows.sum(dim=1) == 1)
    if not is_one_hot.all():
        t = int((~is_one_hot).nonzero()[0])
        raise InvalidValueError(
            f"row {t} of {name} is {rows[t].tolist()}, not one-hot (a single 1, the rest 0)"
        )
    return rows.argmax(dim=1)


def sequence_probability(seq: object, T: object) -> torch.Tensor:
    """The probability of seq (N, V) one-hot rows under T (V, V), as a 0-d tensor.

    The first token only gives context. Differentiable with respect to T.
    """
    T = check_stochastic(T)
    ids = one_hot_ids(seq, T.shape[0])
    if len(ids) == 0:
        raise InvalidValueError("seq is empty, expected at least one token")
    log_probability = torch.log(T.double()[ids[:-1], ids[1:]]).sum()
    return torch.exp(log_probability).to(T.dtype)


class BigramLM:
    """A bigram language model over V types from its table T (V, V).

    A sequence may be given as one-hot rows (N, V), as token ids, or, with ``vocab``, as
    tokens (strings).
    """

    def __init__(self, T: object, vocab: Sequence[str] | None = None) -> None:
        self.T = check_stochastic(T)
        self.vocab = None if vocab is None else _check_vocab(vocab, self.size)
        self._index = None if vocab is None else {token: i for i, token in enumerate(self.vocab)}
        self._log_T = torch.log(self.T.detach().double())

    @property
    def size(self) -> int:
        """V, the number of word types."""
        return self.T.shape[0]

    def __repr__(self) -> str:
        words = (
            ""
            if self.vocab is None
            else f", vocab={list(self.vocab[:5])}{'…' if self.size > 5 else ''}"
        )
        return f"BigramLM(V={self.size}{words})"

    def ids(self, seq: object) -> torch.Tensor:
        """The token ids (N,) of one sequence given in any of the accepted forms."""
        if isinstance(seq, str):
            raise InvalidTypeError(
                "a sequence must be a list of tokens, not one string (split it first)"
            )
        if isinstance(seq, Sequence) and len(seq) == 0:
            raise InvalidValueError("the sequence is empty, expected at least one token")
        if isinstance(seq, Sequence) and all(isinstance(token, str) for token in seq):
            return self._token_ids(seq)
        ids = torch.as_tensor(seq) if not isinstance(seq, torch.Tensor) else seq
        if ids.ndim == 2:
            return one_hot_ids(ids, self.size)
        if ids.ndim != 1 or ids.is_floating_point() or ids.dtype == torch.bool:
            raise InvalidTypeError(
                f"a sequence must be one-hot rows (N, {self.size}), token ids or tokens; "
                f"got a tensor of shape {tuple(ids.shape)} and dtype {ids.dtype}"
            )
        bad = (ids < 0) | (ids >= self.size)
        if bad.any():
            t = int(bad.nonzero()[0])
            raise InvalidValueError(
                f"token id {int(ids[t])} at position {t} is outside 0..{self.size - 1}"
            )
        return ids.long()

    def log_probability(self, seq: object) -> float:
        """ln Pr(w_2 … w_N | w_1), summed in float64."""
        ids = self._nonempty_ids(seq)
        return float(self._log_T[ids[:-1], ids[1:]].sum())

    def probability(self, seq: object) -> float:
        """Pr(w_2 … w_N | w_1); ``probability([c, w])`` is Pr(w | c)."""
        return math.exp(self.log_probability(seq))

    def perplexity(self, sequences: Iterable[object]) -> float:
        """exp(−(Σ log probability) / (number of predicted tokens)) over a list of sequences."""
        if isinstance(sequences, str | torch.Tensor):
            raise InvalidTypeError(
                "perplexity takes a list of sequences; wrap a single sequence in a list"
            )
        total, predicted = 0.0, 0
        for seq in sequences:
            if isinstance(seq, str | int):
                raise InvalidTypeError(
                    "perplexity takes a list of sequences, got a list of tokens; "
                    "wrap a single sequence in a list"
                )
            ids = self._nonempty_ids(seq)
            total += float(self._log_T[ids[:-1], ids[1:]].sum())
            predicted += len(ids) - 1
        if predicted == 0:
            raise InvalidValueError(
                "perplexity needs at least one predicted token (a sequence of length ≥ 2)"
            )
        return math.exp(-total / predicted)

    def sample(
        self,
        length: int,
        start: "int | str | None" = None,
        generator: torch.Generator | None = None,
    ) -> "torch.Tensor | list[str]":
        """A sequence of ``length`` tokens drawn from the chain T.

        ``start`` is the first token (id or token); None draws it uniformly, since a
        bigram model without a start symbol has no distribution for it. Returns token ids
        (N,), or tokens when the model has a vocabulary.
        """
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise InvalidValueError(f"length must be a positive integer, got {length!r}")
        uniforms = torch.rand(length, dtype=torch.float64, generator=generator).numpy()
        if start is None:
            current = min(int(uniforms[0] * self.size), self.size - 1)
        else:
            current = int(self.ids([start])[0])
        cumulative = np.cumsum(self.T.detach().double().numpy(), axis=1)
        ids = np.empty(length, dtype=np.int64)
        ids[0] = current
        for t in range(1, length):
            row = cumulative[current]
            # The first column whose cumulative mass exceeds u·(row total): an inverse-CDF
            # draw that never lands on a zero-probability column.
            current = int(np.searchsorted(row, uniforms[t] * row[-1], side="right"))
            ids[t] = current
        if self.vocab is None:
            return torch.from_numpy(ids)
        return [self.vocab[i] for i in ids]

    def to_rnn(self):
        """The RNN that computes this model's table rows: rnnlab.construction.bigram_rnn(T)."""
        from rnnlab.construction import bigram_rnn

        return bigram_rnn(self.T)

    def _nonempty_ids(self, seq: object) -> torch.Tensor:
        ids = self.ids(seq)
        if len(ids) == 0:
            raise InvalidValueError("the sequence is empty, expected at least one token")
        return ids

    def _token_ids(self, tokens: Sequence[str]) -> torch.Tensor:
        if self._index is None:
            raise InvalidValueError(
                "tokens given as strings need a vocab: BigramLM(T, vocab=[...])"
            )
        ids = []
        for t, token in enumerate(tokens):
            if token not in self._index:
                raise InvalidValueError(
                    f"unknown token {token!r} at position {t}; not in the vocab"
                )
            ids.append(self._index[token])
        return torch.tensor(ids, dtype=torch.long)


def _check_vocab(vocab: Sequence[str], V: int) -> tuple[str, ...]:
    vocab = tuple(vocab)
    if not all(isinstance(token, str) for token in vocab):
        raise InvalidTypeError("vocab must be a sequence of strings")
    if len(vocab) != V:
        raise InvalidValueError(f"vocab has {len(vocab)} tokens, expected {V} (the size of T)")
    if len(set(vocab)) != V:
        seen: set[str] = set()
        duplicate = next(token for token in vocab if token in seen or seen.add(token))
        raise InvalidValueError(f"vocab lists {duplicate!r} twice")
    return vocab
