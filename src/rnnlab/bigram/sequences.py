"""One sequence in any of the forms a bigram model takes — one-hot rows (N, V), token ids,
or tokens (strings) — as token ids, each bad item named; and sentences of tokens, checked."""

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from rnnlab.bigram.table import _show, as_rows, one_hot_ids
from rnnlab.bigram.vocabulary import Vocabulary
from rnnlab.errors import InvalidTypeError, InvalidValueError


def sequence_ids(seq: object, V: int, vocabulary: Vocabulary | None) -> torch.Tensor:
    """The token ids (N,), N ≥ 1, of one sequence over V types; tokens need a vocabulary."""
    if isinstance(seq, str):
        raise InvalidTypeError(
            "a sequence must be a list of tokens, not one string (split it first)"
        )
    if isinstance(seq, np.ndarray) and seq.dtype.kind in "USO":  # words, or mixed
        seq = seq.tolist()
    if isinstance(seq, Sequence):
        if len(seq) == 0:
            raise InvalidValueError("the sequence is empty, expected at least one token")
        if any(isinstance(token, str) for token in seq):
            if vocabulary is None:
                raise InvalidValueError(
                    f"the sequence {_show(seq)} is words, which need a vocab: "
                    "BigramLM(T, vocab=[...])"
                )
            return torch.from_numpy(vocabulary.sequence_ids(seq))
        for token in seq:
            if not _is_id_or_row(token):
                raise InvalidTypeError(
                    f"a sequence holds {token!r}, expected tokens, token ids or one-hot rows"
                )
        if _mixed(seq):
            raise InvalidTypeError(
                f"the sequence {_show(seq)} mixes token ids and rows, expected one kind"
            )
    ids = as_rows(seq, "the sequence", f"one-hot rows (N, {V}), token ids or tokens")
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
        raise InvalidValueError(
            f"token id {int(ids[t])} (token {t + 1} of the sequence) is outside 0..{V - 1}"
        )
    return ids.long()


def _is_id_or_row(token: object) -> bool:
    """Whether an item of a sequence can be a token id or a one-hot row."""
    if isinstance(token, bool):
        return False
    return isinstance(token, numbers.Integral | Sequence | np.ndarray | torch.Tensor)


def _mixed(seq: Sequence) -> bool:
    """Whether a sequence holds both single ids and rows."""
    return len({isinstance(token, numbers.Integral) for token in seq}) > 1


def check_sentences(sentences: Iterable[Sequence[str]]) -> tuple[list, np.ndarray]:
    """sentences as a list, and the number of tokens of each (S,) int64, after checking
    that each is a list of tokens (the tokens themselves are checked where they are read)."""
    if isinstance(sentences, str):
        raise InvalidTypeError("sentences must be a list of token lists, not one string")
    try:
        sentences = list(sentences)
    except TypeError:  # not iterable: a number, a 0-d tensor, None
        raise InvalidTypeError(
            f"sentences must be a list of token lists, got {sentences!r:.80}"
        ) from None
    # One pass over the types, not an isinstance call per sentence: this runs on every text.
    for kind in set(map(type, sentences)):
        if issubclass(kind, str) or not issubclass(kind, Sequence):
            index = next(i for i, sentence in enumerate(sentences) if type(sentence) is kind)
            raise InvalidTypeError(
                f"sentence {index + 1} is a {kind.__name__}, expected a list of tokens"
            )
    return sentences, np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
