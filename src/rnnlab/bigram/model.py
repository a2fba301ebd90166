"""BigramLM, the model facade: a bigram language model over V word types, whatever holds
its probabilities (a table T or sparse counts, behind rnnlab.bigram.api.Probabilities).

Scores are summed in log space (float64), so a long sequence gives a finite log
probability. Scoring many sequences — ``perplexity``, ``score`` — goes through one
vectorised path: token ids (one dict), then the keys of the (context, word) pairs to
predict, counted (numpy), then the log probability of each distinct pair once.
"""

import math
import numbers
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

import rnnlab.bigram.fileformat as fileformat
import rnnlab.model.bigram_rnn as construction
from rnnlab.bigram.api import BackoffForm, Probabilities
from rnnlab.bigram.counts import pair_keys, tally
from rnnlab.bigram.estimation import estimate
from rnnlab.bigram.sampling import sample_ids
from rnnlab.bigram.sequences import check_sentences, sequence_ids
from rnnlab.bigram.table import TableProbabilities
from rnnlab.bigram.vocabulary import Vocabulary
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.model import display
from rnnlab.model.rnn import ElmanRNN
from rnnlab.validation import check_stochastic, whole_number


@dataclass(frozen=True)
class TextScore:
    """How well a model predicts sentences (``BigramLM.score``, ``perplexity``).

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


class BigramLM:
    """A bigram language model over V types, from its table T (V, V), T[i, j] = Pr(v_j | v_i).

    A sequence may be given as one-hot rows (N, V), as token ids, or, with ``vocab``, as
    tokens (strings). ``bos``, ``eos``, ``unk`` name the vocabulary's start, end and
    unknown-word symbols, where it has them. ``BigramLM.estimate`` builds a model from
    tokenized sentences; it and ``load`` pass their sparse counts as ``probabilities``
    in place of T.
    """

    def __init__(
        self,
        T: object = None,
        vocab: Sequence[str] | None = None,
        *,
        bos: str | None = None,
        eos: str | None = None,
        unk: str | None = None,
        probabilities: Probabilities | None = None,
    ) -> None:
        if (T is None) == (probabilities is None):
            raise InvalidValueError("give a table T or probabilities, exactly one of them")
        if probabilities is None:
            probabilities = TableProbabilities(check_stochastic(T))
        self._probabilities = probabilities
        if vocab is None and (bos, eos, unk) != (None, None, None):
            raise InvalidValueError("bos, eos and unk name words of a vocab; give vocab too")
        self._vocabulary = (
            None if vocab is None else Vocabulary(vocab, bos, eos, unk, probabilities.size)
        )

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
        ``sentences``: lists of str, e.g. ``rnnlab.bigram.text.sentences(text)``.
        """
        vocabulary, counts = estimate(sentences, smoothing, (bos, eos, unk), min_count)
        return cls._of(counts, vocabulary)

    @property
    def size(self) -> int:
        """V, the number of word types."""
        return self._probabilities.size

    @property
    def vocab(self) -> tuple[str, ...] | None:
        """The word of each id, or None for a model of ids only."""
        return None if self._vocabulary is None else self._vocabulary.tokens

    @property
    def bos(self) -> str | None:
        return None if self._vocabulary is None else self._vocabulary.bos

    @property
    def eos(self) -> str | None:
        return None if self._vocabulary is None else self._vocabulary.eos

    @property
    def unk(self) -> str | None:
        return None if self._vocabulary is None else self._vocabulary.unk

    @property
    def smoothing(self) -> float:
        """k of add-k smoothing; 0 is maximum likelihood (and for a model given by its T)."""
        return self._probabilities.smoothing

    def unseen_share(self) -> float:
        """The share of Pr(next word) that smoothing gives to pairs never seen in the text,
        averaged over the contexts as often as the text has them: how flat the model is.
        0 for maximum likelihood and for a model given by its T."""
        return self._probabilities.unseen_share()

    @cached_property
    def T(self) -> torch.Tensor:
        """The dense table (V, V), T[i, j] = Pr(v_j | v_i); built for V ≤ DENSE_LIMIT."""
        return self._probabilities.dense()

    def _repr_html_(self) -> "str | None":
        """Jupyter shows the model as its table T, words naming the rows and columns."""
        return display.html(self)

    def _corner(self, size: int) -> torch.Tensor:
        """T's first ``size`` rows and columns (what Jupyter shows of a large model), without
        building the dense T."""
        ids = np.arange(size)
        rows = self._probabilities.log_probs(np.repeat(ids, size), np.tile(ids, size))
        return torch.from_numpy(np.exp(rows).reshape(size, size))

    def __repr__(self) -> str:
        words = "" if self.vocab is None else f", vocab={list(self.vocab[:5])}"
        return f"BigramLM(V={self.size}{words}{'…' if words and self.size > 5 else ''})"

    def ids(self, seq: object) -> torch.Tensor:
        """The token ids (N,) of one sequence given as one-hot rows, ids or tokens."""
        return sequence_ids(seq, self.size, self._vocabulary)

    def log_probability(self, seq: object) -> float:
        """ln Pr(w_2 … w_N | w_1), summed in float64."""
        ids = self.ids(seq).numpy()
        return float(self._probabilities.log_probs(ids[:-1], ids[1:]).sum())

    def probability(self, seq: object) -> float:
        """Pr(w_2 … w_N | w_1); ``probability([c, w])`` is Pr(w | c)."""
        return math.exp(self.log_probability(seq))

    def perplexity(self, sequences: Iterable[object], boundaries: bool = False) -> float:
        """exp(−(Σ log probability) / (number of predicted tokens)) over a list of sequences.

        boundaries=False (the lab's convention): each sequence is taken as it is, its first
        token context only. boundaries=True: each is read as ``bos w_1 … w_n eos`` with
        the model's symbols, as ``score`` reads sentences, and gives ``score``'s
        perplexity. Sequences may be tokens, token ids or one-hot rows.
        """
        if isinstance(sequences, str | torch.Tensor):
            raise InvalidTypeError(
                "perplexity takes a list of sequences; wrap a single sequence in a list"
            )
        if not isinstance(sequences, Iterable):
            raise InvalidTypeError(f"perplexity takes a list of sequences, got {sequences!r:.80}")
        sequences = list(sequences)
        first = sequences[0] if len(sequences) else None
        if isinstance(first, str | numbers.Integral):
            raise InvalidTypeError(
                "perplexity takes a list of sequences, got a list of tokens; "
                "wrap a single sequence in a list"
            )
        if isinstance(first, list | tuple) and first and isinstance(first[0], str):
            if self._vocabulary is None:
                self.ids(first)  # refused: words without a vocab, named
            return self._score_text(sequences, boundaries).perplexity
        ids = [self.ids(seq).numpy() for seq in sequences]
        lengths = np.array([len(seq) for seq in ids], dtype=np.int64)
        ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        return self._score_ids(ids, lengths, boundaries).perplexity

    def score(
        self,
        sentences: Iterable[Sequence[str]],
        rnn: ElmanRNN | None = None,
        boundaries: bool = True,
    ) -> TextScore:
        """The log probability and perplexity of held-out sentences of tokens.

        boundaries=True (the convention of SRILM, KenLM and NLTK's padded pipeline): each
        sentence is read as ``bos w_1 … w_n eos`` with the symbols the model has.
        boundaries=False: each is taken as it is, its first token context only, as
        ``perplexity`` does by default. Words outside the vocabulary count as ``unk``, or
        raise InvalidValueError where the model has none. ``sentences``: lists of str,
        e.g. ``rnnlab.bigram.text.sentences(text)``.

        With ``rnn``, the probabilities are read off that RNN's outputs ŷ_t instead
        (rnnlab.model.bigram_rnn.rnn_log_probs): ``score(sentences, rnn=lm.to_rnn())`` runs the
        text through the bigram RNN.
        """
        return self._score_text(sentences, boundaries, rnn)

    def _score_text(
        self, sentences: object, boundaries: bool, rnn: ElmanRNN | None = None
    ) -> TextScore:
        sentences, lengths = check_sentences(sentences)
        ids, unknown = self._need_vocabulary().text_ids(sentences, lengths)
        return self._score_ids(ids, lengths, boundaries, unknown, rnn)

    def _score_ids(
        self,
        ids: np.ndarray,
        lengths: np.ndarray,
        boundaries: bool,
        unknown: int = 0,
        rnn: ElmanRNN | None = None,
    ) -> TextScore:
        """The score of sentences laid end to end in ids (T,), lengths (S,)."""
        if not isinstance(boundaries, bool):
            raise InvalidTypeError(f"boundaries is {boundaries!r}, expected True or False")
        symbols = (self.bos, self.eos) if boundaries else (None, None)
        vocabulary = self._vocabulary
        start, end = (None, None) if vocabulary is None else map(vocabulary.id, symbols)
        keys = pair_keys(ids, lengths, start, end, self.size)
        if len(keys) == 0:
            raise InvalidValueError(
                "no token to predict: at least one predicted token is needed (a sequence of "
                "two or more tokens, or sentences between start and end symbols)"
            )
        # Each distinct pair is scored once, and counted as often as it occurs.
        keys, multiplicity = tally(keys)
        contexts, words = np.divmod(keys, self.size)
        if rnn is None:
            log_probs = self._probabilities.log_probs(contexts, words)
        else:
            log_probs = construction.rnn_log_probs(rnn, contexts, words, self.size)
        log_probability = float(log_probs @ multiplicity)
        return TextScore(log_probability, int(multiplicity.sum()), len(lengths), unknown)

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
        length = whole_number("length", length, least=1)
        start = self.bos if start is None else start
        first = None if start is None else int(self.ids([start])[0])
        uniforms = torch.rand(length, dtype=torch.float64, generator=generator)
        ids = sample_ids(self._probabilities, uniforms, length, first, None)
        return torch.from_numpy(ids) if self.vocab is None else [self.vocab[i] for i in ids]

    def sample_sentence(
        self, max_length: int = 100, generator: torch.Generator | None = None
    ) -> list[str]:
        """A sentence drawn from the model: from the start symbol until the end symbol.

        Returns its words without bos and eos; stops after ``max_length`` words if no end
        symbol was drawn (or the model has none). Without bos the first word is uniform.
        """
        vocabulary = self._vocabulary
        if vocabulary is None:
            raise InvalidValueError("sample_sentence needs a model with a vocabulary of words")
        max_length = whole_number("max_length", max_length, least=1)
        start, end = vocabulary.id(self.bos), vocabulary.id(self.eos)
        uniforms = torch.rand(max_length + 1, dtype=torch.float64, generator=generator)
        length = max_length + (start is not None)
        ids = sample_ids(self._probabilities, uniforms, length, start, end)
        return [self.vocab[i] for i in ids[start is not None :]]

    def backoff_form(self) -> BackoffForm:
        """The model as its listed pairs plus one probability per context for the rest."""
        keys, probabilities, rest = self._probabilities.backoff_keys()
        contexts, words = np.divmod(keys, self.size)
        predictable = np.ones(self.size, dtype=bool)
        if self.bos is not None:
            predictable[self._vocabulary.id(self.bos)] = False
        return BackoffForm(contexts, words, probabilities, rest, predictable)

    def to_rnn(self) -> ElmanRNN:
        """The RNN that computes this model's table rows: rnnlab.model.bigram_rnn.bigram_rnn(T)."""
        return construction.bigram_rnn(self.T)

    def file_bytes(self) -> bytes:
        """The contents of the model file ``save`` writes."""
        return fileformat.encode(self._probabilities, self._vocabulary)

    def save(self, path: "str | os.PathLike[str]") -> None:
        """Write the model to ``path`` in the format of docs/bigram-format.md (an .npz file)."""
        fileformat.write(path, self._probabilities, self._vocabulary)

    @classmethod
    def load(cls, path: "str | os.PathLike[str]") -> "BigramLM":
        """A model written by ``save``; a damaged file or another format raises
        InvalidValueError naming the file."""
        return cls._of(*fileformat.read(path))

    @classmethod
    def _of(cls, probabilities: Probabilities, vocabulary: Vocabulary | None) -> "BigramLM":
        """A model of probabilities and a vocabulary that were checked where they were made."""
        lm = cls.__new__(cls)
        lm._probabilities, lm._vocabulary = probabilities, vocabulary
        return lm

    def _need_vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            raise InvalidValueError(
                "tokens given as strings need a vocab: BigramLM(T, vocab=[...])"
            )
        return self._vocabulary
