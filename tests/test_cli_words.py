"""The words a user of the command line reads: errors that name options, not the Python
API; warnings where a result will be nonsense; help in plain words; what to do next."""

import pytest

from rnnlab import BigramLM
from test_cli_bigram import fails, ok


def _words_text(count: int) -> str:
    """A text of ``count`` distinct words, w0 … w(count − 1), ten words a sentence."""
    words = [f"w{i}" for i in range(count)]
    return "\n".join(" ".join(words[i : i + 10]) + "." for i in range(0, count, 10))


def test_score_with_rnn_on_a_large_vocabulary_names_the_options(rnnlab, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.txt").write_text(_words_text(4200), "utf-8")
    ok(rnnlab("bigram", "fit", "big.txt", "-o", "big.npz"))
    result = rnnlab("bigram", "score", "big.txt", "-m", "big.npz", "--rnn")
    fails(result, "--rnn", "--min-count", "without --rnn")
    assert "log_probability" not in result.stderr and "to_rnn" not in result.stderr


def test_all_paths_past_what_can_be_told_apart_names_the_options(rnnlab, tmp_path):
    result = rnnlab("graph", "40", "--all-paths", "--out", str(tmp_path))
    # N = 40 has 40 · 41 / 2 = 820 paths.
    fails(result, "--all-paths", "820 paths", "--highlight K,T")
    assert "list of (k, t)" not in result.stderr
