"""``rnnlab train``: an RNN learns a bigram model by gradient descent with rnnlab's own BPTT."""

from pathlib import Path
from typing import Annotated

import torch
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rnnlab import lab, plots
from rnnlab import train as training
from rnnlab.bigram import BigramLM
from rnnlab.cli import app
from rnnlab.cli.display import console, number, vector
from rnnlab.construction import bigram_rnn

SHOWN_ROWS = 10
"""Rows of T compared on the terminal; a larger vocabulary shows its first ten."""


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
    if model is None:
        bigram, names = BigramLM(lab.T.double()), list(lab.TOKENS)
    else:
        bigram = BigramLM.load(model)
        names = list(bigram.vocab) if bigram.vocab is not None else None
    T = bigram.T.detach().double()
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

        result = training.train(
            T,
            hidden_size=hidden_size,
            epochs=epochs,
            steps_per_epoch=steps,
            length=length,
            learning_rate=learning_rate,
            optimizer=optimizer,
            seed=seed,
            on_epoch=show,
        )
    print_comparison(result, T, names)
    figure = plots.training_result_figure(result, T)
    written = plots.save(figure, out / "training")
    console.print("Wrote " + " and ".join(str(path) for path in written))


def print_comparison(result: training.Training, T: torch.Tensor, names: list[str]) -> None:
    """Each word's learnt next-word distribution beside T's row and bigram_rnn(T)'s output."""
    constructed = bigram_rnn(T)
    one_hot = torch.eye(T.shape[0], dtype=T.dtype)
    table = Table("after", "T_i", "learnt softmax(o_t), mean", "bigram_rnn(T) o_t", "max error")
    for row in training.learnt_rows(result, T)[:SHOWN_ROWS]:
        i = row.word
        table.add_row(
            names[i],
            vector(T[i]),
            vector(row.mean),
            vector(constructed.forward(one_hot[i][None]).o[0]),
            number(row.max_error),
        )
    console.print(table)
    ids = result.evaluation_ids[:-1]
    distance = result.distance
    exact = training.distance_to_table(constructed.forward_ids(ids).o, T, ids)
    console.print(f"Distance to T over a held-out sample of {len(ids)} steps:")
    console.print(f"  max |softmax(o_t) − T_i| = {distance.max_abs:.4f}")
    console.print(f"  total variation = {distance.total_variation:.4f}")
    console.print(
        f"bigram_rnn(T), built rather than trained: max |o_t − T_i| = {exact.max_abs:.2g}"
    )
    console.print(f"Trained in {result.seconds:.2f} s")
