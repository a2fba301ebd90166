"""ARPA export: a bigram model in the text format that KenLM, SRILM and NLTK-era tools read.

An ARPA reader scores a pair (c, w) with the listed bigram's probability when the file
lists it, and otherwise backs off: log10 Pr(w | c) = log10 b(c) + log10 Pr₁(w), with b(c)
the backoff weight on c's unigram line and Pr₁(w) w's unigram probability. The export
uses the model's backoff form (BigramLM.backoff_form) as it is:

- \\2-grams: every listed pair (for an estimated model, every pair seen in training)
  with its log10 Pr(w | c) from the model.
- \\1-grams: Pr₁ is uniform, 1/V' over the V' predictable words, and the start symbol
  gets log10 0. Every other word of a context c has one probability rest(c) in the
  model (k/(C(c) + k·V') under add-k), so b(c) = V'·rest(c) makes the reader's backoff
  score equal to the model's for unlisted pairs too.

So an ARPA reader's log10 score equals the model's for every pair of vocabulary words,
up to the 17 significant digits written (KenLM itself keeps float32, about 7). What
ARPA cannot say exactly: log10 0. The file writes −99 (10⁻⁹⁹, the usual stand-in) for
the start symbol and, under maximum likelihood, for b(c) of a context whose seen pairs
take all its mass, so an unseen pair scores about −99 − log10 V' instead of −∞. A word
outside the vocabulary is the unknown-word token's business: KenLM maps it to ``<unk>``,
so write models with unk="<unk>" (the default) and bos/eos "<s>"/"</s>", the names KenLM
uses for its own sentence boundaries.
"""

import os

import numpy as np

from rnnlab.bigram.model import BigramLM
from rnnlab.errors import InvalidValueError
from rnnlab.files import write_atomic

LOG10_ZERO = -99.0
"""What the file writes for log10 0, which ARPA cannot express."""


def to_arpa(lm: BigramLM) -> str:
    """The model as the text of an ARPA file (unigrams with backoff weights, bigrams)."""
    if lm.vocab is None:
        raise InvalidValueError("ARPA export needs a model with a vocabulary of words")
    spaced = next((word for word in lm.vocab if word.split() != [word]), None)
    if spaced is not None:
        raise InvalidValueError(
            f"the word {spaced!r} is empty or holds whitespace, which ARPA uses as separator"
        )
    form = lm.backoff_form()
    predictable = int(form.predictable.sum())
    unigram = np.where(form.predictable, _log10(np.array([1.0 / predictable])), LOG10_ZERO)
    backoff = _log10(form.rest * predictable)
    bigram = _log10(form.probabilities)
    lines = [
        "\\data\\",
        f"ngram 1={lm.size}",
        f"ngram 2={len(bigram)}",
        "",
        "\\1-grams:",
    ]
    lines += [
        f"{p!r}\t{word}\t{b!r}"
        for p, word, b in zip(unigram.tolist(), lm.vocab, backoff.tolist(), strict=True)
    ]
    lines += ["", "\\2-grams:"]
    vocab = lm.vocab
    lines += [
        f"{p!r}\t{vocab[c]} {vocab[w]}"
        for p, c, w in zip(
            bigram.tolist(), form.contexts.tolist(), form.words.tolist(), strict=True
        )
    ]
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def write_arpa(lm: BigramLM, path: "str | os.PathLike[str]") -> None:
    """Write ``to_arpa(lm)`` to ``path``, whole or not at all."""
    write_atomic(path, to_arpa(lm))


def _log10(values: np.ndarray) -> np.ndarray:
    """log10, with log10 0 written as LOG10_ZERO; the values' repr is the shortest text
    that reads back as the same float64."""
    with np.errstate(divide="ignore"):
        logs = np.log10(values)
    return np.maximum(logs, LOG10_ZERO)
