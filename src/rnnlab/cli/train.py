"""``rnnlab train``: an RNN learns a bigram model by gradient descent with rnnlab's own BPTT."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from rnnlab.cli import app
from rnnlab.cli.budgets import check_training
from rnnlab.cli.display import console
from rnnlab.cli.terminal import print_table
from rnnlab.errors import InvalidValueError


@app.command()
def train(
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help="A model file from `rnnlab bigram fit` (default: the lab's T over a, b).",
            dir_okay=False,
        ),
    ] = None,
    hidden_size: Annotated[int, typer.Option(help="H, the width of h_t.")] = 4,
    epochs: Annotated[int, typer.Option(help="Epochs; each is --steps updates.")] = 100,
    steps: Annotated[int, typer.Option(help="Updates per epoch, one sampled sequence each.")] = 10,
    length: Annotated[int, typer.Option(help="Tokens per sampled training sequence.")] = 50,
    optimizer: Annotated[str, typer.Option(help="adam or gd (plain gradient descent).")] = "adam",
    learning_rate: Annotated[
        float | None,
        typer.Option(help="Initial step size, decayed linearly to 0 (default: 0.05 adam, 1 gd)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the initial weights and the samples.")] = 0,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the training-curve plot.", file_okay=False)
    ] = Path("rnnlab-out"),
) -> None:
    """Train an RNN on sequences sampled from a bigram model and compare it with T."""
    import torch

    from rnnlab import lab
    from rnnlab.bigram import BigramLM
    from rnnlab.bigram.counts import DENSE_LIMIT
    from rnnlab.lab import drawings
    from rnnlab.lab import train as training
    from rnnlab.lab.sections import learning
    from rnnlab.render import plots

    # Small tensors only: a thread pool costs more than it saves here (benchmarks/RESULTS.md),
    # and the command, not the library, owns this process's settings.
    torch.set_num_threads(1)
    config = training.TrainingConfig(
        hidden_size=hidden_size,
        epochs=epochs,
        steps_per_epoch=steps,
        length=length,
        learning_rate=learning_rate,
        optimizer=optimizer,
        seed=seed,
    )
    if model is None:
        bigram, names = BigramLM(lab.T.double()), list(lab.TOKENS)
    else:
        bigram = BigramLM.load(model)
        names = list(bigram.vocab) if bigram.vocab is not None else None
        if bigram.size > DENSE_LIMIT:
            raise InvalidValueError(
                f"--model {model} has V = {bigram.size:,} word types; training compares the "
                f"RNN with the whole table T, which is built for V ≤ {DENSE_LIMIT:,}: fit the "
                "model with a larger --min-count"
            )
    T = bigram.T.detach().double()
    check_training(T.shape[0], config.hidden_size, config.length)
    names = names or [f"v_{i + 1}" for i in range(T.shape[0])]
    terminal = Console(stderr=True)
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} epochs"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=terminal,
        transient=True,
        disable=not terminal.is_terminal,  # a log file gets the results, not bar frames
    )
    with progress:
        task = progress.add_task("Training", total=epochs, status="")

        def show(epoch: training.Epoch) -> None:
            progress.update(
                task,
                advance=1,
                status=f"loss {epoch.loss:.4f}  max |softmax(o) − T| {epoch.distance.max_abs:.4f}",
            )

        learnt = learning(T, config, on_epoch=show, most=MOST_CONSTRUCTED_ROWS)
    _warn_if_too_few_hidden(hidden_size, T.shape[0], learnt.total_variation)
    print_comparison(learnt, T, names)
    curve = drawings.training_curve(learnt.run, T)
    written = plots.save(plots.training_figure(curve), out / drawings.Picture.TRAINING.stem())
    console.print("Wrote " + " and ".join(str(path) for path in written))


MOST_CONSTRUCTED_ROWS = 10
"""How many words' outputs of bigram_rnn(T) the comparison shows."""
FEWEST_HIDDEN_SHARE = 1 / 4
"""Training warns when H is under this share of V: the outputs o_t = W h_t of all V
contexts then span at most H of V dimensions, and the learnt rows cannot be T's."""


def _warn_if_too_few_hidden(H: int, V: int, total_variation: float) -> None:
    """After training (an error after a warning would make two lines), as its results."""
    if H < FEWEST_HIDDEN_SHARE * V:
        print(
            f"rnnlab: warning: H = {H:,} hidden units for V = {V:,} word types: the outputs "
            f"o_t = W h_t span at most {H:,} of {V:,} dimensions, too few to give each word "
            f"its own next-word distribution (total variation from T: {total_variation:.2f}; "
            "bigram_rnn(T) uses H = V); give a larger --hidden-size",
            file=sys.stderr,
        )


def print_comparison(learnt, T, names: list[str]) -> None:
    """rnnlab.lab.sections.learning's results: the learnt next-word distributions beside T's
    rows and bigram_rnn(T)'s outputs (the largest entries where V is large), and the
    distance to T."""
    from rnnlab.render.document import learning_table

    steps = learnt.evaluation_steps
    print_table(learning_table(learnt.rows, T, learnt.constructed_rows, names, steps))
    console.print(f"Distance to T over a held-out sample of {steps} steps:")
    console.print(f"  max |softmax(o_t) − T_i| = {learnt.max_abs:.4f}")
    console.print(f"  total variation = {learnt.total_variation:.4f}")
    console.print(
        "bigram_rnn(T), built rather than trained: "
        f"max |o_t − T_i| = {learnt.constructed_max_abs:.2g}"
    )
    console.print(f"Trained in {learnt.seconds:.2f} s")
