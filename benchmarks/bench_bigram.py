"""Bigram models on real text: rnnlab against NLTK and KenLM, fitting and scoring.

    .venv/bin/python benchmarks/bench_bigram.py

Reads ../shared/corpora/federalist.txt (beside the repository; the script says so and
stops if it is absent), repeats the text to about 5 M tokens and tokenizes it with
rnnlab.text. Tokens per second count the words of the text (not <s> or </s>), the same
count for every tool. All tools start from the same tokenized sentences in memory:
lists of strings for rnnlab and NLTK, each sentence joined by spaces for KenLM (its
input format; the joins are made before the clock starts).

Python caches a string's hash once computed, so rnnlab is timed twice on each fresh
tokenization: "first use" (every token's hash computed, as for a text just read) and
"again" (as when one tokenized text is fitted or scored twice). NLTK is timed on a
slice and its per-token rate extrapolated (it would take minutes on 5 M tokens). KenLM,
where installed (pip install kenlm), scores the ARPA file that rnnlab writes, one
sentence per call as its Python module is used. The tools being compared run in turn,
round after round, best round kept, so load from other work hits them alike.

Targets: fit ≥ 100× NLTK; score ≥ KenLM per-sentence; scoring through the bigram RNN
≥ 0.5× scoring by the table.
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

from rnnlab.bigram import DENSE_LIMIT, BigramLM
from rnnlab.bigram.arpa import write_arpa
from rnnlab.text import read_text, sentences

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "federalist.txt"
TARGET_TOKENS = 5_000_000
NLTK_FIT_TOKENS = 100_000
NLTK_SCORE_TOKENS = 20_000
RECURRENCE_TOKENS = 300
ROUNDS = 3


def in_turn(rounds: int, prepare, functions: dict) -> tuple[dict[str, float], dict]:
    """The best time of each function over ``rounds`` rounds, and its last result.

    Each round makes its data with ``prepare()`` and then runs every function on it
    once, in the order given.
    """
    best = dict.fromkeys(functions, math.inf)
    results = {}
    for _ in range(rounds):
        data = prepare()
        for name, function in functions.items():
            start = time.perf_counter()
            results[name] = function(data)
            best[name] = min(best[name], time.perf_counter() - start)
    return best, results


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


def report(name: str, tokens: int, seconds: float, note: str = "") -> float:
    """Print and return the rate in million tokens per second."""
    rate = tokens / seconds / 1e6
    print(f"{name:54s} {rate:9.4g} M tok/s  {note}", flush=True)
    return rate


def nltk_fit(piece: list[list[str]]) -> MLE:
    text_ngrams, vocabulary_text = padded_everygram_pipeline(2, piece)
    model = MLE(2)
    model.fit(text_ngrams, vocabulary_text)
    return model


def main() -> None:
    if not CORPUS.exists():
        print(f"skipped: corpus not found at {CORPUS} (the shared/ folder beside the repository)")
        return
    text = read_text(CORPUS)
    copies = math.ceil(TARGET_TOKENS / count(sentences(text)))
    tiled = "\n\n".join([text] * copies)
    start = time.perf_counter()
    corpus = sentences(tiled)
    n = count(corpus)
    report("tokenize (rnnlab.text.sentences)", n, time.perf_counter() - start)
    print(f"federalist.txt × {copies}: {len(corpus):,} sentences, {n:,} tokens\n")

    def fresh() -> list[list[str]]:
        return sentences(tiled)

    nltk_piece = head(corpus, NLTK_FIT_TOKENS)
    seconds, results = in_turn(
        ROUNDS,
        fresh,
        {
            "first": lambda data: BigramLM.estimate(data, smoothing=0.1),
            "again": lambda data: BigramLM.estimate(data, smoothing=0.1),
            "nltk": lambda data: nltk_fit(nltk_piece),
        },
    )
    lm = results["first"]
    fit = report("fit   rnnlab BigramLM.estimate, add-0.1, first use", n, seconds["first"])
    fit_again = report("      again on the same token strings", n, seconds["again"])
    nltk = report(
        "fit   NLTK MLE(2).fit, padded pipeline",
        count(nltk_piece),
        seconds["nltk"],
        f"on {count(nltk_piece):,} tokens",
    )
    print(f"      V = {lm.size:,}\n")

    index = {token: i for i, token in enumerate(lm.vocab)}
    functions = {
        "first": lm.score,
        "again": lm.score,
        "ids": lambda data: np.fromiter(
            map(index.__getitem__, chain.from_iterable(data)), np.int64, n
        ),
    }
    kenlm = None
    try:
        import kenlm
    except ImportError:
        print("KenLM is not installed (pip install kenlm): no KenLM figure")
    if kenlm is not None:
        with tempfile.TemporaryDirectory() as folder:
            write_arpa(lm, Path(folder) / "model.arpa")
            model = kenlm.Model(str(Path(folder) / "model.arpa"))
        lines = [" ".join(sentence) for sentence in corpus]
        functions["kenlm"] = lambda data: sum(map(model.score, lines))
    seconds, results = in_turn(ROUNDS, fresh, functions)
    score = report("score rnnlab BigramLM.score (perplexity), first use", n, seconds["first"])
    score_again = report("      again on the same token strings", n, seconds["again"])
    report("      its token → id step alone, hashes cached (a dict lookup each)", n, seconds["ids"])
    if kenlm is not None:
        by_kenlm = report("score KenLM Model.score, one call per sentence", n, seconds["kenlm"])
        ours = results["first"].log10_probability
        print(f"      log10 Pr: KenLM {results['kenlm']:,.2f}, rnnlab {ours:,.2f} (KenLM: float32)")
    piece = head(corpus, NLTK_SCORE_TOKENS)
    ngrams = [pair for sentence in piece for pair in bigrams(["<s>", *sentence, "</s>"])]
    nltk_model = nltk_fit(nltk_piece)
    start = time.perf_counter()
    nltk_model.perplexity(ngrams)
    report("score NLTK MLE.perplexity", count(piece), time.perf_counter() - start, "on a slice")
    print()

    small = BigramLM.estimate(corpus, smoothing=0.1, min_count=4 * copies)
    assert small.size <= DENSE_LIMIT
    rnn = small.to_rnn()
    seconds, results = in_turn(
        ROUNDS,
        lambda: corpus,  # hashes cached for both: only the lookups differ
        {"table": small.score, "rnn": lambda data: small.score(data, rnn=rnn)},
    )
    assert math.isclose(
        results["rnn"].log_probability, results["table"].log_probability, rel_tol=1e-12
    )
    table = report(
        "score a V ≤ 4096 model by its table", n, seconds["table"], f"V = {small.size:,}"
    )
    through_rnn = report("      through its bigram RNN (to_rnn)", n, seconds["rnn"])

    piece = head(corpus, RECURRENCE_TOKENS)
    index = {token: i for i, token in enumerate(small.vocab)}

    def recurrence() -> float:
        # The literal recurrence: every step of every sentence through forward_ids,
        # h_t = U x_t + V h_{t-1} with the V × V zero matrix multiplied in.
        total = 0.0
        for sentence in piece:
            ids = [index.get(token, index[small.unk]) for token in ["<s>", *sentence, "</s>"]]
            y_hat = rnn.forward_ids(torch.tensor(ids[:-1])).y_hat
            total += float(torch.log(y_hat[torch.arange(len(ids) - 1), ids[1:]]).sum())
        return total

    start = time.perf_counter()
    recurrence()
    report("      through forward_ids step by step", count(piece), time.perf_counter() - start)

    print()
    print(
        f"fit:   rnnlab / NLTK  = {fit / nltk:6.1f}× first use, "
        f"{fit_again / nltk:6.1f}× again   (target ≥ 100×)"
    )
    if kenlm is not None:
        print(
            f"score: rnnlab / KenLM = {score / by_kenlm:6.2f}× first use, "
            f"{score_again / by_kenlm:6.2f}× again   (target ≥ 1×)"
        )
    print(f"score: RNN / table   = {through_rnn / table:6.2f}×   (target ≥ 0.5×)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
