"""Bigram models on real text, each call the first of a fresh process: rnnlab against NLTK
(fitting) and KenLM (scoring).

    cd benchmarks && taskset -c 0 ../.venv/bin/python bench_bigram.py [--copies 5] [--rounds 3]

Reads ../shared/corpora/federalist.txt (beside the repository; the script says so and
stops if it is absent), repeats it ``--copies`` times and splits it into sentences of
tokens with rnnlab.bigram.text.sentences. Every timed call runs in a new Python process, after
its libraries are imported and its input is made, so what a first call costs (loading,
compiling, first touches of memory) is counted; the processes of the tools alternate,
round after round. Times are the CPU seconds of the process (time.process_time).

- fit: ``BigramLM.estimate(sentences, smoothing=0.1)`` against NLTK's ``MLE(2).fit`` on
  ``padded_everygram_pipeline(2, sentences)``, both on the whole corpus. (NLTK's
  Laplace and Lidstone fit the same counts; they differ only when scoring.)
- score: ``lm.score(sentences)`` on fresh token lists (made anew in the process, so no
  token's hash is already known) against KenLM's ``Model.score`` per sentence, on the
  ARPA file that rnnlab writes for the same model (rnnlab.bigram.arpa). KenLM takes a
  sentence as one string: timed once with the strings joined before the clock starts,
  and once joining each token list inside the clock, which is the same input rnnlab has.

KenLM is optional (``pip install -e .[bench]``, or ``scripts/setup.sh test``; it builds
from source): where it does not import, its rows are skipped, saying so. Before timing,
the two are checked to compute the same thing: KenLM's log10 score of every 20th
sentence against rnnlab's, and of the whole corpus.

Goals: fit ≥ 50× NLTK; score ≥ 1× KenLM's per-sentence scoring.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "federalist.txt"
TASKS = ("rnnlab fit", "nltk fit", "rnnlab score", "kenlm joined", "kenlm from tokens")


def corpus(copies: int) -> list[list[str]]:
    """The corpus as sentences of tokens, made anew (fresh str objects) at each call."""
    from rnnlab.bigram.text import read_text, sentences

    text = read_text(CORPUS)
    return sentences("\n\n".join([text] * copies))


def child(task: str, copies: int, arpa: str) -> dict:
    """Time the first call of ``task`` in this process; what it returns, as a dict."""
    started = time.process_time()
    from rnnlab.bigram import BigramLM

    imported = time.process_time() - started
    if task == "rnnlab fit":
        found = corpus(copies)
        start = time.process_time()
        lm = BigramLM.estimate(found, smoothing=0.1)
        return {"seconds": time.process_time() - start, "import": imported, "V": lm.size}
    if task == "nltk fit":
        from nltk.lm import MLE
        from nltk.lm.preprocessing import padded_everygram_pipeline

        found = corpus(copies)
        start = time.process_time()
        text_ngrams, vocabulary_text = padded_everygram_pipeline(2, found)
        model = MLE(2)
        model.fit(text_ngrams, vocabulary_text)
        return {"seconds": time.process_time() - start, "V": len(model.vocab)}
    if task == "rnnlab score":
        lm = BigramLM.estimate(corpus(copies), smoothing=0.1)
        found = corpus(copies)
        start = time.process_time()
        score = lm.score(found)
        seconds = time.process_time() - start
        return {"seconds": seconds, "log10": score.log10_probability}
    import kenlm

    model = kenlm.Model(arpa)
    found = corpus(copies)
    if task == "kenlm joined":
        joined = [" ".join(sentence) for sentence in found]
        start = time.process_time()
        total = sum(map(model.score, joined))
    else:
        start = time.process_time()
        total = sum(model.score(" ".join(sentence)) for sentence in found)
    return {"seconds": time.process_time() - start, "log10": total}


def run_child(task: str, copies: int, arpa: Path) -> dict:
    command = [sys.executable, __file__, "--child", task, "--copies", str(copies)]
    command += ["--arpa", str(arpa)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{task} failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def check_against_kenlm(copies: int, arpa: Path) -> bool:
    """Write the ARPA file; compare KenLM's log10 scores with rnnlab's. False: no KenLM."""
    from rnnlab.bigram import BigramLM
    from rnnlab.bigram.arpa import write_arpa

    found = corpus(copies)
    lm = BigramLM.estimate(found, smoothing=0.1)
    write_arpa(lm, arpa)
    try:
        import kenlm
    except ImportError:
        print("KenLM is not installed (pip install -e .[bench]): its rows are skipped\n")
        return False
    model = kenlm.Model(str(arpa))
    worst = max(
        abs(lm.score([sentence]).log10_probability - model.score(" ".join(sentence)))
        for sentence in found[::20]
    )
    ours = lm.score(found).log10_probability
    theirs = sum(model.score(" ".join(sentence)) for sentence in found)
    print(f"log10 Pr of the corpus: rnnlab {ours:,.3f}, KenLM {theirs:,.3f} (float32 inside)")
    print(f"every 20th sentence: largest |rnnlab − KenLM| = {worst:.2g} (log10)\n")
    assert math.isclose(ours, theirs, rel_tol=1e-6), (ours, theirs)
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=TASKS)
    parser.add_argument("--arpa", default="")
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(child(arguments.child, arguments.copies, arguments.arpa)))
        return
    if not CORPUS.exists():
        print(f"skipped: corpus not found at {CORPUS} (the shared/ folder beside the repository)")
        return
    found = corpus(arguments.copies)
    tokens = sum(map(len, found))
    print(
        f"federalist.txt × {arguments.copies}: {len(found):,} sentences, {tokens:,} tokens; "
        f"each call the first of a fresh process, CPU seconds, {arguments.rounds} rounds\n"
    )
    arpa = Path(tempfile.mkdtemp()) / "model.arpa"
    tasks = TASKS if check_against_kenlm(arguments.copies, arpa) else TASKS[:3]
    seconds: dict[str, list[float]] = {task: [] for task in tasks}
    results = {}
    load_before = os.getloadavg()[0]
    for _ in range(arguments.rounds):
        for task in tasks:
            results[task] = run_child(task, arguments.copies, arpa)
            seconds[task].append(results[task]["seconds"])
    load_after = os.getloadavg()[0]
    for task in tasks:
        times = seconds[task]
        print(
            f"{task:18s} median {statistics.median(times):8.3f} s, best {min(times):8.3f} s, "
            f"{tokens / statistics.median(times) / 1e6:7.2f} M tokens/s   "
            f"(rounds: {', '.join(f'{t:.3f}' for t in times)})"
        )
    print(f"importing rnnlab.bigram: {results['rnnlab fit']['import']:.2f} s (not counted)")
    print(f"load average (1 min) {load_before:.2f} before the rounds, {load_after:.2f} after")
    if "kenlm joined" in tasks:
        ours, theirs = results["rnnlab score"]["log10"], results["kenlm joined"]["log10"]
        assert math.isclose(ours, theirs, rel_tol=1e-6), (ours, theirs)
    median = {task: statistics.median(times) for task, times in seconds.items()}
    ratio = median["nltk fit"] / median["rnnlab fit"]
    print(f"\nfit:   rnnlab / NLTK = {ratio:6.1f}×  (goal ≥ 50×)")
    if "kenlm joined" in tasks:
        print(
            f"score: rnnlab / KenLM = {median['kenlm joined'] / median['rnnlab score']:5.2f}× "
            f"against strings joined before the clock, "
            f"{median['kenlm from tokens'] / median['rnnlab score']:5.2f}× from the same token "
            "lists  (goal ≥ 1×)"
        )


if __name__ == "__main__":
    main()
