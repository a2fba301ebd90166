"""Bigram models on real text: rnnlab against NLTK and KenLM, fitting and scoring, from
tokens in memory and from a file.

    taskset -c 0 .venv/bin/python benchmarks/bench_bigram.py [--tokens N]

Reads ../shared/corpora/federalist.txt (beside the repository; the script says so and
stops if it is absent) and repeats it to about N tokens (default 5 M). Tokens per second
count the words of the text (not <s> or </s>), the same count for every tool.

- In memory: every tool starts from the same tokenized sentences, lists of str for
  rnnlab and NLTK, each sentence joined by spaces for KenLM (its input; joined before
  the clock starts). Each round tokenizes afresh, so no tool finds a string's hash
  already computed.
- From a file: rnnlab reads the raw text file and tokenizes it (``rnnlab bigram
  fit|score FILE``: rnnlab.bigram.text.read_tokens); KenLM reads the file of the same sentences
  one per line, already tokenized (its input format), and scores each line; NLTK
  reads that file too and splits each line.

NLTK is timed on a slice and its per-token rate extrapolated (it would take minutes).
KenLM, where installed (pip install kenlm), scores the ARPA file that rnnlab writes,
one ``Model.score`` call per sentence, as its Python module is used. The tools being
compared run in turn, round after round, best round kept.

Goals: fit ≥ 100× NLTK; score ≥ 1× KenLM from tokens in memory and ≥ 2× from a file;
perplexity() ≥ 0.5× score; scoring through the bigram RNN ≥ 0.5× scoring by the table.
"""

import argparse
import math
import tempfile
import time
from pathlib import Path

import torch
from nltk.lm import MLE
from nltk.lm.preprocessing import padded_everygram_pipeline
from nltk.util import bigrams

from rnnlab.bigram import DENSE_LIMIT, BigramLM
from rnnlab.bigram.arpa import write_arpa
from rnnlab.bigram.text import read_text, read_tokens, sentences

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "federalist.txt"
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
    print(f"{name:58s} {rate:9.4g} M tok/s  {note}", flush=True)
    return rate


def nltk_fit(piece: list[list[str]]) -> MLE:
    text_ngrams, vocabulary_text = padded_everygram_pipeline(2, piece)
    model = MLE(2)
    model.fit(text_ngrams, vocabulary_text)
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=5_000_000)
    target = parser.parse_args().tokens
    if not CORPUS.exists():
        print(f"skipped: corpus not found at {CORPUS} (the shared/ folder beside the repository)")
        return
    text = read_text(CORPUS)
    copies = math.ceil(target / count(sentences(text)))
    tiled = "\n\n".join([text] * copies)
    folder = Path(tempfile.mkdtemp())
    raw, lines = folder / "corpus.txt", folder / "corpus.lines.txt"
    raw.write_text(tiled, "utf-8")
    corpus = sentences(tiled)
    lines.write_text("".join(" ".join(sentence) + "\n" for sentence in corpus), "utf-8")
    n = count(corpus)
    print(f"federalist.txt × {copies}: {len(corpus):,} sentences, {n:,} tokens\n")

    def fresh() -> list[list[str]]:
        return sentences(tiled)

    nltk_piece = head(corpus, NLTK_FIT_TOKENS)
    rates = {}
    seconds, results = in_turn(
        ROUNDS,
        fresh,
        {
            "memory": lambda data: BigramLM.estimate(data, smoothing=0.1),
            "file": lambda data: BigramLM.estimate(read_tokens(raw), smoothing=0.1),
            "nltk": lambda data: nltk_fit(nltk_piece),
        },
    )
    lm = results["memory"]
    assert lm.score(corpus) == results["file"].score(corpus)  # the same model both ways
    rates["fit memory"] = report(
        "fit   rnnlab estimate, add-0.1, tokens in memory", n, seconds["memory"]
    )
    rates["fit file"] = report("fit   rnnlab estimate(read_tokens(FILE))", n, seconds["file"])
    rates["fit nltk"] = report(
        "fit   NLTK MLE(2).fit, padded pipeline, tokens in memory",
        count(nltk_piece),
        seconds["nltk"],
        f"on {count(nltk_piece):,} tokens",
    )
    print(f"      V = {lm.size:,}\n")

    functions = {
        "memory": lm.score,
        "perplexity": lambda data: lm.perplexity(data, boundaries=True),
        "lab perplexity": lm.perplexity,
        "file": lambda data: lm.score(read_tokens(raw)),
    }
    try:
        import kenlm
    except ImportError:
        kenlm = None
        print("KenLM is not installed (pip install kenlm): no KenLM figure")
    if kenlm is not None:
        write_arpa(lm, folder / "model.arpa")
        model = kenlm.Model(str(folder / "model.arpa"))
        joined = [" ".join(sentence) for sentence in corpus]
        functions["kenlm memory"] = lambda data: sum(map(model.score, joined))

        def kenlm_file(data: object) -> float:
            with open(lines, encoding="utf-8") as stream:
                return sum(map(model.score, stream))

        functions["kenlm file"] = kenlm_file
    seconds, results = in_turn(ROUNDS, fresh, functions)
    assert results["file"] == results["memory"]
    assert math.isclose(results["perplexity"], results["memory"].perplexity, rel_tol=1e-12)
    rates["score memory"] = report("score rnnlab score, tokens in memory", n, seconds["memory"])
    rates["perplexity"] = report(
        "      perplexity(sentences, boundaries=True)", n, seconds["perplexity"]
    )
    rates["lab perplexity"] = report(
        "      perplexity(sentences), the lab's convention", n, seconds["lab perplexity"]
    )
    rates["score file"] = report("score rnnlab score(read_tokens(FILE))", n, seconds["file"])
    if kenlm is not None:
        rates["kenlm memory"] = report(
            "score KenLM Model.score per sentence, in memory", n, seconds["kenlm memory"]
        )
        rates["kenlm file"] = report(
            "score KenLM Model.score per line of a file", n, seconds["kenlm file"]
        )
        ours = results["memory"].log10_probability
        print(f"      log10 Pr: KenLM {results['kenlm memory']:,.2f}, rnnlab {ours:,.2f}")
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
        lambda: corpus,
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
        # The literal recurrence: every step of every sentence through forward_ids.
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
    r = rates
    print(
        f"fit:  rnnlab / NLTK = {r['fit memory'] / r['fit nltk']:6.1f}× in memory, "
        f"{r['fit file'] / r['fit nltk']:6.1f}× from a file   (goal ≥ 100×)"
    )
    if kenlm is not None:
        print(
            f"score: rnnlab / KenLM = {r['score memory'] / r['kenlm memory']:5.2f}× in memory "
            f"(goal ≥ 1×), {r['score file'] / r['kenlm file']:5.2f}× from a file (goal ≥ 2×)"
        )
    print(
        f"perplexity / score = {r['perplexity'] / r['score memory']:5.2f}× with boundaries, "
        f"{r['lab perplexity'] / r['score memory']:5.2f}× the lab's   (goal ≥ 0.5×)"
    )
    print(f"score: RNN / table = {through_rnn / table:6.2f}×   (goal ≥ 0.5×)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
