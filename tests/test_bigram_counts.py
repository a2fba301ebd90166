"""The numpy pair counts of rnnlab.bigram.counts against plain Python: a Counter over the
pairs of each sentence written out with its start and end symbols."""

import itertools
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab import BigramLM, InvalidTypeError, InvalidValueError
from rnnlab.bigram.counts import pair_keys, tally
from rnnlab.bigram.vocabulary import Vocabulary

START, END = 0, 1


def counted_by_hand(sentences, start, end, V):
    """The pairs of ``start w_1 … w_n end`` (each symbol where it is not None), sentence
    by sentence, as keys c·V + w."""
    pairs = Counter()
    for sentence in sentences:
        padded = [*([start] if start is not None else []), *sentence]
        padded += [end] if end is not None else []
        pairs.update(c * V + w for c, w in itertools.pairwise(padded))
    return pairs


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(2, 9), max_size=6), max_size=8),
    st.sampled_from([START, None]),
    st.sampled_from([END, None]),
)
def test_pair_keys_and_tally_equal_a_counter(sentences, start, end):
    V = 10
    ids = np.array([w for sentence in sentences for w in sentence], dtype=np.int64)
    lengths = np.array([len(sentence) for sentence in sentences], dtype=np.int64)
    keys = pair_keys(ids, lengths, start, end, V)
    expected = counted_by_hand(sentences, start, end, V)
    assert sorted(keys.tolist()) == sorted(expected.elements())
    distinct, counts = tally(keys)
    assert list(zip(distinct.tolist(), counts.tolist(), strict=True)) == sorted(expected.items())


@pytest.mark.parametrize(("V", "dtype"), [(5000, np.int32), (50_000, np.int64)])
def test_a_large_text_counts_as_a_counter_does_with_keys_of_either_width(V, dtype):
    """Keys below V² = 2.5·10⁹ > 2³¹ need int64; below 2.5·10⁷ int32 holds them."""
    rng = np.random.default_rng(0)
    sentences = [rng.integers(V - 300, V, rng.integers(0, 30)).tolist() for _ in range(3000)]
    ids = np.array([w for sentence in sentences for w in sentence], dtype=np.int64)
    lengths = np.array([len(sentence) for sentence in sentences], dtype=np.int64)
    keys = pair_keys(ids, lengths, START, END, V)
    assert keys.dtype == dtype
    distinct, counts = tally(keys)
    expected = sorted(counted_by_hand(sentences, START, END, V).items())
    assert distinct.dtype == np.int64 and distinct.tolist() == [key for key, _ in expected]
    assert counts.tolist() == [count for _, count in expected]


def test_log_probs_of_seen_and_unseen_pairs_equal_the_add_k_formula():
    sentences = [["a", "b", "a"], ["b", "c"], ["c"]]
    lm = BigramLM.estimate(sentences, smoothing=0.5)
    counts = counted_by_hand(
        [[lm.vocab.index(t) for t in s] for s in sentences], 0, 1, lm.size
    )  # ids: <s> 0, </s> 1
    predictable = lm.size - 1
    for c in range(lm.size):
        total = sum(n for key, n in counts.items() if key // lm.size == c)
        for w in range(1, lm.size):
            expected = (counts[c * lm.size + w] + 0.5) / (total + 0.5 * predictable)
            assert lm.probability([c, w]) == pytest.approx(expected, rel=1e-14), (c, w)
        assert lm.probability([c, 0]) == 0


def test_text_ids_map_unknown_words_to_unk_and_name_tokens_of_another_kind():
    vocabulary = Vocabulary(["<unk>", "a", "b"], unk="<unk>")
    sentences = [["a", "x"], [], ["b", "a", "y"]]
    ids, unknown = vocabulary.text_ids(sentences, np.array([2, 0, 3]))
    assert ids.tolist() == [1, 0, 2, 1, 0] and unknown == 2
    for bad, named in ((["a", 7], "7"), (["a", None], "None"), (["a", ["b"]], r"\['b'\]")):
        with pytest.raises(InvalidTypeError, match=f"tokens must be strings, got {named}"):
            vocabulary.text_ids([bad], np.array([2]))
    strict = Vocabulary(["a", "b"])
    with pytest.raises(InvalidValueError, match="'y' at position 3 of sentence 2"):
        strict.text_ids([["a"], ["b", "a", "y"]], np.array([1, 3]))


def test_the_bigram_path_loads_no_compiler():
    """Fitting, scoring, saving and loading run on numpy alone: numba is never imported."""
    script = """
import sys, tempfile, pathlib
from rnnlab import BigramLM
lm = BigramLM.estimate([["a", "b"], ["b", "a"]], smoothing=0.5)
path = pathlib.Path(tempfile.mkdtemp()) / "m.npz"
lm.save(path)
score = BigramLM.load(path).score([["a", "b", "c"]])
print(score.perplexity, "numba" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    perplexity, numba_loaded = result.stdout.split()
    assert numba_loaded == "False"
    # <s> a b <unk> </s> with V' = 4 (</s> <unk> a b), k = 0.5: C(<s>) = 2, C(<s>, a) = 1;
    # C(a) = 2, C(a, b) = 1; C(b) = 2, C(b, <unk>) = 0; C(<unk>) = 0, uniform 1/4.
    expected = (1.5 / 4) * (1.5 / 4) * (0.5 / 4) * (1 / 4)
    assert float(perplexity) == pytest.approx(expected ** (-1 / 4), rel=1e-12)
