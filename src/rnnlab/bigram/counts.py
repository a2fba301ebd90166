"""A model's probabilities held as sparse bigram counts with add-k smoothing, and the
counting of pairs in sentences.

An estimated model keeps the observed pairs as sorted keys c·V + w with their counts, so
a vocabulary of 10⁵ words needs memory for the pairs seen, not for V² entries. With k
the add-k smoothing and V' the number of word types it can predict (all but the start
symbol):

    Pr(w | c) = (C(c, w) + k) / (C(c) + k·V')

A context never seen in training (C(c) = 0, so the formula says 0/0 when k = 0) predicts
uniformly, 1/V' for each word: the limit of add-k as k → 0, and a distribution, so the
dense T stays stochastic. The start symbol is never predicted: Pr(<s> | c) = 0.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from rnnlab.errors import InvalidValueError

DENSE_LIMIT = 4096
"""The largest V for which an estimated model builds its dense table T (V, V): 4096² float64
entries take 128 MiB. Larger models score, sample and save from their sparse counts."""


@dataclass(frozen=True)
class CountProbabilities:
    """Add-k estimates from sparse counts over V word types.

    keys (P,): the observed pairs c·V + w, int64, strictly increasing; counts (P,):
    C(c, w) > 0. start: the id of the start symbol, which is never predicted, or None.
    """

    size: int
    keys: np.ndarray
    counts: np.ndarray
    smoothing: float
    start: int | None
    kind: str = field(default="counts", init=False)
    context_counts: np.ndarray = field(init=False, repr=False)
    _rows: np.ndarray = field(init=False, repr=False)
    _extra: np.ndarray = field(init=False, repr=False)
    _denominator: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        V = self.size
        context_counts = np.bincount(self.keys // V, weights=self.counts, minlength=V)
        context_counts = context_counts.astype(np.int64)
        predictable = V - (self.start is not None)
        k = self.smoothing
        # An unseen context under MLE (0/0) predicts uniformly: numerator 1, denominator V'.
        unseen = context_counts + k * predictable == 0
        extra = np.where(unseen, 1.0, k)
        denominator = np.where(unseen, float(predictable), context_counts + k * predictable)
        object.__setattr__(self, "context_counts", context_counts)
        # Row c of the keys is rows[c]:rows[c + 1], the pairs with context c.
        object.__setattr__(self, "_rows", np.searchsorted(self.keys, np.arange(V + 1) * V))
        object.__setattr__(self, "_extra", extra)
        object.__setattr__(self, "_denominator", denominator)

    def unseen_share(self) -> float:
        # Context c gives k per unseen word: k (V' − seen_c) / (C(c) + k V') in all.
        predictable = self.size - (self.start is not None)
        seen = np.diff(self._rows)
        share = self._extra * (predictable - seen) / self._denominator
        total = self.context_counts.sum()
        return float(share @ self.context_counts / total) if total else 0.0

    def log_probs(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """ln Pr(words[i] | contexts[i]) = ln (C(c, w) + k) − ln (C(c) + k·V'), float64,
        read off the logs of the seen pairs and of each context's rest, computed once."""
        pair_logs, rest_logs = self._logs
        found = rest_logs[contexts]
        if len(self.keys):
            queries = contexts * self.size + words
            # Where each pair is among the sorted seen keys, or would be if it were seen.
            at = np.minimum(np.searchsorted(self.keys, queries), len(self.keys) - 1)
            seen = self.keys[at] == queries
            found[seen] = pair_logs[at[seen]]
        if self.start is not None:
            found[words == self.start] = -np.inf
        return found

    @cached_property
    def _logs(self) -> tuple[np.ndarray, np.ndarray]:
        """ln Pr of each seen pair (P,), and of every other word after each context (V,)."""
        _, probabilities, rest = self.backoff_keys()
        with np.errstate(divide="ignore"):
            return np.log(probabilities), np.log(rest)

    def backoff_keys(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        contexts = self.keys // self.size
        probabilities = (self.counts + self._extra[contexts]) / self._denominator[contexts]
        return self.keys, probabilities, self._extra / self._denominator

    def dense(self) -> torch.Tensor:
        V = self.size
        if V > DENSE_LIMIT:
            raise InvalidValueError(
                f"a dense table for V = {V} word types would hold {V * V:,} entries "
                f"({V * V * 8 / 2**30:.1f} GiB in float64); dense tables (T, to_rnn) are "
                f"built for V ≤ {DENSE_LIMIT}: estimate with a larger min_count, or score "
                "with the sparse model (log_probability, score)"
            )
        T = np.repeat((self._extra / self._denominator)[:, None], V, axis=1)
        contexts, words = np.divmod(self.keys, V)
        T[contexts, words] = (self.counts + self._extra[contexts]) / self._denominator[contexts]
        if self.start is not None:
            T[:, self.start] = 0.0
        return torch.from_numpy(T)

    def sampler(self) -> Callable[[int, float], int]:
        V = self.size
        predictable = np.delete(np.arange(V), [] if self.start is None else [self.start])

        def draw(context: int, u: float) -> int:
            # Pr(w | c) splits into C(c, w)/D for the seen words plus extra/D for every
            # predictable word, D the denominator; u·D picks the part and the word in it.
            mass = u * self._denominator[context]
            seen = slice(self._rows[context], self._rows[context + 1])
            if mass < self.context_counts[context]:
                cumulative = np.cumsum(self.counts[seen])
                return int(self.keys[seen][np.searchsorted(cumulative, mass, side="right")] % V)
            share = (mass - self.context_counts[context]) / self._extra[context]
            return int(predictable[min(int(share), len(predictable) - 1)])

        return draw

    def arrays(self) -> dict[str, np.ndarray]:
        return {"keys": self.keys, "counts": self.counts}


def key_dtype(V: int) -> type:
    """int32 where every pair key c·V + w below V² fits (numpy sorts those faster than
    int64, and an array of them is half the memory), else int64."""
    return np.int32 if V * V < 2**31 else np.int64


def pair_keys(
    ids: np.ndarray, lengths: np.ndarray, start: int | None, end: int | None, V: int
) -> np.ndarray:
    """The keys c·V + w (P,) of every predicted token of sentences laid end to end in
    ``ids`` (T,), sentence s holding lengths[s] tokens, in no particular order, of
    dtype ``key_dtype(V)`` (ids already of that dtype are not copied): a new array,
    which ``tally`` may sort in place.

    Inside a sentence each token predicts the next; the start symbol predicts the first
    word and the last word predicts the end symbol, where there are such symbols (both:
    an empty sentence is the pair (start, end)). No pair crosses into the next sentence.
    """
    ids = ids.astype(key_dtype(V), copy=False)
    spoken = lengths > 0
    ends = np.cumsum(lengths)[spoken]  # one past each non-empty sentence's last token
    last, first = ends - 1, ends - lengths[spoken]
    # Each adjacent pair of ids is written in place, one array for all the keys. The
    # pair from a sentence's last token into the next's first is not a pair of the text:
    # its place takes a key that is, (last word, end) or (start, first word).
    crossing = last[:-1]
    inner = max(len(ids) - 1, 0)
    if start is None and end is None:
        inside = np.ones(inner, dtype=bool)
        inside[crossing] = False
        adjacent = ids[:-1] * V
        adjacent += ids[1:]
        return adjacent[inside]
    sentences = len(last)
    final = min(sentences, 1)  # one key has no crossing to take the place of
    extra = final
    if start is not None and end is not None:
        extra += sentences + np.count_nonzero(~spoken)  # (start, end) for each empty one
    keys = np.empty(inner + extra, dtype=ids.dtype)
    pairs, rest = keys[:inner], keys[inner:]
    np.multiply(ids[:-1], V, out=pairs)
    pairs += ids[1:]
    if end is None:
        pairs[crossing] = start * V + ids[crossing + 1]
        rest[:] = start * V + ids[first[:1]]
        return keys
    pairs[crossing] = ids[crossing] * V + end
    rest[:final] = ids[last[-1:]] * V + end
    if start is not None:
        rest[final : final + sentences] = start * V + ids[first]
        rest[final + sentences :] = start * V + end
    return keys


def tally(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pair keys, sorted (int64), and how often each occurs.

    ``keys`` is sorted in place (pair_keys makes a new array): no copy of a text's keys.
    """
    keys.sort()
    starts = np.flatnonzero(keys[1:] != keys[:-1]) + 1  # where each run after the first starts
    starts = np.concatenate([[0], starts]) if len(keys) else starts
    return keys[starts].astype(np.int64), np.diff(starts, append=len(keys))
