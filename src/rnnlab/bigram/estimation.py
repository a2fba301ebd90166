"""Estimating a bigram model from tokenized sentences: the vocabulary (with rare words as
unk) and the pair counts, for maximum likelihood or add-k smoothing."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import chain, count

import numpy as np

from rnnlab.bigram.counts import CountProbabilities, key_dtype, pair_keys, tally
from rnnlab.bigram.sequences import check_sentences
from rnnlab.bigram.vocabulary import Vocabulary, check_specials, check_tokens_are_strings
from rnnlab.errors import InvalidValueError
from rnnlab.validation import real_number, whole_number


def estimate(
    sentences: Iterable[Sequence[str]], smoothing: float, specials: tuple, min_count: int
) -> tuple[Vocabulary, CountProbabilities]:
    """The vocabulary and counts of ``BigramLM.estimate`` (whose docstring says the rules
    and the defaults); ``specials`` are its (bos, eos, unk)."""
    bos, eos, unk = specials
    sentences, lengths = check_sentences(sentences)
    smoothing = real_number("smoothing", smoothing, least=0)
    min_count = whole_number("min_count", min_count, least=1)
    check_specials(bos, eos, unk)
    if min_count > 1 and unk is None:
        raise InvalidValueError(
            f"min_count={min_count} maps rare words to the unknown-word token, but unk is None"
        )
    total = int(lengths.sum())
    if total == 0:
        raise InvalidValueError("the corpus is empty: no sentence has a token")
    word_ids, first_use = _first_use(sentences, total)
    words = list(first_use)  # word i of the text's own numbering
    _refuse_boundary_symbols(first_use, word_ids, lengths, bos, eos)
    frequency = np.bincount(word_ids, minlength=len(words))
    keep = frequency >= min_count
    if unk is not None and unk in first_use:
        # The text's own unk token is the model's unk.
        keep[first_use[unk]] = False
    order = np.flatnonzero(keep)[np.argsort(-frequency[keep], kind="stable")]
    specials = [symbol for symbol in (bos, eos, unk) if symbol is not None]
    vocabulary = Vocabulary([*specials, *(words[i] for i in order)], bos, eos, unk)
    V, start, end = len(vocabulary), vocabulary.id(bos), vocabulary.id(eos)
    new_id = np.full(len(words), -1 if unk is None else vocabulary.id(unk), dtype=key_dtype(V))
    new_id[order] = np.arange(len(specials), V)
    ids = new_id[word_ids]  # already of the keys' dtype: pair_keys makes no copy
    keys, counts = tally(pair_keys(ids, lengths, start, end, V))
    return vocabulary, CountProbabilities(V, keys, counts, smoothing, start)


def _first_use(sentences: list, total: int) -> tuple[np.ndarray, dict[str, int]]:
    """Each of the ``total`` tokens as the number of its word (T,), words numbered 0, 1, …
    in order of first use; and that numbering, word → number."""
    first_use: defaultdict[str, int] = defaultdict(count().__next__)
    tokens = chain.from_iterable(sentences)
    try:
        # One pass in C: a word seen before reads its number, a new word takes the next one
        # (the defaultdict's factory), so no Python code runs per token. int64: the dtype
        # np.bincount counts without a cast.
        word_ids = np.fromiter(map(first_use.__getitem__, tokens), np.int64, total)
    except TypeError:  # an unhashable token (a list)
        check_tokens_are_strings(chain.from_iterable(sentences))
        raise
    check_tokens_are_strings(first_use)
    return word_ids, first_use


def _refuse_boundary_symbols(
    first_use: dict[str, int], word_ids: np.ndarray, lengths: np.ndarray, *symbols: str | None
) -> None:
    """A sentence boundary symbol inside the text would be counted as a word: refuse it."""
    for symbol in symbols:
        if symbol is not None and symbol in first_use:
            where = int(np.argmax(word_ids == first_use[symbol]))  # its first token
            sentence = int(np.searchsorted(np.cumsum(lengths), where, side="right"))
            raise InvalidValueError(
                f"the token {symbol!r} occurs in sentence {sentence + 1}, but it is the model's "
                "sentence boundary symbol; remove it or choose another bos/eos"
            )
