"""BigramLM.estimate and the text workflow: hand-derived values, NLTK's models, sampling."""

import itertools
import math
import random
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from nltk.lm import MLE, Lidstone, Vocabulary
from nltk.lm.preprocessing import padded_everygram_pipeline
from nltk.util import bigrams

from rnnlab import BigramLM, ElmanRNN, InvalidTypeError, InvalidValueError, bigram_rnn
from rnnlab.bigram import DENSE_LIMIT, TextScore

TINY = [["a", "b", "a"], ["b", "b"]]


def random_corpus(seed: int, sentences: int, words: int = 30) -> list[list[str]]:
    """Sentences of 1–12 words drawn with Zipf-like weights, so some words are rare."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(words)]
    weights = [1 / (i + 1) for i in range(words)]
    return [rng.choices(vocabulary, weights, k=rng.randint(1, 12)) for _ in range(sentences)]


def probability_fraction(lm: BigramLM, context: str, word: str) -> Fraction:
    return Fraction(lm.probability([context, word])).limit_denominator(1000)


def test_maximum_likelihood_by_hand():
    lm = BigramLM.estimate(TINY)
    # Specials first, then words by frequency: b three times, a twice.
    assert lm.vocab == ("<s>", "</s>", "<unk>", "b", "a")
    # Pairs: <s> a, a b, b a, a </s> | <s> b, b b, b </s>.
    expected = {
        ("<s>", "a"): Fraction(1, 2),
        ("<s>", "b"): Fraction(1, 2),
        ("a", "b"): Fraction(1, 2),
        ("a", "</s>"): Fraction(1, 2),
        ("b", "a"): Fraction(1, 3),
        ("b", "b"): Fraction(1, 3),
        ("b", "</s>"): Fraction(1, 3),
        ("a", "a"): 0,
        ("b", "<unk>"): 0,
    }
    for (context, word), probability in expected.items():
        assert probability_fraction(lm, context, word) == probability, (context, word)
    assert lm.smoothing == 0.0


def test_add_k_by_hand():
    lm = BigramLM.estimate(TINY, smoothing=1)
    # V' = 4 predictable types: </s>, <unk>, b, a (never <s>).
    assert probability_fraction(lm, "<s>", "a") == Fraction(1 + 1, 2 + 4)
    assert probability_fraction(lm, "<s>", "</s>") == Fraction(0 + 1, 2 + 4)
    assert probability_fraction(lm, "b", "a") == Fraction(1 + 1, 3 + 4)
    assert probability_fraction(lm, "b", "<unk>") == Fraction(0 + 1, 3 + 4)
    assert lm.probability(["b", "<s>"]) == 0


def test_an_unseen_context_predicts_uniformly_under_maximum_likelihood():
    # <unk> never occurs (min_count=1) and </s> is never a context: no counts in either row.
    lm = BigramLM.estimate(TINY)
    for context in ("<unk>", "</s>"):
        for word in ("</s>", "<unk>", "b", "a"):
            assert probability_fraction(lm, context, word) == Fraction(1, 4)
        assert lm.probability([context, "<s>"]) == 0


def test_min_count_maps_rare_words_to_unk():
    lm = BigramLM.estimate([["a", "b", "a"], ["b", "c"]], min_count=2)
    assert lm.vocab == ("<s>", "</s>", "<unk>", "a", "b")
    # c (seen once) is <unk>: pairs from b are b a, b <unk>.
    assert probability_fraction(lm, "b", "<unk>") == Fraction(1, 2)
    score = lm.score([["a", "c", "zzz"]])
    assert score.unknown == 2


def test_symbols_can_be_turned_off():
    lm = BigramLM.estimate(TINY, bos=None, eos=None, unk=None)
    assert lm.vocab == ("b", "a")
    # Pairs: a b, b a, b b: the first word of a sentence is context only.
    assert probability_fraction(lm, "a", "b") == 1
    assert probability_fraction(lm, "b", "a") == Fraction(1, 2)


def test_score_by_hand():
    lm = BigramLM.estimate(TINY)
    score = lm.score([["a", "b"], ["b"]])
    # <s> a b </s>: 1/2 · 1/2 · 1/3;  <s> b </s>: 1/2 · 1/3.
    expected = math.log(1 / 2 * 1 / 2 * 1 / 3 * 1 / 2 * 1 / 3)
    assert score == TextScore(
        log_probability=pytest.approx(expected, abs=1e-12), predicted=5, sentences=2, unknown=0
    )
    assert score.perplexity == pytest.approx(math.exp(-expected / 5))
    assert score.log10_probability == pytest.approx(expected / math.log(10))


def test_an_unknown_word_scores_as_unk():
    lm = BigramLM.estimate(TINY, smoothing=1)
    score = lm.score([["a", "zebra"]])
    expected = math.log(Fraction(2, 6) * Fraction(1, 6) * Fraction(1, 4))  # <s> a <unk> </s>
    assert score.log_probability == pytest.approx(expected)
    assert score.unknown == 1


@pytest.mark.parametrize("min_count", [1, 2])
def test_maximum_likelihood_agrees_with_nltk(min_count):
    train = random_corpus(seed=1, sentences=300)
    ours = BigramLM.estimate(train, unk="<UNK>", min_count=min_count)
    # NLTK's usual pipeline pads each sentence with <s> … </s> as our bos/eos do.
    text, vocabulary_text = padded_everygram_pipeline(2, train)
    theirs = MLE(2, vocabulary=Vocabulary(unk_cutoff=min_count))
    theirs.fit(text, vocabulary_text)
    assert set(theirs.vocab) == set(ours.vocab)
    for context in ours.vocab:
        if context in ("</s>", "<UNK>") and theirs.counts[[context]].N() == 0:
            continue  # NLTK gives 0 for every word of an unseen context; we predict uniformly
        for word in ours.vocab:
            assert ours.probability([context, word]) == pytest.approx(
                theirs.score(word, [context]), abs=1e-12
            ), (context, word)
    held_out = train[:40]
    ngrams = [pair for sentence in held_out for pair in bigrams(["<s>", *sentence, "</s>"])]
    assert ours.score(held_out).perplexity == pytest.approx(theirs.perplexity(ngrams), rel=1e-10)


@pytest.mark.parametrize("gamma", [0.1, 1.0])
def test_add_k_agrees_with_nltk_lidstone(gamma):
    train = random_corpus(seed=2, sentences=300)
    held_out = random_corpus(seed=3, sentences=50, words=40)  # w30…w39 are never seen
    ours = BigramLM.estimate(train, smoothing=gamma, bos=None, unk="<UNK>", min_count=2)
    # Alignment: NLTK's Lidstone divides by C(c) + γ·|vocab|, and its padded pipeline puts
    # <s> in the vocabulary, so it would count <s> as a word to predict. Our bos is never
    # predicted; so compare the model without bos against NLTK fitted on sentences padded
    # on the right only. Both then predict the same V' types: the words, </s>, <UNK>.
    vocabulary = Vocabulary(
        [word for sentence in train for word in [*sentence, "</s>"]], unk_cutoff=2
    )
    theirs = Lidstone(gamma, 2, vocabulary=vocabulary)
    theirs.fit([list(bigrams([*sentence, "</s>"])) for sentence in train])
    assert len(theirs.vocab) == ours.size
    for context in ours.vocab:
        for word in ours.vocab:
            assert ours.probability([context, word]) == pytest.approx(
                theirs.score(word, [context]), abs=1e-12
            ), (context, word)
    ngrams = [pair for sentence in held_out for pair in bigrams([*sentence, "</s>"])]
    score = ours.score(held_out)
    assert score.unknown > 0
    assert score.predicted == len(ngrams)
    assert score.perplexity == pytest.approx(theirs.perplexity(ngrams), rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    smoothing=st.sampled_from([0.0, 0.01, 0.5, 2.0]),
    symbols=st.sampled_from(
        [("<s>", "</s>", "<unk>"), (None, "</s>", "<unk>"), (None, None, None)]
    ),
)
def test_every_conditional_distribution_sums_to_one(seed, smoothing, symbols):
    bos, eos, unk = symbols
    lm = BigramLM.estimate(
        random_corpus(seed, sentences=20, words=8), smoothing=smoothing, bos=bos, eos=eos, unk=unk
    )
    V = lm.size
    # Through the sparse lookup, pair by pair: every context, every word.
    contexts = np.repeat(np.arange(V), V)
    words = np.tile(np.arange(V), V)
    sums = np.zeros(V)
    for c, w in zip(contexts, words, strict=True):
        sums[c] += lm.probability(torch.tensor([c, w]))
    assert sums == pytest.approx(np.ones(V), abs=1e-12)
    assert lm.T.sum(dim=1).numpy() == pytest.approx(np.ones(V), abs=1e-12)
    assert lm.T[torch.from_numpy(contexts), torch.from_numpy(words)].numpy() == pytest.approx(
        [lm.probability(torch.tensor([c, w])) for c, w in zip(contexts, words, strict=True)]
    )


@settings(max_examples=40, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from("abcd"), max_size=5), min_size=1, max_size=8).filter(
        lambda corpus: any(corpus)
    ),
    bos=st.sampled_from(["<s>", None]),
    eos=st.sampled_from(["</s>", None]),
)
def test_maximum_likelihood_equals_counting_pairs_by_hand(corpus, bos, eos):
    # Empty sentences included: with bos and eos each is the pair (<s>, </s>).
    counts: dict[tuple[str, str], int] = {}
    for sentence in corpus:
        padded = ([bos] if bos else []) + sentence + ([eos] if eos else [])
        for pair in itertools.pairwise(padded):
            counts[pair] = counts.get(pair, 0) + 1
    lm = BigramLM.estimate(corpus, bos=bos, eos=eos, unk=None)
    for context in lm.vocab:
        total = sum(n for (c, _), n in counts.items() if c == context)
        for word in lm.vocab:
            if total:
                expected = Fraction(counts.get((context, word), 0), total)
            else:  # an unseen context predicts uniformly over all types but <s>
                expected = Fraction(0 if word == bos else 1, lm.size - (bos is not None))
            assert probability_fraction(lm, context, word) == expected, (context, word)


def chi_square_critical(df: int, alpha: float = 0.001) -> float:
    """The upper-α point of χ²(df) by the Wilson–Hilferty cube-root normal approximation,
    within about 1% of the exact value for df ≥ 3 (e.g. df = 6: 22.46 exact, 22.37 here)."""
    z = NormalDist().inv_cdf(1 - alpha)
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def transition_chi_square(ids: np.ndarray, T: np.ndarray) -> tuple[float, int]:
    """Pearson's statistic of the observed transitions against T, and its degrees of freedom
    (per visited row, the cells with T > 0, less one)."""
    V = T.shape[0]
    observed = np.bincount(ids[:-1] * V + ids[1:], minlength=V * V).reshape(V, V)
    statistic, df = 0.0, 0
    for i in range(V):
        visits = observed[i].sum()
        if visits == 0:
            continue
        possible = T[i] > 0
        assert observed[i][~possible].sum() == 0, f"row {i} drew a word of probability 0"
        expected = visits * T[i][possible]
        statistic += float(((observed[i][possible] - expected) ** 2 / expected).sum())
        df += int(possible.sum()) - 1
    return statistic, df


def test_chi_square_critical_value_matches_the_table():
    assert chi_square_critical(6) == pytest.approx(22.458, rel=0.01)
    assert chi_square_critical(30) == pytest.approx(59.703, rel=0.01)


def test_samples_from_a_known_table_converge_to_it(generator):
    T = torch.tensor([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5]], dtype=torch.float64)
    ids = BigramLM(T).sample(30_000, start=0, generator=generator).numpy()
    statistic, df = transition_chi_square(ids, T.numpy())
    assert df == 6
    assert statistic < chi_square_critical(df)
    # The same test rejects a table that is slightly off: it has the power to fail.
    wrong = T.clone()
    wrong[1] = torch.tensor([0.15, 0.1, 0.75])
    assert transition_chi_square(ids, wrong.numpy())[0] > chi_square_critical(df)


def test_samples_from_an_estimated_model_converge_to_its_table(generator):
    lm = BigramLM.estimate(random_corpus(4, sentences=40, words=6), smoothing=0.3)
    tokens = lm.sample(60_000, generator=generator)
    assert tokens[0] == "<s>" and "<s>" not in tokens[1:]
    index = {token: i for i, token in enumerate(lm.vocab)}
    ids = np.array([index[token] for token in tokens])
    statistic, df = transition_chi_square(ids, lm.T.numpy())
    assert statistic < chi_square_critical(df)


def test_sample_sentence_draws_from_bos_to_eos(generator):
    lm = BigramLM.estimate([["the", "cat", "sat"], ["the", "dog", "sat"]])
    sentences = {tuple(lm.sample_sentence(generator=generator)) for _ in range(50)}
    assert sentences == {("the", "cat", "sat"), ("the", "dog", "sat")}
    assert len(lm.sample_sentence(max_length=2, generator=generator)) == 2


def test_scoring_through_the_bigram_rnn_equals_the_table():
    train = random_corpus(5, sentences=200, words=50)
    lm = BigramLM.estimate(train, smoothing=0.2, min_count=3)
    held_out = random_corpus(6, sentences=30, words=60)
    by_table = lm.score(held_out)
    by_rnn = lm.score(held_out, rnn=lm.to_rnn())
    assert by_rnn.log_probability == pytest.approx(by_table.log_probability, rel=1e-12)
    # And both against a plain loop over the dense table, pair by pair.
    index = {token: i for i, token in enumerate(lm.vocab)}
    T = lm.T.numpy()
    total = 0.0
    for sentence in held_out:
        ids = [index.get(token, index["<unk>"]) for token in ["<s>", *sentence, "</s>"]]
        total += sum(math.log(T[c, w]) for c, w in itertools.pairwise(ids))
    assert by_table.log_probability == pytest.approx(total, rel=1e-12)


def test_scoring_through_an_rnn_reads_that_rnns_outputs(generator):
    lm = BigramLM.estimate(TINY, smoothing=0.5)
    text = [["a", "b", "b"], ["b", "a"]]
    # Another bigram RNN over the same vocabulary: the score follows its T, not lm's.
    other = torch.rand(lm.size, lm.size, generator=generator, dtype=torch.float64)
    other = other / other.sum(dim=1, keepdim=True)
    expected = BigramLM(other, vocab=lm.vocab).log_probability(["<s>", "a", "b", "b", "</s>"])
    expected += BigramLM(other, vocab=lm.vocab).log_probability(["<s>", "b", "a", "</s>"])
    assert lm.score(text, rnn=bigram_rnn(other)).log_probability == pytest.approx(expected)

    # Memoryless RNNs with dense states, checked against forward_ids step by step.
    U = torch.randn(3, lm.size, generator=generator, dtype=torch.float64)
    W = torch.randn(lm.size, 3, generator=generator, dtype=torch.float64)
    index = {token: i for i, token in enumerate(lm.vocab)}

    def mixing(z):  # σ(0) = 0, but each unit depends on all of them
        return z / (1 + z.abs().sum(-1, keepdim=True))

    cases = (("tanh", "softmax"), ("tanh", "sigmoid"), ("sigmoid", "relu"), (mixing, "sigmoid"))
    for sigma, output_sigma in cases:
        rnn = ElmanRNN(U, torch.zeros(3, 3, dtype=torch.float64), W.abs(), sigma, output_sigma)
        expected = 0.0
        for sentence in text:
            ids = torch.tensor([index[token] for token in ["<s>", *sentence, "</s>"]])
            y_hat = rnn.forward_ids(ids[:-1]).y_hat
            expected += float(torch.log(y_hat[torch.arange(len(ids) - 1), ids[1:]]).sum())
        assert lm.score(text, rnn=rnn).log_probability == pytest.approx(expected, rel=1e-12)


def test_an_rnn_with_memory_cannot_score_pairs():
    lm = BigramLM.estimate(TINY)
    rnn = lm.to_rnn()
    remembering = ElmanRNN(rnn.U, torch.full_like(rnn.V, 0.1), rnn.W, sigma="identity")
    with pytest.raises(InvalidValueError, match="V is not zero"):
        lm.score(TINY, rnn=remembering)


def test_a_large_vocabulary_has_no_dense_table_but_scores():
    words = [[f"w{i}", f"w{i + 1}"] for i in range(DENSE_LIMIT)]
    lm = BigramLM.estimate(words)
    assert lm.size > DENSE_LIMIT
    with pytest.raises(InvalidValueError, match=f"V ≤ {DENSE_LIMIT}"):
        lm.T  # noqa: B018
    with pytest.raises(InvalidValueError, match="dense table"):
        lm.to_rnn()
    # w7 starts one sentence (then w8) and ends another (then </s>).
    assert lm.probability(["w7", "w8"]) == 0.5
    assert lm.sample(3, start="w7", generator=torch.Generator().manual_seed(0))[1] in {
        "w8",
        "</s>",
    }
    expected = math.log(1 / DENSE_LIMIT * 0.5 * 0.5)  # <s> w7, w7 w8, w8 </s>
    assert lm.score([["w7", "w8"]]).log_probability == pytest.approx(expected)


@pytest.mark.parametrize("smoothing", [0.0, 0.5])
def test_save_and_load_round_trip(tmp_path, smoothing):
    train = random_corpus(7, sentences=100)
    lm = BigramLM.estimate(train, smoothing=smoothing, min_count=2)
    path = tmp_path / "model.npz"
    lm.save(path)
    loaded = BigramLM.load(path)
    assert (loaded.vocab, loaded.bos, loaded.eos, loaded.unk) == (lm.vocab, "<s>", "</s>", "<unk>")
    assert loaded.smoothing == smoothing
    assert torch.equal(loaded.T, lm.T)
    held_out = random_corpus(8, sentences=20, words=40)
    assert loaded.score(held_out) == lm.score(held_out)
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_table_model_round_trips(tmp_path):
    T = torch.tensor([[0.6, 0.4], [0.7, 0.3]], dtype=torch.float32)
    BigramLM(T, vocab=["a", "b"]).save(tmp_path / "table.npz")
    loaded = BigramLM.load(tmp_path / "table.npz")
    assert torch.equal(loaded.T, T) and loaded.T.dtype == torch.float32
    assert loaded.vocab == ("a", "b") and loaded.bos is None


def test_loading_a_file_of_another_kind_is_a_clear_error(tmp_path):
    path = tmp_path / "not-a-model.npz"
    path.write_text("hello")
    with pytest.raises(InvalidValueError, match="not an rnnlab bigram model file"):
        BigramLM.load(path)
    with pytest.raises(FileNotFoundError):
        BigramLM.load(tmp_path / "missing.npz")
    # A model file whose header lost its vocabulary, and one whose counts are unsorted.
    BigramLM.estimate(TINY).save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        header, keys, counts = str(archive["header"][()]), archive["keys"], archive["counts"]
    np.savez(
        tmp_path / "no-vocab.npz",
        header=np.array(header.replace('"vocab"', '"words"')),
        keys=keys,
        counts=counts,
    )
    with pytest.raises(InvalidValueError, match="no-vocab.npz is damaged"):
        BigramLM.load(tmp_path / "no-vocab.npz")
    np.savez(tmp_path / "unsorted.npz", header=np.array(header), keys=keys[::-1], counts=counts)
    with pytest.raises(
        InvalidValueError, match="unsorted.npz is damaged: its keys are not increasing"
    ):
        BigramLM.load(tmp_path / "unsorted.npz")


@pytest.mark.parametrize("corpus", [[], [[]], [[], []]])
def test_an_empty_corpus_is_an_error(corpus):
    with pytest.raises(InvalidValueError, match="the corpus is empty"):
        BigramLM.estimate(corpus)


def test_unknown_tokens_without_unk_are_an_error():
    lm = BigramLM.estimate(TINY, unk=None)
    with pytest.raises(
        InvalidValueError, match="unknown token 'zebra' at position 2 of sentence 2"
    ):
        lm.score([["a", "b"], ["a", "zebra"]])


def test_bad_arguments_are_named():
    with pytest.raises(InvalidValueError, match="smoothing"):
        BigramLM.estimate(TINY, smoothing=-1)
    with pytest.raises(InvalidValueError, match="min_count"):
        BigramLM.estimate(TINY, min_count=0)
    with pytest.raises(InvalidValueError, match="unk is None"):
        BigramLM.estimate(TINY, unk=None, min_count=2)
    with pytest.raises(InvalidValueError, match="'<s>' occurs in sentence 2"):
        BigramLM.estimate([["a"], ["<s>", "a"]])
    with pytest.raises(InvalidTypeError, match="sentence 1 is a str"):
        BigramLM.estimate(["a b", ["a"]])
    with pytest.raises(InvalidTypeError, match="tokens must be strings"):
        BigramLM.estimate([["a", 3]])


def test_tokens_that_are_not_strings_are_named():
    lm = BigramLM.estimate(TINY, smoothing=0.5)
    with pytest.raises(TypeError, match="tokens must be strings, got None"):
        lm.score([["a", None]])
    with pytest.raises(TypeError, match="tokens must be strings"):
        lm.score([["a", ["b"]]])


def test_the_federalist_papers_count_every_pair(federalist):
    """estimate's numpy counts against pairs counted by a Counter, one pair at a time."""
    from collections import Counter

    from rnnlab.bigram.text import read_text, sentences

    found = sentences(read_text(federalist))
    lm = BigramLM.estimate(found)
    frequency = Counter(token for sentence in found for token in sentence)
    first_use = {token: i for i, token in enumerate(dict.fromkeys(itertools.chain(*found)))}
    # Most frequent first, ties in order of first use, after the three symbols.
    by_rule = sorted(frequency, key=lambda token: (-frequency[token], first_use[token]))
    assert lm.vocab == ("<s>", "</s>", "<unk>", *by_rule)
    expected = Counter(
        pair for sentence in found for pair in itertools.pairwise(["<s>", *sentence, "</s>"])
    )
    form = lm.backoff_form()
    index = {word: i for i, word in enumerate(lm.vocab)}
    totals = Counter()
    for (context, _), seen in expected.items():
        totals[context] += seen
    for (context, word), seen in list(expected.items())[::97]:
        c, w = index[context], index[word]
        assert lm.probability([c, w]) == pytest.approx(seen / totals[context], rel=1e-12)
    assert len(form.contexts) == len(expected)
    held = found[::50]
    by_sentence = sum(lm.score([sentence]).log_probability for sentence in held)
    assert lm.score(held).log_probability == pytest.approx(by_sentence, rel=1e-12)
    assert lm.perplexity(held, boundaries=True) == pytest.approx(lm.score(held).perplexity)
