"""Bigram models on real text: rnnlab against NLTK and KenLM, fitting and scoring.

    .venv/bin/python benchmarks/bench_bigram.py

Reads ../shared/corpora/federalist.txt (beside the repository; the script says so and
stops if it is absent), tokenizes it with rnnlab.text and repeats its sentences to about
5 M tokens. Tokens per second count the words of the text (not <s> or </s>), the same
count for every tool. All tools start from the same tokenized sentences in memory:
lists of strings for rnnlab and NLTK, the sentence joined by spaces for KenLM (its
input format; the joins are made before the clock starts).

NLTK is timed on a slice and its per-token rate extrapolated (it would take minutes on
5 M tokens). KenLM, where installed (pip install kenlm), scores the ARPA file that
rnnlab writes, one sentence per call as its Python module is used. Targets: fit ≥ 100×
NLTK; score ≥ KenLM per-sentence; scoring through the bigram RNN ≥ 0.5× the table.
"""

import math
import tempfile
import time
from itertools import chain
from pathlib import Path

import numpy as np
import torch
from nltk.lm import MLE
from nltk.lm.preprocessing import padded_everygram_pipeline
from nltk.util import bigrams

from rnnlab.arpa import write_arpa
from rnnlab.bigram import DENSE_LIMIT, BigramLM
from rnnlab.text import read_text, sentences

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "federalist.txt"
TARGET_TOKENS = 5_000_000
NLTK_FIT_TOKENS = 100_000
NLTK_SCORE_TOKENS = 20_000
RECURRENCE_TOKENS = 300


def best_of(repeats: int, function):
    """The shortest of ``repeats`` wall-clock times, and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def head(found: list[list[str]], tokens: int) -> list[list[str]]:
    """The first sentences of ``found`` holding about ``tokens`` words."""
    total, taken = 0, []
    for sentence in found:
        if total >= tokens:
            break
        taken.append(sentence)
        total += len(sentence)
    return taken


def count(found: list[list[str]]) -> int:
    return sum(map(len, found))


def rate(tokens: int, seconds: float) -> float:
    """Million tokens per second."""
    return tokens / seconds / 1e6


def main() -> None:
    if not CORPUS.exists():
        print(f"skipped: corpus not found at {CORPUS} (the shared/ folder beside the repository)")
        return
    rows: list[tuple[str, float, str]] = []

    def report(name: str, tokens: int, seconds: float, note: str = "") -> float:
        rows.append((name, rate(tokens, seconds), note))
        print(f"{name:50s} {rate(tokens, seconds):10.4g} M tok/s  {note}", flush=True)
        return rate(tokens, seconds)

    text = read_text(CORPUS)
    seconds, base = best_of(3, lambda: sentences(text))
    report("tokenize (rnnlab.text.sentences)", count(base), seconds, f"{len(text) / 1e6:.1f} MB")
    corpus = base * math.ceil(TARGET_TOKENS / count(base))
    n = count(corpus)
    print(f"{len(base):,} sentences, {count(base):,} tokens, repeated to {n:,} tokens\n")

    seconds, lm = best_of(3, lambda: BigramLM.estimate(corpus, smoothing=0.1))
    ours_fit = report("fit   rnnlab BigramLM.estimate, add-0.1", n, seconds, f"V = {lm.size:,}")
    piece = head(corpus, NLTK_FIT_TOKENS)

    def nltk_fit():
        text_ngrams, vocabulary_text = padded_everygram_pipeline(2, piece)
        model = MLE(2)
        model.fit(text_ngrams, vocabulary_text)
        return model

    seconds, nltk_model = best_of(1, nltk_fit)
    nltk_fit_rate = report(
        "fit   NLTK MLE(2).fit, padded pipeline", count(piece), seconds, f"{count(piece):,} tokens"
    )

    score_seconds, score = best_of(3, lambda: lm.score(corpus))
    ours_score = report("score rnnlab BigramLM.score (perplexity)", n, score_seconds)
    index = {token: i for i, token in enumerate(lm.vocab)}
    seconds, _ = best_of(
        3, lambda: np.fromiter(map(index.__getitem__, chain.from_iterable(corpus)), np.int64, n)
    )
    report("      its token → id step alone (a dict lookup each)", n, seconds)
    report("      the rest: pairs, one sort, lookups (by difference)", n, score_seconds - seconds)
    piece = head(corpus, NLTK_SCORE_TOKENS)
    ngrams = [pair for sentence in piece for pair in bigrams(["<s>", *sentence, "</s>"])]
    seconds, _ = best_of(1, lambda: nltk_model.perplexity(ngrams))
    report("score NLTK MLE.perplexity", count(piece), seconds, f"{count(piece):,} tokens")

    kenlm_score = None
    try:
        import kenlm
    except ImportError:
        print("score KenLM: not installed (pip install kenlm); no KenLM figure")
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.arpa"
            write_arpa(lm, path)
            model = kenlm.Model(str(path))
        lines = [" ".join(sentence) for sentence in corpus]
        seconds, total = best_of(3, lambda: sum(map(model.score, lines)))
        kenlm_score = report("score KenLM Model.score, one call per sentence", n, seconds)
        print(
            f"{'':50s} log10 Pr: KenLM {total:,.2f}, rnnlab {score.log10_probability:,.2f} "
            f"(KenLM keeps float32)"
        )

    small = BigramLM.estimate(corpus, smoothing=0.1, min_count=25 * 4)
    assert small.size <= DENSE_LIMIT
    rnn = small.to_rnn()
    seconds, by_table = best_of(3, lambda: small.score(corpus))
    table_rate = report("score small model by its table", n, seconds, f"V = {small.size:,}")
    seconds, by_rnn = best_of(3, lambda: small.score(corpus, rnn=rnn))
    rnn_rate = report("score small model through the bigram RNN", n, seconds)
    assert math.isclose(by_rnn.log_probability, by_table.log_probability, rel_tol=1e-12)

    piece = head(base, RECURRENCE_TOKENS)
    index = {token: i for i, token in enumerate(small.vocab)}
    unknown = index[small.unk]

    def recurrence():
        # The literal recurrence: every step of every sentence through forward_ids,
        # h_t = U x_t + V h_{t-1} with the V × V zero matrix multiplied in.
        total = 0.0
        for sentence in piece:
            ids = [index.get(token, unknown) for token in ["<s>", *sentence, "</s>"]]
            y_hat = rnn.forward_ids(torch.tensor(ids[:-1])).y_hat
            total += float(torch.log(y_hat[torch.arange(len(ids) - 1), ids[1:]]).sum())
        return total

    seconds, _ = best_of(1, recurrence)
    report("score through the RNN, step by step", count(piece), seconds, f"{count(piece):,} tokens")

    print()
    print(f"fit:   rnnlab / NLTK        = {ours_fit / nltk_fit_rate:8.1f}×   (target ≥ 100×)")
    if kenlm_score is not None:
        print(f"score: rnnlab / KenLM       = {ours_score / kenlm_score:8.2f}×   (target ≥ 1×)")
    print(f"score: RNN / table          = {rnn_rate / table_rate:8.2f}×   (target ≥ 0.5×)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
