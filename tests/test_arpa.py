"""ARPA export: read back by a small ARPA reader written here, and by KenLM where installed."""

import math
import random

import pytest

from rnnlab import BigramLM, InvalidValueError
from rnnlab.bigram.arpa import LOG10_ZERO, to_arpa, write_arpa


def corpus(seed: int, sentences: int, words: int) -> list[list[str]]:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(words)]
    weights = [1 / (i + 1) for i in range(words)]
    return [rng.choices(vocabulary, weights, k=rng.randint(1, 10)) for _ in range(sentences)]


class ArpaReader:
    """A bigram ARPA file read by the textbook rule: a listed bigram's own log10
    probability, else the context's backoff weight plus the word's unigram log10 probability."""

    def __init__(self, text: str) -> None:
        self.counts: dict[int, int] = {}
        self.unigram: dict[str, float] = {}
        self.backoff: dict[str, float] = {}
        self.bigram: dict[tuple[str, str], float] = {}
        section = None
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith("\\"):
                section = line
                continue
            if section == "\\data\\":
                order, count = line.removeprefix("ngram ").split("=")
                self.counts[int(order)] = int(count)
            elif section == "\\1-grams:":
                fields = line.split("\t")
                self.unigram[fields[1]] = float(fields[0])
                self.backoff[fields[1]] = float(fields[2]) if len(fields) > 2 else 0.0
            elif section == "\\2-grams:":
                probability, words = line.split("\t")
                context, word = words.split(" ")
                self.bigram[context, word] = float(probability)
        assert section == "\\end\\"

    def log10(self, context: str, word: str) -> float:
        if (context, word) in self.bigram:
            return self.bigram[context, word]
        return self.backoff[context] + self.unigram[word]


def test_the_file_has_its_sections_and_counts():
    lm = BigramLM.estimate([["a", "b", "a"], ["b", "b"]])
    reader = ArpaReader(to_arpa(lm))
    assert reader.counts == {1: 5, 2: 7}
    assert len(reader.unigram) == 5 and len(reader.bigram) == 7
    assert reader.unigram["<s>"] == LOG10_ZERO
    # Uniform over the 4 predictable types.
    assert reader.unigram["a"] == pytest.approx(math.log10(1 / 4))
    assert reader.bigram["b", "a"] == pytest.approx(math.log10(1 / 3))


@pytest.mark.parametrize("smoothing", [0.05, 1.0])
def test_with_add_k_every_pair_reads_back_exactly(smoothing):
    lm = BigramLM.estimate(corpus(1, 200, 25), smoothing=smoothing, min_count=2)
    reader = ArpaReader(to_arpa(lm))
    for context in lm.vocab:
        for word in lm.vocab:
            if word == "<s>":
                continue  # never predicted: 10^-99 in the file, 0 in the model
            assert reader.log10(context, word) == pytest.approx(
                math.log10(lm.probability([context, word])), abs=1e-12
            ), (context, word)


def test_with_maximum_likelihood_seen_pairs_are_exact_and_unseen_are_near_zero():
    lm = BigramLM.estimate(corpus(2, 200, 25), min_count=2)
    reader = ArpaReader(to_arpa(lm))
    for context in lm.vocab:
        for word in lm.vocab:
            probability = lm.probability([context, word])
            if probability > 0:
                assert reader.log10(context, word) == pytest.approx(
                    math.log10(probability), abs=1e-12
                ), (context, word)
            else:
                assert reader.log10(context, word) <= LOG10_ZERO


def test_words_with_whitespace_cannot_be_written():
    lm = BigramLM.estimate([["new york", "city"]])
    with pytest.raises(InvalidValueError, match="'new york'"):
        to_arpa(lm)


def test_kenlm_scores_sentences_as_the_model_does(tmp_path):
    kenlm = pytest.importorskip(
        "kenlm", reason="kenlm is not installed (pip install kenlm compiles it from source)"
    )
    train = corpus(3, 300, 40)
    held_out = corpus(4, 60, 50)  # w40…w49 are new: KenLM and the model both use <unk>
    for smoothing in (0.0, 0.5):
        lm = BigramLM.estimate(train, smoothing=smoothing, min_count=2)
        path = tmp_path / f"model-{smoothing}.arpa"
        write_arpa(lm, path)
        model = kenlm.Model(str(path))
        sentences = train[:60] if smoothing == 0 else held_out  # MLE: seen pairs only
        for sentence in sentences:
            ours = lm.score([sentence]).log10_probability
            theirs = model.score(" ".join(sentence), bos=True, eos=True)
            # KenLM keeps float32 probabilities: about 7 significant digits.
            assert theirs == pytest.approx(ours, rel=1e-6, abs=1e-5), sentence
