"""The words a user of the command line reads: errors that name options, not the Python
API; warnings where a result will be nonsense; help in plain words; what to do next."""

import re

import pytest
import torch

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
    trained = rnnlab("train", "--model", "big.npz", "--epochs", "1")
    fails(trained, "--model big.npz", "V = 4,204 word types", "--min-count")
    assert "log_probability" not in trained.stderr and "min_count" not in trained.stderr


def test_all_paths_past_what_can_be_told_apart_names_the_options(rnnlab, tmp_path):
    result = rnnlab("graph", "40", "--all-paths", "--out", str(tmp_path))
    # N = 40 has 40 · 41 / 2 = 820 paths.
    fails(result, "--all-paths", "820 paths", "--highlight K,T")
    assert "list of (k, t)" not in result.stderr


def test_the_share_smoothing_gives_to_unseen_pairs_by_hand():
    # <s> a b </s>, <s> a a </s> with k = 1 over V' = 4 predictable words (a, b, </s>,
    # <unk>; <s> is never predicted). Unseen share of context c: k (V' − seen_c) / (C(c) + k V').
    # <s>: C = 2, seen {a}: 3/6. a: C = 3, seen {b, a, </s>}: 1/7. b: C = 1, seen {</s>}: 3/5.
    # Averaged over the text's contexts, weighted by C(c): (2 · 1/2 + 3 · 1/7 + 1 · 3/5) / 6.
    lm = BigramLM.estimate([["a", "b"], ["a", "a"]], smoothing=1)
    assert lm.unseen_share() == pytest.approx((1 + 3 / 7 + 3 / 5) / 6)
    assert BigramLM.estimate([["a", "b"], ["a", "a"]]).unseen_share() == 0
    assert BigramLM(torch.tensor([[0.6, 0.4], [0.3, 0.7]])).unseen_share() == 0


def test_sampling_a_model_flattened_by_smoothing_says_so(rnnlab, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.txt").write_text(_words_text(300), "utf-8")
    ok(rnnlab("bigram", "fit", "big.txt", "-o", "flat.npz", "--smoothing", "0.1"))
    # V' = 303 predictable words (300, ".", </s>, <unk>). Each of the 300 words is a
    # context once, with one follower: unseen share 0.1 · 302 / (1 + 30.3) = 0.9649; "."
    # 30 times, followed by </s>: 0.1 · 302 / (30 + 30.3) = 0.5008; <s> 30 times, with 30
    # followers: 0.1 · 273 / 60.3 = 0.4527. Weighted: (300 · 0.9649 + 30 · 0.9535) / 360.
    result = rnnlab("bigram", "sample", "-m", "flat.npz", "-n", "1", "--seed", "1")
    assert result.returncode == 0, result.stderr
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("rnnlab: warning: add-0.1 smoothing gives 88% ")
    assert "pairs never seen" in warning and "--smoothing" in warning
    ok(rnnlab("bigram", "fit", "big.txt", "-o", "sharp.npz"))
    assert rnnlab("bigram", "sample", "-m", "sharp.npz", "-n", "1").stderr == ""


def test_training_with_far_too_few_hidden_units_says_so(rnnlab, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "words.txt").write_text(_words_text(40), "utf-8")
    ok(rnnlab("bigram", "fit", "words.txt", "-o", "words.npz"))
    short = ("--epochs", "1", "--steps", "1", "--length", "3", "--out", "out")
    result = rnnlab("train", "--model", "words.npz", "--hidden-size", "4", *short)
    assert result.returncode == 0, result.stderr
    # 40 words, ".", <s>, </s>, <unk>: V = 44.
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("rnnlab: warning: H = 4 hidden units for V = 44 word types")
    assert "--hidden-size" in warning
    enough = rnnlab("train", "--model", "words.npz", "--hidden-size", "44", *short)
    assert enough.returncode == 0 and enough.stderr == ""


def _commands() -> "list[tuple[list[str], object]]":
    """Every command of rnnlab as (its words, its Click command), every module loaded."""
    import importlib

    import typer

    from rnnlab.cli import COMMANDS, app

    for module, _ in COMMANDS.values():
        importlib.import_module(f"rnnlab.cli.{module}")
    found = []

    def walk(command, words):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*words, name])
        else:
            found.append((words, command))

    walk(typer.main.get_command(app), [])
    return found


JARGON = re.compile(r"<(bool|int|float|str|path|file|dir)( range)?>|<?list\[|\[x[<>]=|\{\w+\}")
"""Typer's names of types (a default such as <s> is no type), ranges and arguments."""


def test_help_shows_no_type_jargon(rnnlab, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    commands = _commands()
    assert len(commands) >= 12
    for words, _ in commands:
        shown = rnnlab(*words, "--help").stdout
        assert "--help" in shown and not JARGON.search(shown), (words, JARGON.search(shown))


def test_help_shows_every_options_default(rnnlab, monkeypatch):
    for words, command in _commands():
        for param in command.params:
            if param.param_type_name != "option" or param.required or param.name == "help":
                continue
            if getattr(param, "is_flag", False):  # off unless given
                continue
            shown = isinstance(param.show_default, str) or (
                param.default is not None and param.show_default is not False
            )
            assert shown or "default" in (param.help or ""), (words, param.opts)
    monkeypatch.setenv("COLUMNS", "200")
    fit = rnnlab("bigram", "fit", "--help").stdout
    assert "Where to write the model (default: TEXT's name + .bigram.npz" in fit
