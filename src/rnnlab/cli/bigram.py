"""``rnnlab bigram fit | score | sample | prob``: bigram models of plain-text files.

Text files are read as UTF-8 and tokenized by rnnlab.bigram.text; models are written in the
format of docs/bigram-format.md, and ``fit --arpa`` also writes an ARPA file for KenLM.
"""

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from rnnlab.cli import app
from rnnlab.cli.display import console, number
from rnnlab.errors import InvalidValueError

bigram_app = typer.Typer(
    help="Bigram language models of plain-text files: fit, score, sample, prob.",
    no_args_is_help=True,
)
app.add_typer(bigram_app, name="bigram")

ModelOption = Annotated[
    Path, typer.Option("--model", "-m", help="The model file written by `rnnlab bigram fit`.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the results as JSON.")]


def print_json(results: dict) -> None:
    """Results as JSON; a probability of 0 makes infinite logs, written as null (JSON has no ∞)."""
    finite = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in results.items()
    }
    print(json.dumps(finite, indent=2, ensure_ascii=False))


def symbol(value: str) -> str | None:
    """An empty symbol option turns the symbol off."""
    return value or None


def plural(count: int, word: str) -> str:
    """A count and its noun: 1 sentence, 2 sentences."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file (the same path, or links to one file)."""
    if first.exists() and second.exists():
        return os.path.samefile(first, second)
    return first.resolve() == second.resolve()


def check_outputs(inputs: list[Path], outputs: dict[str, Path]) -> None:
    """Refuse an output that is an input, or two outputs at one path."""
    for name, output in outputs.items():
        for given in inputs:
            if same_file(output, given):
                raise InvalidValueError(f"{name} {output} is the input {given}; it would be lost")
    named = list(outputs.items())
    for i, (name, output) in enumerate(named):
        for other, path in named[i + 1 :]:
            if same_file(output, path):
                raise InvalidValueError(f"{name} and {other} are the same path, {output}")


@bigram_app.command()
def fit(
    text: Annotated[Path, typer.Argument(help="A UTF-8 text file.", dir_okay=False)],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-o",
            help="Where to write the model (default: TEXT's name + .bigram.npz, in this folder).",
        ),
    ] = None,
    smoothing: Annotated[
        float, typer.Option(help="k of add-k smoothing; 0 is maximum likelihood.")
    ] = 0.0,
    min_count: Annotated[
        int, typer.Option(help="Words seen fewer times become the unknown-word token.")
    ] = 1,
    bos: Annotated[str, typer.Option(help="Start-of-sentence symbol; '' for none.")] = "<s>",
    eos: Annotated[str, typer.Option(help="End-of-sentence symbol; '' for none.")] = "</s>",
    unk: Annotated[str, typer.Option(help="Unknown-word token; '' for none.")] = "<unk>",
    arpa: Annotated[
        Path | None,
        typer.Option(
            help="Also write the model as an ARPA file, which KenLM reads (default: none)."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Estimate a bigram model from a text file and write it."""
    from rnnlab.bigram import BigramLM
    from rnnlab.bigram.arpa import to_arpa
    from rnnlab.bigram.text import read_text, sentences
    from rnnlab.files import write_all_atomic

    model = model or Path(f"{text.stem}.bigram.npz")
    outputs = {"--model": model} | ({} if arpa is None else {"--arpa": arpa})
    check_outputs([text], outputs)
    started = time.perf_counter()
    found = sentences(read_text(text))
    lm = BigramLM.estimate(
        found,
        smoothing=smoothing,
        bos=symbol(bos),
        eos=symbol(eos),
        unk=symbol(unk),
        min_count=min_count,
    )
    # All or nothing: the model and the ARPA file go to temporary names, then are renamed.
    contents = {model: lm.file_bytes()} | ({} if arpa is None else {arpa: to_arpa(lm)})
    write_all_atomic(contents)
    results = {
        "text": str(text),
        "sentences": len(found),
        "tokens": sum(map(len, found)),
        "vocabulary": lm.size,
        "bigrams": len(lm.backoff_form().contexts),
        "smoothing": lm.smoothing,
        "model": str(model),
        "arpa": None if arpa is None else str(arpa),
        "seconds": round(time.perf_counter() - started, 3),
    }
    if json_output:
        print_json(results)
        return
    console.print(
        f"Read {plural(results['sentences'], 'sentence')}, {plural(results['tokens'], 'token')}."
    )
    console.print(
        f"V = {lm.size:,} word types, {results['bigrams']:,} distinct bigrams seen, "
        + ("maximum likelihood" if lm.smoothing == 0 else f"add-{lm.smoothing:g} smoothing")
        + "."
    )
    console.print(f"Wrote {model}" + ("" if arpa is None else f" and {arpa}"))


@bigram_app.command()
def score(
    text: Annotated[Path, typer.Argument(help="A UTF-8 text file to score.", dir_okay=False)],
    model: ModelOption,
    rnn: Annotated[
        bool,
        typer.Option(
            "--rnn", help="Read the probabilities off the bigram RNN (model.to_rnn()), not T."
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Log probability and perplexity of a text, each sentence between <s> and </s>."""
    from rnnlab.bigram import BigramLM
    from rnnlab.bigram.counts import DENSE_LIMIT
    from rnnlab.bigram.text import read_text, sentences

    lm = BigramLM.load(model)
    if rnn and lm.size > DENSE_LIMIT:
        raise InvalidValueError(
            f"--rnn builds the bigram RNN, whose U, V and W are V × V, and {model} has "
            f"V = {lm.size:,} word types, more than the {DENSE_LIMIT:,} it is built for; "
            "score without --rnn, or fit with a larger --min-count"
        )
    result = lm.score(sentences(read_text(text)), rnn=lm.to_rnn() if rnn else None)
    results = {
        "text": str(text),
        "sentences": result.sentences,
        "predicted": result.predicted,
        "unknown": result.unknown,
        "log_probability": result.log_probability,
        "log10_probability": result.log10_probability,
        "perplexity": result.perplexity,
    }
    if json_output:
        print_json(results)
        return
    console.print(
        f"{plural(result.sentences, 'sentence')}, {plural(result.predicted, 'token')} "
        f"predicted, {plural(result.unknown, 'unknown word')} scored as {lm.unk}"
    )
    console.print(f"log10 probability {result.log10_probability:,.3f}")
    console.print(f"perplexity {number(result.perplexity, 6)}")
    if result.log_probability == -math.inf:
        console.print(
            "The text has a pair the model gives probability 0; fit with --smoothing K "
            "(K > 0) to score unseen pairs."
        )


@bigram_app.command()
def sample(
    model: ModelOption,
    count: Annotated[int, typer.Option("--count", "-n", help="How many sentences.", min=0)] = 5,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed, for the same sentences again (default: new ones each run)."),
    ] = None,
    max_length: Annotated[int, typer.Option(help="Most words in one sentence.")] = 100,
    json_output: JsonOption = False,
) -> None:
    """Sentences drawn from the model, each from <s> until </s>."""
    import torch

    from rnnlab.bigram import BigramLM
    from rnnlab.validation import whole_number

    if seed is not None:
        whole_number("--seed", seed, least=0, most=2**64 - 1)  # the seeds torch takes
    lm = BigramLM.load(model)
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    drawn = [lm.sample_sentence(max_length, generator=generator) for _ in range(count)]
    _warn_if_flat(lm)  # once the sentences are drawn: an error after it would be a 2nd line
    if json_output:
        print_json({"sentences": drawn})
        return
    for words in drawn:
        console.print(" ".join(words), soft_wrap=True)  # one sentence, one line


FLAT_SHARE = 0.05
"""Sampling warns when more of Pr(next word) than this goes to pairs never seen: then
about one word in 20 of a sample follows its context in no sentence of the text."""


def _warn_if_flat(lm) -> None:
    share = lm.unseen_share()
    if share > FLAT_SHARE:
        print(
            f"rnnlab: warning: add-{lm.smoothing:g} smoothing gives {share:.0%} of each next "
            "word's probability, on average, to pairs never seen in the text, so samples "
            "read as random words; fit with a smaller --smoothing (0 keeps only pairs seen)",
            file=sys.stderr,
        )


@bigram_app.command()
def prob(
    tokens: Annotated[
        list[str], typer.Argument(help="CONTEXT WORD (or a longer sequence of tokens).")
    ],
    model: ModelOption,
    json_output: JsonOption = False,
) -> None:
    """Pr(WORD | CONTEXT); for more tokens, Pr(w_2 … w_N | w_1)."""
    from rnnlab.bigram import BigramLM
    from rnnlab.bigram.text import sentences

    # The same tokenizer as fit, so "The" and "cat." mean what they meant in the text.
    tokens = [token for sentence in sentences(" ".join(tokens)) for token in sentence]
    if len(tokens) < 2:
        raise InvalidValueError(f"give at least two tokens, CONTEXT WORD; got {tokens}")
    lm = BigramLM.load(model)
    if lm.vocab is None:
        raise InvalidValueError(f"{model} has no vocabulary of words to look {tokens} up in")
    unknown = sorted({token for token in tokens if token not in lm.vocab})
    if unknown and lm.unk is None:
        raise InvalidValueError(f"not in the model's vocabulary: {', '.join(unknown)}")
    log_probability = lm.log_probability(tokens)
    results = {
        "tokens": tokens,
        "probability": math.exp(log_probability),
        "log10_probability": log_probability / math.log(10),
        "unknown": unknown,
    }
    if json_output:
        print_json(results)
        return
    given = f"{' '.join(tokens[1:])} | {tokens[0]}"
    if unknown:
        console.print(f"Not in the vocabulary, scored as {lm.unk}: {', '.join(unknown)}")
    console.print(
        f"Pr({given}) = {number(results['probability'], 6)}"
        f"  (log10 {number(results['log10_probability'], 6)})"
    )
