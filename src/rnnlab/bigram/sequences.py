"""One sequence in any of the forms a bigram model takes — one-hot rows (N, V), token ids,
or tokens (strings) — as token ids, each bad item named."""

import numbers
from collections.abc import Sequence

import numpy as np
import torch

from rnnlab.bigram.table import one_hot_ids
from rnnlab.bigram.vocabulary import Vocabulary
from rnnlab.errors import InvalidTypeError, InvalidValueError


def sequence_ids(seq: object, V: int, vocabulary: Vocabulary | None) -> torch.Tensor:
    """The token ids (N,), N ≥ 1, of one sequence over V types; tokens need a vocabulary."""
    if isinstance(seq, str):
        raise InvalidTypeError(
            "a sequence must be a list of tokens, not one string (split it first)"
        )
    if isinstance(seq, Sequence):
        if len(seq) == 0:
            raise InvalidValueError("the sequence is empty, expected at least one token")
        if any(isinstance(token, str) for token in seq):
            if vocabulary is None:
                raise InvalidValueError(
                    "tokens given as strings need a vocab: BigramLM(T, vocab=[...])"
                )
            return torch.from_numpy(vocabulary.sequence_ids(seq))
        for token in seq:
            if not _is_id_or_row(token):
                raise InvalidTypeError(
                    f"a sequence holds {token!r}, expected tokens, token ids or one-hot rows"
                )
    ids = seq if isinstance(seq, torch.Tensor) else torch.as_tensor(seq)
    if ids.ndim == 2:
        return one_hot_ids(ids, V)
    if ids.ndim != 1 or ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise InvalidTypeError(
            f"a sequence must be one-hot rows (N, {V}), token ids or tokens; "
            f"got a tensor of shape {tuple(ids.shape)} and dtype {ids.dtype}"
        )
    if len(ids) == 0:
        raise InvalidValueError("the sequence is empty, expected at least one token")
    bad = (ids < 0) | (ids >= V)
    if bad.any():
        t = int(bad.nonzero()[0])
        raise InvalidValueError(f"token id {int(ids[t])} at position {t} is outside 0..{V - 1}")
    return ids.long()


def _is_id_or_row(token: object) -> bool:
    """Whether an item of a sequence can be a token id or a one-hot row."""
    if isinstance(token, bool):
        return False
    return isinstance(token, numbers.Integral | Sequence | np.ndarray | torch.Tensor)
