"""Estimating a bigram model from tokenized sentences: the vocabulary (with rare words as
unk) and the pair counts, for maximum likelihood or add-k smoothing."""

from collections.abc import Sequence

import numpy as np

from rnnlab.bigram.counts import CountProbabilities, pairs, tally
from rnnlab.bigram.text import Tokens
from rnnlab.bigram.vocabulary import Vocabulary, check_specials
from rnnlab.errors import InvalidValueError
from rnnlab.validation import real_number, whole_number


def estimate(
    sentences: "Sequence[Sequence[str]] | Tokens",
    smoothing: float = 0.0,
    bos: str | None = "<s>",
    eos: str | None = "</s>",
    unk: str | None = "<unk>",
    min_count: int = 1,
) -> tuple[Vocabulary, CountProbabilities]:
    """The vocabulary and counts of ``BigramLM.estimate`` (whose docstring says the rules)."""
    import rnnlab.bigram.kernels as kernels  # numba, loaded on first use

    text = Tokens.from_sentences(sentences)
    smoothing = real_number("smoothing", smoothing, least=0)
    min_count = whole_number("min_count", min_count, least=1)
    check_specials(bos, eos, unk)
    if min_count > 1 and unk is None:
        raise InvalidValueError(
            f"min_count={min_count} maps rare words to the unknown-word token, but unk is None"
        )
    if text.token_count() == 0:
        raise InvalidValueError("the corpus is empty: no sentence has a token")
    # One compiled pass over the bytes: a new word gets the next id as it is first met.
    first_ids, first_use = kernels.first_ids(text.data, text.starts, text.ends)
    words = text.words(first_use)
    _refuse_boundary_symbols(text, words, first_use, bos, eos)
    frequency = np.bincount(first_ids, minlength=len(words))
    keep = frequency >= min_count
    if unk is not None and unk in words:
        keep[words.index(unk)] = False  # the text's own unk token is the model's unk
    order = np.flatnonzero(keep)[np.argsort(-frequency[keep], kind="stable")]
    specials = [symbol for symbol in (bos, eos, unk) if symbol is not None]
    vocabulary = Vocabulary([*specials, *(words[i] for i in order)], bos, eos, unk)
    new_id = np.full(len(words), -1 if unk is None else vocabulary.id(unk), dtype=np.int64)
    new_id[order] = np.arange(len(specials), len(vocabulary))
    ids = new_id[first_ids]
    start, end = vocabulary.id(bos), vocabulary.id(eos)
    keys, counts = tally(*pairs(ids, text.lengths, start, end), len(vocabulary))
    return vocabulary, CountProbabilities(len(vocabulary), keys, counts, smoothing, start)


def _refuse_boundary_symbols(
    text: Tokens, words: list[str], first_use: np.ndarray, *symbols: str | None
) -> None:
    """A sentence boundary symbol inside the text would be counted as a word: refuse it."""
    for symbol in symbols:
        if symbol is not None and symbol in words:
            token = int(first_use[words.index(symbol)])
            sentence = int(np.searchsorted(np.cumsum(text.lengths), token, side="right"))
            raise InvalidValueError(
                f"the token {symbol!r} occurs in sentence {sentence + 1}, but it is the model's "
                "sentence boundary symbol; remove it or choose another bos/eos"
            )
