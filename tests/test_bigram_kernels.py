"""The compiled loops of rnnlab.bigram.kernels against plain Python: dicts and Counters."""

import random
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.bigram import kernels
from rnnlab.bigram.text import Tokens


def _words(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcé日\x00 "
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 6))) for _ in range(count)]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.text(max_size=4), max_size=8), max_size=40))
def test_ids_in_order_of_first_use_equal_a_dict(sentences):
    text = Tokens.from_sentences(sentences)
    ids, first = kernels.first_ids(text.data, text.starts, text.ends)
    reference: dict[str, int] = {}
    expected = [reference.setdefault(t, len(reference)) for s in sentences for t in s]
    assert ids.tolist() == expected
    assert text.words(first) == list(reference)


def test_a_large_vocabulary_through_growing_and_fixed_tables():
    tokens = _words(60_000, seed=1)  # many collisions of short strings, empty ones too
    text = Tokens.from_sentences([tokens[i : i + 50] for i in range(0, len(tokens), 50)])
    ids, first = kernels.first_ids(text.data, text.starts, text.ends)
    distinct = list(dict.fromkeys(tokens))
    assert text.words(first) == distinct
    first_use = {word: i for i, word in enumerate(distinct)}
    assert ids.tolist() == [first_use[token] for token in tokens]
    vocabulary = distinct[: len(distinct) // 2]
    encoded = [word.encode() for word in vocabulary]
    ends = np.cumsum([len(word) for word in encoded])
    starts = ends - np.array([len(word) for word in encoded])
    words = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    slots, hashes = kernels.word_table(words, starts, ends, kernels.capacity(len(encoded)))
    found = kernels.lookup(text.data, text.starts, text.ends, words, starts, ends, slots, hashes)
    index = {word: i for i, word in enumerate(vocabulary)}
    assert found.tolist() == [index.get(token, -1) for token in tokens]


def test_pair_counts_and_lookups_equal_a_counter():
    rng = np.random.default_rng(0)
    V = 5000
    contexts, words = rng.integers(0, 300, size=200_000), rng.integers(0, V, size=200_000)
    keys = contexts * V + words
    distinct, counts = kernels.count_pairs(contexts, words, V)
    expected = sorted(Counter(keys.tolist()).items())
    assert distinct.tolist() == [key for key, _ in expected]
    assert counts.tolist() == [count for _, count in expected]
    slots = kernels.key_table(distinct, kernels.capacity(len(distinct)))
    pair_logs, rest_logs = -np.arange(len(distinct), dtype=float), np.full(V, 0.5)
    contexts, words = rng.integers(0, 300, 10_000), rng.integers(0, V, 10_000)
    found = kernels.pair_log_probs(distinct, slots, pair_logs, rest_logs, contexts, words, V)
    position = {key: i for i, key in enumerate(distinct.tolist())}
    query = (contexts * V + words).tolist()
    assert found.tolist() == [-float(position[k]) if k in position else 0.5 for k in query]


def test_the_kernels_run_where_no_cache_folder_can_be_written():
    """In a sandbox numba finds no writable cache folder; the kernels compile in memory."""
    script = """
import numba.core.caching as caching
def refuse(self):
    raise OSError("read-only")
caching._CacheLocator.ensure_cache_path = refuse
from rnnlab import BigramLM
lm = BigramLM.estimate([["a", "b"], ["b", "a"]])
print(lm.perplexity([["a", "b", "a"]], boundaries=True))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    # <s> a b a </s>: four pairs, each seen once of the two its context was seen in.
    assert float(result.stdout) == pytest.approx(2.0, rel=1e-12)
