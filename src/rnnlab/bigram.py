"""Bigram language models: a table T with T[i, j] = Pr(v_j | v_i), and scoring with it.

As in the lab, the first token of a sequence is context only: its own probability is
not counted, so a sequence w_1 … w_N scores Π_{t=1}^{N-1} T[w_t, w_{t+1}]. Scores are
summed in log space (float64), so a long sequence gives a finite log probability.

A model comes from a table, ``BigramLM(T, vocab)``, or from counts in tokenized
sentences, ``BigramLM.estimate``. An estimated model keeps its counts sparse — the
observed pairs as sorted keys c·V + w with their counts — so a vocabulary of 10⁵ words
needs memory for the pairs seen, not for V² entries. Its probabilities, with k the
add-k smoothing and V' the number of word types it can predict (all but the start
symbol):

    Pr(w | c) = (C(c, w) + k) / (C(c) + k·V')

A context never seen in training (C(c) = 0, so the formula says 0/0 when k = 0) predicts
uniformly, 1/V' for each word: the limit of add-k as k → 0, and a distribution, so the
dense T stays stochastic. The start symbol is never predicted: Pr(<s> | c) = 0.
"""

import io
import json
import math
import numbers
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, compress, count
from typing import TYPE_CHECKING

import numpy as np
import torch

from rnnlab import tables
from rnnlab.activations import HIDDEN_NAMES, Activation, get_activation
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.files import write_atomic

if TYPE_CHECKING:
    from rnnlab.rnn import ElmanRNN

DENSE_LIMIT = 4096
"""The largest V for which an estimated model builds its dense table T (V, V): 4096² float64
entries take 128 MiB. Larger models score, sample and save from their sparse counts."""

FILE_FORMAT = "rnnlab.BigramLM"
FILE_VERSION = 1


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
    factors = T.double()[ids[:-1], ids[1:]]
    if (factors == 0).any():
        # The probability is exactly 0; the plain product also keeps the gradient finite,
        # where exp(log 0) would give 0 · ∞ = NaN.
        return factors.prod().to(T.dtype)
    return torch.exp(torch.log(factors).sum()).to(T.dtype)


@dataclass(frozen=True)
class TextScore:
    """How well a model predicts a text of sentences (``BigramLM.score``).

    log_probability: ln Pr of the text, natural log; predicted: the tokens predicted (each
    sentence's words, plus its end symbol, less its first word where there is no start
    symbol); unknown: words outside the vocabulary, scored as the unknown-word token.
    """

    log_probability: float
    predicted: int
    sentences: int
    unknown: int

    @property
    def perplexity(self) -> float:
        """exp(−log_probability / predicted): the usual per-token perplexity."""
        return math.exp(-self.log_probability / self.predicted)

    @property
    def log10_probability(self) -> float:
        """The log probability in base 10, the unit of ARPA files and KenLM."""
        return self.log_probability / math.log(10)


@dataclass(frozen=True)
class BackoffForm:
    """A bigram model as a list of pairs plus a default per context (``backoff_form``).

    Pr(w | c) = probabilities[i] where (contexts[i], words[i]) = (c, w) is listed;
    otherwise rest[c] for every predictable word w, and 0 for the others (the start
    symbol). contexts, words, probabilities: (P,), the pairs sorted by (c, w);
    rest, predictable: (V,). This is the shape of a backoff model, so the ARPA export
    writes it directly.
    """

    contexts: np.ndarray
    words: np.ndarray
    probabilities: np.ndarray
    rest: np.ndarray
    predictable: np.ndarray


@dataclass(frozen=True)
class _Table:
    """A model given as its dense table T (V, V)."""

    T: torch.Tensor
    log_T: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        with np.errstate(divide="ignore"):
            object.__setattr__(self, "log_T", np.log(self.T.detach().double().numpy()))

    @property
    def size(self) -> int:
        return self.T.shape[0]

    def log_probs(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """ln Pr(words[i] | contexts[i]), float64."""
        return self.log_T[contexts, words]

    def dense(self) -> torch.Tensor:
        return self.T

    def backoff_form(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        T = self.T.detach().double().numpy()
        keys = np.flatnonzero(T)
        return keys, T.reshape(-1)[keys], np.zeros(self.size)

    def sampler(self):
        # One cumulative row per context, computed once per sample() call.
        cumulative = np.cumsum(self.T.detach().double().numpy(), axis=1)

        def draw(context: int, u: float) -> int:
            row = cumulative[context]
            # The first column whose cumulative mass exceeds u·(row total): an
            # inverse-CDF draw that never lands on a zero-probability column.
            return int(np.searchsorted(row, u * row[-1], side="right"))

        return draw


@dataclass(frozen=True)
class _Counts:
    """A model held as sparse bigram counts with add-k smoothing.

    keys (P,): the observed pairs c·V + w, sorted; counts (P,): C(c, w) > 0.
    start: the id of the start symbol, which is never predicted, or None.
    """

    size: int
    keys: np.ndarray
    counts: np.ndarray
    smoothing: float
    start: int | None
    context_counts: np.ndarray = field(init=False)
    _extra: np.ndarray = field(init=False)
    _denominator: np.ndarray = field(init=False)

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
        object.__setattr__(self, "_extra", extra)
        object.__setattr__(self, "_denominator", denominator)

    def counts_of(self, keys: np.ndarray) -> np.ndarray:
        """C(c, w) for pair keys c·V + w (0 where never seen), by binary search."""
        if len(self.keys) == 0:
            return np.zeros(len(keys), dtype=np.int64)
        where = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[where] == keys, self.counts[where], 0)

    def log_probs(self, contexts: np.ndarray, words: np.ndarray) -> np.ndarray:
        """ln Pr(words[i] | contexts[i]) = ln (C(c, w) + k) − ln (C(c) + k·V'), float64."""
        numerator = self.counts_of(contexts * self.size + words) + self._extra[contexts]
        if self.start is not None:
            numerator = np.where(words == self.start, 0.0, numerator)
        with np.errstate(divide="ignore"):
            return np.log(numerator) - np.log(self._denominator[contexts])

    def backoff_form(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def sampler(self):
        V = self.size
        offsets = np.searchsorted(self.keys, np.arange(V + 1) * V)
        predictable = np.delete(np.arange(V), [] if self.start is None else [self.start])

        def draw(context: int, u: float) -> int:
            # Pr(w | c) splits into C(c, w)/D for the seen words plus extra/D for every
            # predictable word, D the denominator; u·D picks the part and the word in it.
            mass = u * self._denominator[context]
            seen = slice(offsets[context], offsets[context + 1])
            if mass < self.context_counts[context]:
                cumulative = np.cumsum(self.counts[seen])
                return int(self.keys[seen][np.searchsorted(cumulative, mass, side="right")] % V)
            share = (mass - self.context_counts[context]) / self._extra[context]
            return int(predictable[min(int(share), len(predictable) - 1)])

        return draw


class BigramLM:
    """A bigram language model over V types from its table T (V, V).

    A sequence may be given as one-hot rows (N, V), as token ids, or, with ``vocab``, as
    tokens (strings). ``BigramLM.estimate`` builds one from tokenized sentences; such a
    model also knows its start, end and unknown-word symbols (``bos``, ``eos``, ``unk``).
    """

    def __init__(self, T: object, vocab: Sequence[str] | None = None) -> None:
        T = check_stochastic(T)
        vocab = None if vocab is None else _check_vocab(vocab, T.shape[0])
        self._setup(_Table(T), vocab, bos=None, eos=None, unk=None)

    def _setup(
        self,
        table: "_Table | _Counts",
        vocab: tuple[str, ...] | None,
        bos: str | None,
        eos: str | None,
        unk: str | None,
    ) -> None:
        self._table = table
        self.vocab = vocab
        self.bos, self.eos, self.unk = bos, eos, unk
        self._index = None if vocab is None else _Index((token, i) for i, token in enumerate(vocab))

    @classmethod
    def estimate(
        cls,
        sentences: Iterable[Sequence[str]],
        smoothing: float = 0.0,
        bos: str | None = "<s>",
        eos: str | None = "</s>",
        unk: str | None = "<unk>",
        min_count: int = 1,
    ) -> "BigramLM":
        """Maximum likelihood (smoothing=0) or add-k estimates from tokenized sentences.

        Each sentence is read as ``bos w_1 … w_n eos``: bos is context only (never
        predicted), eos is predicted. Words seen fewer than ``min_count`` times become
        ``unk``, which is in the vocabulary whenever it is not None, so held-out text with
        new words can be scored. None turns the symbol off. The vocabulary lists bos, eos,
        unk first, then the words from most to least frequent (ties in order of first use).
        """
        if isinstance(sentences, str):
            raise InvalidTypeError("sentences must be a list of token lists, not one string")
        sentences = list(sentences)
        smoothing = _check_smoothing(smoothing)
        if (
            isinstance(min_count, bool)
            or not isinstance(min_count, numbers.Integral)
            or min_count < 1
        ):
            raise InvalidValueError(f"min_count must be an integer ≥ 1, got {min_count!r}")
        min_count = int(min_count)
        specials = _check_specials(bos, eos, unk)
        if min_count > 1 and unk is None:
            raise InvalidValueError(
                f"min_count={min_count} maps rare words to the unknown-word token, but unk is None"
            )
        lengths = _lengths(sentences)
        if lengths.sum() == 0:
            raise InvalidValueError("the corpus is empty: no sentence has a token")
        # One hashing pass: a new word gets the next id as it is first met.
        first_id = defaultdict(count().__next__)
        first_ids = np.fromiter(
            map(first_id.__getitem__, chain.from_iterable(sentences)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        for symbol in (bos, eos):
            if symbol is not None and symbol in first_id:
                raise InvalidValueError(
                    f"the token {symbol!r} occurs in sentence "
                    f"{_locate(sentences, symbol)}, but it is the model's sentence "
                    "boundary symbol; remove it or choose another bos/eos"
                )
        words = list(first_id)
        if not all(isinstance(word, str) for word in words):
            bad = next(word for word in words if not isinstance(word, str))
            raise InvalidTypeError(f"tokens must be strings, got {bad!r}")
        frequency = np.bincount(first_ids, minlength=len(words))
        keep = frequency >= min_count
        if unk is not None and unk in first_id:
            keep[words.index(unk)] = False  # the text's own unk token is the model's unk
        order = np.flatnonzero(keep)[np.argsort(-frequency[keep], kind="stable")]
        vocab = (*specials, *(words[i] for i in order))
        new_id = np.full(len(words), -1 if unk is None else vocab.index(unk), dtype=np.int64)
        new_id[order] = np.arange(len(specials), len(vocab))
        ids = new_id[first_ids]
        start = None if bos is None else vocab.index(bos)
        end = None if eos is None else vocab.index(eos)
        keys, pair_counts = _pair_tally(ids, lengths, len(vocab), start, end)
        model = cls.__new__(cls)
        model._setup(_Counts(len(vocab), keys, pair_counts, smoothing, start), vocab, bos, eos, unk)
        return model

    @property
    def size(self) -> int:
        """V, the number of word types."""
        return self._table.size

    @property
    def smoothing(self) -> float:
        """k of add-k smoothing; 0 is maximum likelihood (and for a model given by its T)."""
        return self._table.smoothing if isinstance(self._table, _Counts) else 0.0

    @cached_property
    def T(self) -> torch.Tensor:
        """The dense table (V, V), T[i, j] = Pr(v_j | v_i); built for V ≤ DENSE_LIMIT."""
        return self._table.dense()

    def _repr_html_(self) -> str:
        """Jupyter shows the model as its table T, words naming the rows and columns."""
        return tables.bigram(self)

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
            return torch.from_numpy(self._token_ids([seq])[0])
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
        ids = self._nonempty_ids(seq).numpy()
        return float(self._table.log_probs(ids[:-1], ids[1:]).sum())

    def probability(self, seq: object) -> float:
        """Pr(w_2 … w_N | w_1); ``probability([c, w])`` is Pr(w | c)."""
        return math.exp(self.log_probability(seq))

    def perplexity(self, sequences: Iterable[object]) -> float:
        """exp(−(Σ log probability) / (number of predicted tokens)) over a list of sequences.

        Each sequence is taken as it is, its first token context only; for sentences of
        text, wrapped in the start and end symbols, use ``score(sentences).perplexity``.
        """
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
            ids = self._nonempty_ids(seq).numpy()
            total += float(self._table.log_probs(ids[:-1], ids[1:]).sum())
            predicted += len(ids) - 1
        if predicted == 0:
            raise InvalidValueError(
                "perplexity needs at least one predicted token (a sequence of length ≥ 2)"
            )
        return math.exp(-total / predicted)

    def score(self, sentences: Iterable[Sequence[str]], rnn: "ElmanRNN | None" = None) -> TextScore:
        """The log probability and perplexity of held-out sentences of tokens.

        Each sentence is read as ``bos w_1 … w_n eos`` (the symbols the model has); words
        outside the vocabulary count as ``unk``, or raise InvalidValueError where the model
        has none. Vectorised: one bulk lookup of the token ids, one sort of the pairs.

        With ``rnn``, the probabilities are read off that RNN's outputs ŷ_t instead of the
        table: ``score(sentences, rnn=lm.to_rnn())`` runs the text through the bigram RNN.
        The RNN must have V = 0, as a bigram RNN has: then its state depends on the last
        word alone, so it is computed once per distinct word, and only the outputs the
        text reads are evaluated.
        """
        if isinstance(sentences, str):
            raise InvalidTypeError("sentences must be a list of token lists, not one string")
        sentences = list(sentences)
        lengths = _lengths(sentences)
        ids, unknown = self._text_ids(sentences, lengths)
        start, end = (
            None if symbol is None else self._index[symbol] for symbol in (self.bos, self.eos)
        )
        keys, multiplicity = _pair_tally(ids, lengths, self.size, start, end)
        if len(keys) == 0:
            raise InvalidValueError("no token to predict: the text has no bigram")
        contexts, words = np.divmod(keys, self.size)
        if rnn is None:
            log_probs = self._table.log_probs(contexts, words)
        else:
            log_probs = _rnn_log_probs(rnn, contexts, words, self.size)
        return TextScore(
            log_probability=float(log_probs @ multiplicity),
            predicted=int(multiplicity.sum()),
            sentences=len(sentences),
            unknown=unknown,
        )

    def sample(
        self,
        length: int,
        start: "int | str | None" = None,
        generator: torch.Generator | None = None,
    ) -> "torch.Tensor | list[str]":
        """A sequence of ``length`` tokens drawn from the chain T.

        ``start`` is the first token (id or token); None starts at the start symbol where
        the model has one, and otherwise draws it uniformly, since a bigram model without
        a start symbol has no distribution for it. Returns token ids (N,), or tokens when
        the model has a vocabulary.
        """
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise InvalidValueError(f"length must be a positive integer, got {length!r}")
        uniforms = torch.rand(length, dtype=torch.float64, generator=generator).numpy()
        if start is None and self.bos is not None:
            start = self.bos
        if start is None:
            current = min(int(uniforms[0] * self.size), self.size - 1)
        else:
            current = int(self.ids([start])[0])
        draw = self._table.sampler()
        ids = np.empty(length, dtype=np.int64)
        ids[0] = current
        for t in range(1, length):
            current = draw(current, uniforms[t])
            ids[t] = current
        if self.vocab is None:
            return torch.from_numpy(ids)
        return [self.vocab[i] for i in ids]

    def sample_sentence(
        self, max_length: int = 100, generator: torch.Generator | None = None
    ) -> list[str]:
        """A sentence drawn from the model: from the start symbol until the end symbol.

        Returns its words without bos and eos; stops after ``max_length`` words if no end
        symbol was drawn (or the model has none). Without bos the first word is uniform.
        """
        if self.vocab is None:
            raise InvalidValueError("sample_sentence needs a model with a vocabulary")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise InvalidValueError(f"max_length must be a positive integer, got {max_length!r}")
        uniforms = torch.rand(max_length + 1, dtype=torch.float64, generator=generator).numpy()
        draw = self._table.sampler()
        end = None if self.eos is None else self._index[self.eos]
        if self.bos is None:
            current = min(int(uniforms[0] * self.size), self.size - 1)
            words = [current]
        else:
            current, words = self._index[self.bos], []
        for u in uniforms[1:]:
            if len(words) == max_length:
                break
            current = draw(current, u)
            if current == end:
                break
            words.append(current)
        return [self.vocab[i] for i in words]

    def backoff_form(self) -> "BackoffForm":
        """The model as its listed pairs plus one probability per context for the rest."""
        keys, probabilities, rest = self._table.backoff_form()
        contexts, words = np.divmod(keys, self.size)
        predictable = np.ones(self.size, dtype=bool)
        if self.bos is not None:
            predictable[self._index[self.bos]] = False
        return BackoffForm(contexts, words, probabilities, rest, predictable)

    def to_rnn(self) -> "ElmanRNN":
        """The RNN that computes this model's table rows: rnnlab.construction.bigram_rnn(T)."""
        from rnnlab.construction import bigram_rnn

        return bigram_rnn(self.T)

    def save(self, path: "str | os.PathLike[str]") -> None:
        """Write the model to ``path`` in the format of docs/bigram-format.md (an .npz file)."""
        header = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "kind": "counts" if isinstance(self._table, _Counts) else "table",
            "vocab": None if self.vocab is None else list(self.vocab),
            "bos": self.bos,
            "eos": self.eos,
            "unk": self.unk,
            "smoothing": self.smoothing,
        }
        arrays = (
            {"keys": self._table.keys, "counts": self._table.counts}
            if isinstance(self._table, _Counts)
            else {"T": self._table.T.detach().numpy()}
        )
        buffer = io.BytesIO()
        np.savez(buffer, header=np.array(json.dumps(header, ensure_ascii=False)), **arrays)
        write_atomic(path, buffer.getvalue())

    @classmethod
    def load(cls, path: "str | os.PathLike[str]") -> "BigramLM":
        """A model written by ``save``; a file in another format raises InvalidValueError."""
        try:
            loaded = np.load(path, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            with loaded as archive:
                header = json.loads(str(archive["header"][()]))
                arrays = {name: archive[name] for name in archive.files if name != "header"}
            if not isinstance(header, dict):
                raise ValueError("its header is not a JSON object")
        except (ValueError, KeyError, OSError, EOFError) as error:
            if isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError):
                raise
            raise InvalidValueError(
                f"{path} is not an rnnlab bigram model file (.npz with a header): {error}"
            ) from None
        if header.get("format") != FILE_FORMAT or header.get("version") != FILE_VERSION:
            raise InvalidValueError(
                f"{path} is not an rnnlab bigram model file of version {FILE_VERSION}"
            )
        try:
            return cls._from_file(header, arrays)
        except InvalidValueError as error:
            raise InvalidValueError(f"{path} is damaged: {error}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidValueError(f"{path} is damaged: {error!r}") from None

    @classmethod
    def _from_file(cls, header: dict, arrays: dict[str, np.ndarray]) -> "BigramLM":
        if header["kind"] == "table":
            return cls(torch.from_numpy(arrays["T"]), header["vocab"])
        vocab = _check_vocab(header["vocab"], len(header["vocab"]))
        keys, counts = arrays["keys"].astype(np.int64), arrays["counts"].astype(np.int64)
        V = len(vocab)
        if (
            keys.shape != counts.shape
            or np.any(np.diff(keys) <= 0)
            or (len(keys) and (keys[0] < 0 or keys[-1] >= V * V))
            or np.any(counts <= 0)
        ):
            raise InvalidValueError("its counts are not sorted, in range and positive")
        bos, eos, unk = header["bos"], header["eos"], header["unk"]
        _check_specials(bos, eos, unk)
        for special in (bos, eos, unk):
            if special is not None and special not in vocab:
                raise InvalidValueError(f"its special token {special!r} is not in its vocabulary")
        start = None if bos is None else vocab.index(bos)
        model = cls.__new__(cls)
        smoothing = _check_smoothing(header["smoothing"])
        model._setup(_Counts(V, keys, counts, smoothing, start), vocab, bos, eos, unk)
        return model

    def _nonempty_ids(self, seq: object) -> torch.Tensor:
        ids = self.ids(seq)
        if len(ids) == 0:
            raise InvalidValueError("the sequence is empty, expected at least one token")
        return ids

    def _token_ids(self, sentences: list[Sequence[str]]) -> list[np.ndarray]:
        lengths = _lengths(sentences)
        ids, _ = self._text_ids(sentences, lengths)
        return np.split(ids, np.cumsum(lengths)[:-1])

    def _text_ids(
        self, sentences: list[Sequence[str]], lengths: np.ndarray
    ) -> tuple[np.ndarray, int]:
        """The ids of all tokens laid end to end, and how many were mapped to unk."""
        if self._index is None:
            raise InvalidValueError(
                "tokens given as strings need a vocab: BigramLM(T, vocab=[...])"
            )
        try:
            ids = np.fromiter(
                map(self._index.__getitem__, chain.from_iterable(sentences)),
                dtype=np.int64,
                count=int(lengths.sum()),
            )
        except TypeError as error:  # an unhashable token, such as a nested list
            raise InvalidTypeError(f"tokens must be strings ({error})") from None
        unknown = ids < 0
        count = int(np.count_nonzero(unknown))
        # Only an unknown token can be of the wrong kind (the vocab holds strings), so
        # only those are looked at: None or a number must not pass for an unknown word.
        for token in compress(chain.from_iterable(sentences), unknown) if count else ():
            if not isinstance(token, str):
                raise InvalidTypeError(f"tokens must be strings, got {token!r}")
        if count and self.unk is None:
            where = int(np.flatnonzero(unknown)[0])
            sentence = int(np.searchsorted(np.cumsum(lengths), where, side="right"))
            position = where - int(np.cumsum(lengths)[sentence] - lengths[sentence])
            token = sentences[sentence][position]
            place = f"position {position}" + (
                f" of sentence {sentence}" if len(sentences) > 1 else ""
            )
            raise InvalidValueError(
                f"unknown token {token!r} at {place}; not in the vocab "
                "(and the model has no unknown-word token)"
            )
        if count:
            ids[unknown] = self._index[self.unk]
        return ids, count


class _Index(dict):
    """token → id; a token not in the vocabulary gives −1 instead of a KeyError, so one
    bulk ``map`` over the text finds every id and marks every unknown word."""

    def __missing__(self, token: str) -> int:
        return -1


def _pair_tally(
    ids: np.ndarray, lengths: np.ndarray, V: int, bos_id: int | None, eos_id: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct bigram keys c·V + w (sorted, int64) in sentences laid end to end in
    ``ids``, and how often each occurs.

    Inside a sentence each token predicts the next; bos predicts the first word and the
    last word predicts eos. No pair crosses from one sentence into the next: the key at a
    sentence's last word becomes its eos pair, or V², past every real key, which the
    tally drops. One sort counts the pairs; int32 keys where V² fits, which sort faster.
    """
    dtype = np.int32 if V <= _LARGEST_INT32_V else np.int64
    ids = ids.astype(dtype)
    ends = np.cumsum(lengths)
    nonempty = lengths > 0
    last, first = ends[nonempty] - 1, (ends - lengths)[nonempty]
    extra = []
    if bos_id is not None:
        extra.append(bos_id * V + ids[first])
    if eos_id is not None and len(last):
        extra.append(ids[last[-1:]] * V + eos_id)
    if bos_id is not None and eos_id is not None:
        extra.append(np.full(int(np.count_nonzero(~nonempty)), bos_id * V + eos_id, dtype))
    keys = np.empty(max(len(ids) - 1, 0) + sum(map(len, extra)), dtype=dtype)
    inside = keys[: max(len(ids) - 1, 0)]
    np.multiply(ids[:-1], V, out=inside)
    inside += ids[1:]
    crossing = last[:-1]
    inside[crossing] = V * V if eos_id is None else ids[crossing] * V + eos_id
    if extra:
        keys[len(inside) :] = np.concatenate(extra)
    keys.sort()
    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new)
    distinct, counts = keys[starts].astype(np.int64), np.diff(np.append(starts, len(keys)))
    if len(distinct) and distinct[-1] == V * V:
        distinct, counts = distinct[:-1], counts[:-1]
    return distinct, counts


def _rnn_log_probs(
    rnn: "ElmanRNN", contexts: np.ndarray, words: np.ndarray, size: int
) -> np.ndarray:
    """ln ŷ_t[words[i]] for the RNN's output after reading the word contexts[i], float64.

    With V = 0, equation (1) reads h_t = σ(U x_t): the state, and so o_t and ŷ_t, depend
    on the current word alone — that is what makes an RNN a bigram model. So the states
    are computed once per distinct context, by the one-hot fast path of forward_ids
    (x_t = e_c makes U x_t column c of U) less its V h_{t-1} term, which is zero. Where
    σ_out is elementwise, equation (2) is evaluated only at the coordinate each pair
    reads, o_t[w] = Σ_j W[w, j] h_t[j] over the j with h_t[j] ≠ 0: for the bigram RNN
    h_t is one-hot, so one term per distinct pair, where running forward_ids over the
    text costs O(H²) per token.
    """
    if rnn.input_size != size or rnn.output_size != size:
        raise InvalidValueError(
            f"the RNN has D = {rnn.input_size} inputs and O = {rnn.output_size} outputs, "
            f"expected {size} each (one per word type of the model)"
        )
    if torch.count_nonzero(rnn.V.detach()):
        raise InvalidValueError(
            "the RNN's V is not zero: its output depends on more than the last word, so "
            "it is not a bigram model and cannot score pairs"
        )
    states, which = np.unique(contexts, return_inverse=True)
    with torch.no_grad():
        if not (_is_elementwise(rnn.sigma) and _is_elementwise(rnn.output_sigma)):
            # softmax, or a σ that mixes units, needs a state's whole vector: h = σ(U e_c)
            # and o = W h for each distinct state.
            h = rnn.sigma(rnn.U.T[torch.from_numpy(states)])  # (S, H): equation (1)
            y_hat = rnn.output_sigma(h @ rnn.W.T)[torch.from_numpy(which), torch.from_numpy(words)]
            return _log(y_hat.double().numpy())
        state_of, unit, value = _sparse_states(rnn, states)
        W = rnn.W.double().numpy()
    nonzeros = np.bincount(state_of, minlength=len(states))
    first = np.cumsum(nonzeros) - nonzeros
    o = np.empty(len(words))
    step = max(1, _TERMS_PER_CHUNK // max(1, int(nonzeros.max(initial=1))))
    for begin in range(0, len(words), step):
        pairs = slice(begin, begin + step)
        terms = nonzeros[which[pairs]]
        pair = np.repeat(np.arange(len(terms)), terms)
        offset = np.arange(len(pair)) - np.repeat(np.cumsum(terms) - terms, terms)
        term = first[which[pairs]][pair] + offset
        contributions = W[words[pairs][pair], unit[term]] * value[term]
        o[pairs] = np.bincount(pair, weights=contributions, minlength=len(terms))
    return _log(rnn.output_sigma(torch.from_numpy(o)).numpy())


def _sparse_states(
    rnn: "ElmanRNN", states: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzero entries of h = σ(U e_c) for each word c in states (sorted, distinct):
    (index into states, unit j, h[j]), grouped by state.

    Where σ(0) = 0 (identity, ReLU, tanh), a zero of U stays a zero of h, so only U's
    nonzero entries are visited — for the bigram RNN, U = I, one per word.
    """
    U = rnn.U.detach()
    if rnn.sigma(torch.zeros(1, dtype=U.dtype)).item() != 0:
        h = rnn.sigma(U.T[torch.from_numpy(states)]).double().numpy()  # (S, H), dense
        state_of, unit = np.nonzero(h)
        return state_of, unit, h[state_of, unit]
    unit, column = np.nonzero(U.numpy())
    position = np.minimum(np.searchsorted(states, column), len(states) - 1)
    kept = states[position] == column
    order = np.argsort(position[kept], kind="stable")
    state_of, unit = position[kept][order], unit[kept][order]
    value = rnn.sigma(U[torch.from_numpy(unit), torch.from_numpy(states[state_of])])
    return state_of, unit, value.double().numpy()


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(values)


_TERMS_PER_CHUNK = 2**22  # products W[w, j] h[j] held at once
_LARGEST_INT32_V = 46340  # the largest V with V² (the dropped key) below 2³¹ − 1


def _is_elementwise(activation: "Activation") -> bool:
    """Whether σ acts on each coordinate alone: the named hidden activations do."""
    return activation.name in HIDDEN_NAMES and get_activation(activation.name) is activation


def _lengths(sentences: list[Sequence[str]]) -> np.ndarray:
    """The number of tokens of each sentence, after checking each is a list of tokens."""
    # One pass over the types, not an isinstance call per sentence: this runs on every text.
    for kind in set(map(type, sentences)):
        if issubclass(kind, str) or not issubclass(kind, Sequence):
            index = next(i for i, sentence in enumerate(sentences) if type(sentence) is kind)
            raise InvalidTypeError(
                f"sentence {index} is a {kind.__name__}, expected a list of tokens"
            )
    return np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))


def _locate(sentences: list[Sequence[str]], token: str) -> int:
    return next(i for i, sentence in enumerate(sentences) if token in sentence)


def _check_smoothing(smoothing: object) -> float:
    if isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real):
        raise InvalidTypeError(f"smoothing must be a number ≥ 0, got {smoothing!r}")
    if not math.isfinite(smoothing) or smoothing < 0:
        raise InvalidValueError(f"smoothing must be a finite number ≥ 0, got {smoothing!r}")
    return float(smoothing)


def _check_specials(*symbols: str | None) -> tuple[str, ...]:
    present = [symbol for symbol in symbols if symbol is not None]
    for symbol in present:
        if not isinstance(symbol, str) or symbol == "":
            raise InvalidValueError(
                f"bos, eos and unk must be non-empty strings or None, got {symbol!r}"
            )
    if len(set(present)) != len(present):
        raise InvalidValueError(f"bos, eos and unk must differ, got {present}")
    return tuple(present)


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
