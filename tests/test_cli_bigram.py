"""``rnnlab bigram``, run as a user runs it: in a subprocess, on text files."""

import json
import math
import subprocess
import sys

import pytest


def rnnlab(*arguments, cwd):
    return subprocess.run(
        [sys.executable, "-c", "from rnnlab.cli import main; main()", "bigram", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def ok(result) -> dict | str:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.startswith("{") else result.stdout


def test_fit_score_sample_prob_on_a_small_text(tmp_path):
    (tmp_path / "story.txt").write_text("The cat sat. The dog sat!\n\nThe cat ran.", "utf-8")
    fitted = ok(rnnlab("fit", "story.txt", "--json", cwd=tmp_path))
    assert (fitted["sentences"], fitted["tokens"]) == (3, 12)
    assert (tmp_path / "story.bigram.npz").exists()  # the default: TEXT's name, here
    # Maximum likelihood by hand: <s> the 1, the cat 2/3, cat sat 1/2, sat . 1/2, . </s> 1.
    (tmp_path / "held.txt").write_text("The cat sat.", "utf-8")
    scored = ok(rnnlab("score", "held.txt", "-m", "story.bigram.npz", "--json", cwd=tmp_path))
    expected = math.log(2 / 3 * 1 / 2 * 1 / 2)
    assert scored["log_probability"] == pytest.approx(expected)
    assert scored["predicted"] == 5
    assert scored["perplexity"] == pytest.approx(math.exp(-expected / 5))
    probability = ok(rnnlab("prob", "the", "cat", "-m", "story.bigram.npz", "--json", cwd=tmp_path))
    assert probability["probability"] == pytest.approx(2 / 3)
    sampled = ok(rnnlab("sample", "-m", "story.bigram.npz", "--seed", "3", "--json", cwd=tmp_path))
    assert len(sampled["sentences"]) == 5
    for words in sampled["sentences"]:
        assert words[0] == "the" and words[-1] in {".", "!", "ran", "sat"}


def test_the_federalist_papers(federalist, tmp_path):
    model = tmp_path / "federalist.npz"
    arpa = tmp_path / "federalist.arpa"
    fitted = ok(
        rnnlab(
            "fit", str(federalist), "-o", str(model), "--arpa", str(arpa), "--json", cwd=tmp_path
        )
    )
    assert fitted["vocabulary"] > 8000 and arpa.read_text().startswith("\\data\\")
    scored = ok(rnnlab("score", str(federalist), "-m", str(model), cwd=tmp_path))
    assert "perplexity" in scored and "0 unknown words" in scored
    sampled = ok(rnnlab("sample", "-m", str(model), "-n", "3", "--seed", "1", cwd=tmp_path))
    assert len(sampled.splitlines()) == 3


def fails(result, *expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for text in expected:
        assert text in result.stderr


def test_a_file_that_is_not_utf8_names_the_file_and_byte(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("naïve text.".encode("latin-1"))
    fails(rnnlab("fit", "latin1.txt", cwd=tmp_path), "latin1.txt", "byte 2", "not UTF-8")


def test_a_missing_file(tmp_path):
    fails(rnnlab("fit", "missing.txt", cwd=tmp_path), "missing.txt")


def test_an_empty_corpus(tmp_path):
    (tmp_path / "empty.txt").write_text("\n  \n", "utf-8")
    fails(rnnlab("fit", "empty.txt", cwd=tmp_path), "the corpus is empty")


def test_unknown_words_without_unk(tmp_path):
    (tmp_path / "train.txt").write_text("The cat sat.", "utf-8")
    (tmp_path / "test.txt").write_text("The zebra sat.", "utf-8")
    ok(rnnlab("fit", "train.txt", "--unk", "", "--smoothing", "1", cwd=tmp_path))
    fails(rnnlab("score", "test.txt", "-m", "train.bigram.npz", cwd=tmp_path), "'zebra'")
