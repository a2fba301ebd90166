"""``rnnlab bigram`` on text files: as a user runs it (a subprocess), and in-process
through the same entry point, rnnlab.cli.main, where a subprocess would only add the
start-up time of torch."""

import json
import math
import subprocess

import numpy as np
import pytest


@pytest.fixture
def rnnlab(rnnlab, monkeypatch, tmp_path):
    """``rnnlab bigram ARGUMENTS`` in this process, in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return lambda *arguments: rnnlab("bigram", *arguments)


def ok(result: subprocess.CompletedProcess) -> "dict | str":
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.startswith("{") else result.stdout


def fails(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for text in expected:
        assert text in result.stderr


def test_a_user_fits_scores_and_samples(tmp_path, rnnlab_process):
    (tmp_path / "story.txt").write_text("The cat sat. The dog sat!\n\nThe cat ran.", "utf-8")
    fitted = ok(rnnlab_process("bigram", "fit", "story.txt", cwd=tmp_path))
    assert "Wrote story.bigram.npz" in fitted  # the default: TEXT's name, here
    scored = ok(
        rnnlab_process("bigram", "score", "story.txt", "-m", "story.bigram.npz", cwd=tmp_path)
    )
    assert "3 sentences, 15 tokens predicted" in scored
    sampled = ok(
        rnnlab_process("bigram", "sample", "-m", "story.bigram.npz", "-n", "4", cwd=tmp_path)
    )
    assert len(sampled.splitlines()) == 4


def test_a_file_that_is_not_utf8_names_the_file_and_byte(tmp_path, rnnlab_process):
    (tmp_path / "latin1.txt").write_bytes("naïve text.".encode("latin-1"))
    fails(
        rnnlab_process("bigram", "fit", "latin1.txt", cwd=tmp_path), "latin1.txt", "byte 2", "UTF-8"
    )


def test_fit_score_sample_prob_values(rnnlab, tmp_path):
    (tmp_path / "story.txt").write_text("The cat sat. The dog sat!\n\nThe cat ran.", "utf-8")
    fitted = ok(rnnlab("fit", "story.txt", "--json"))
    assert (fitted["sentences"], fitted["tokens"], fitted["model"]) == (3, 12, "story.bigram.npz")
    # Maximum likelihood by hand: <s> the 1, the cat 2/3, cat sat 1/2, sat . 1/2, . </s> 1.
    (tmp_path / "held.txt").write_text("The cat sat.", "utf-8")
    scored = ok(rnnlab("score", "held.txt", "-m", "story.bigram.npz", "--json"))
    expected = math.log(2 / 3 * 1 / 2 * 1 / 2)
    assert scored["log_probability"] == pytest.approx(expected)
    assert scored["predicted"] == 5
    assert scored["perplexity"] == pytest.approx(math.exp(-expected / 5))
    probability = ok(rnnlab("prob", "the", "cat", "-m", "story.bigram.npz", "--json"))
    assert probability["probability"] == pytest.approx(2 / 3)
    sampled = ok(rnnlab("sample", "-m", "story.bigram.npz", "--seed", "3", "--json"))
    assert len(sampled["sentences"]) == 5
    for words in sampled["sentences"]:
        assert words[0] == "the" and words[-1] in {".", "!", "ran", "sat"}


def test_an_unseen_pair_under_maximum_likelihood(rnnlab, tmp_path):
    (tmp_path / "story.txt").write_text("The cat sat.", "utf-8")
    (tmp_path / "held.txt").write_text("The sat cat.", "utf-8")
    ok(rnnlab("fit", "story.txt"))
    scored = ok(rnnlab("score", "held.txt", "-m", "story.bigram.npz", "--json"))
    assert scored["log_probability"] is None and scored["perplexity"] is None  # −∞ and ∞
    assert "--smoothing" in ok(rnnlab("score", "held.txt", "-m", "story.bigram.npz"))


def test_the_federalist_papers(rnnlab, federalist, tmp_path):
    fitted = ok(rnnlab("fit", str(federalist), "-o", "f.npz", "--arpa", "f.arpa", "--json"))
    assert fitted["vocabulary"] > 8000
    assert (tmp_path / "f.arpa").read_text().startswith("\\data\\")
    scored = ok(rnnlab("score", str(federalist), "-m", "f.npz", "--json"))
    assert scored["unknown"] == 0 and 1 < scored["perplexity"] < 100
    sampled = ok(rnnlab("sample", "-m", "f.npz", "-n", "3", "--seed", "1"))
    assert len(sampled.splitlines()) == 3


def test_a_missing_file(rnnlab):
    fails(rnnlab("fit", "missing.txt"), "missing.txt")


def test_an_empty_corpus(rnnlab, tmp_path):
    (tmp_path / "empty.txt").write_text("\n  \n", "utf-8")
    fails(rnnlab("fit", "empty.txt"), "the corpus is empty")


def test_unknown_words_without_unk(rnnlab, tmp_path):
    (tmp_path / "train.txt").write_text("The cat sat.", "utf-8")
    (tmp_path / "test.txt").write_text("The zebra sat.", "utf-8")
    ok(rnnlab("fit", "train.txt", "--unk", "", "--smoothing", "1"))
    fails(rnnlab("score", "test.txt", "-m", "train.bigram.npz"), "'zebra'")


def test_a_file_that_is_not_a_model(rnnlab, tmp_path):
    (tmp_path / "text.txt").write_text("Some words.", "utf-8")
    fails(rnnlab("score", "text.txt", "-m", "text.txt"), "not an rnnlab bigram model file")
    np.save(tmp_path / "array.npy", np.arange(3))
    fails(rnnlab("score", "text.txt", "-m", "array.npy"), "not an rnnlab bigram model file")
    (tmp_path / "empty.npz").write_bytes(b"")
    fails(rnnlab("score", "text.txt", "-m", "empty.npz"), "not an rnnlab bigram model file")


def test_prob_reads_its_words_as_fit_read_the_text(rnnlab, tmp_path):
    (tmp_path / "story.txt").write_text("The cat sat. The cat ran. A dog sat.", "utf-8")
    ok(rnnlab("fit", "story.txt"))
    # The text was lower-cased and "sat." is two tokens: so are these words.
    result = ok(rnnlab("prob", "The", "cat", "sat.", "-m", "story.bigram.npz", "--json"))
    assert result["tokens"] == ["the", "cat", "sat", "."]
    assert result["unknown"] == []
    # By hand: the → cat 2 of 2, cat → sat 1 of 2, sat → . 2 of 2.
    assert result["log10_probability"] == pytest.approx(math.log10(1.0 * 0.5 * 1.0))
