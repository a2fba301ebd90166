"""``rnnlab grad``: backpropagation through time for a user's own case.

``rnnlab grad`` draws a random RNN and sequence of the sizes asked for and computes the
gradient three ways side by side.
"""

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from rnnlab.cli import app
from rnnlab.cli.budgets import SHOW_PROGRESS_SECONDS, check_grad, grad_seconds
from rnnlab.cli.display import bold, console, number
from rnnlab.errors import InvalidValueError

if TYPE_CHECKING:  # for the annotations only: torch and rnnlab.bptt load in the commands
    import torch

    from rnnlab.model.bptt import Gradients
    from rnnlab.model.rnn import ElmanRNN

# torch, sympy and rnnlab's math modules are imported inside the commands, so that
# `rnnlab --help` does not wait for them; the help texts name the choices as written.
HIDDEN_HELP = "relu, identity, tanh or sigmoid"
LOSS_HELP = "squared_error or cross_entropy"
DTYPES = ("float64", "float32")
MOST_SEED = 2**64 - 1
"""torch.Generator takes seeds up to 2⁶⁴ − 1."""
MOST_PATHS_LISTED = 300
MOST_PATH_ENTRIES = 50_000_000  # 400 MB of float64
"""Past this N the per-path terms (N(N + 1)/2 matrices) are not listed: too many to be read."""
ENTRIES_SHOWN = 6
"""How many entries of each gradient are listed."""


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise InvalidValueError(f"{name} = {value}: expected a whole number, at least 1")
    return value


def _three_ways(
    rnn: "ElmanRNN",
    xs: "torch.Tensor",
    ys: "torch.Tensor",
    h0: "torch.Tensor | None",
    loss: str,
) -> "dict[str, Gradients]":
    """rnnlab.lab.methods.three_ways, with a bar on stderr (a terminal's) for slow work."""
    from rich.console import Console
    from rich.progress import Progress

    from rnnlab.lab.methods import three_ways
    from rnnlab.model.bptt import METHOD_NAMES

    stderr = Console(stderr=True)
    slow = grad_seconds(len(xs), rnn.hidden_size) > SHOW_PROGRESS_SECONDS
    with Progress(console=stderr, transient=True, disable=not (slow and stderr.is_terminal)) as bar:
        task = bar.add_task("BPTT three ways", total=len(METHOD_NAMES))

        def started(method: str) -> None:
            done = METHOD_NAMES.index(method)
            bar.update(task, description=f"BPTT by {method}", completed=done)

        results = three_ways(rnn, xs, ys, h0, loss, on_method=started)
        bar.update(task, completed=len(METHOD_NAMES))
    return results


def _choice(value: str, known: "tuple[str, ...]", name: str) -> str:
    if value not in known:
        raise InvalidValueError(f"unknown {name} {value!r}; known: {', '.join(known)}")
    return value


def _side_by_side(name: str, results: dict) -> Table:
    """One gradient's first entries, one column per method."""
    values = {method: getattr(gradients, name) for method, gradients in results.items()}
    first = next(iter(values.values()))
    shape = "×".join(str(size) for size in first.shape)
    table = Table("entry", *values, title=f"dL/d{name} ({shape})", title_justify="left")
    for index in list(itertools.product(*(range(size) for size in first.shape)))[:ENTRIES_SHOWN]:
        label = "(" + ", ".join(str(i + 1) for i in index) + ")"
        table.add_row(label, *(number(float(value[index]), 10) for value in values.values()))
    if first.numel() > ENTRIES_SHOWN:
        table.add_row(f"… {first.numel() - ENTRIES_SHOWN} more", *("" for _ in values))
    return table


@app.command()
def grad(
    length: Annotated[int, typer.Option("--length", "-N", help="N, the sequence's length.")] = 5,
    input_size: Annotated[int, typer.Option("--input-size", "-D", help="D, width of x_t.")] = 3,
    hidden_size: Annotated[int, typer.Option("--hidden-size", "-H", help="H, width of h_t.")] = 4,
    output_size: Annotated[int, typer.Option("--output-size", "-O", help="O, width of o_t.")] = 2,
    sigma: Annotated[str, typer.Option(help=f"σ: {HIDDEN_HELP}.")] = "tanh",
    loss: Annotated[str, typer.Option(help=f"The loss on o_t: {LOSS_HELP}.")] = ("squared_error"),
    seed: Annotated[int, typer.Option(help="Seed for the random weights and sequence.")] = 0,
    dtype: Annotated[str, typer.Option(help="float64 or float32.")] = "float64",
    top: Annotated[int, typer.Option(help="How many of the largest per-path terms to list.")] = 5,
    example: Annotated[
        Path | None,
        typer.Option(
            "--example",
            help="The lab's numbers from a JSON or TOML file (as for `rnnlab run --example`) "
            "instead of a random RNN (default: none, a random RNN).",
            dir_okay=False,
        ),
    ] = None,
    lab_example: Annotated[
        bool, typer.Option("--lab", help="The lab's worked example instead of a random RNN.")
    ] = False,
) -> None:
    """dL/dU, dL/dV, dL/dW, dL/dh0 three ways, and the paths: random, --lab or --example FILE."""
    if example is not None or lab_example:
        if example is not None and lab_example:
            raise InvalidValueError("--example and --lab: give one or the other")
        _example_gradients(example, top)
        return
    N, D, H, O, top = (
        _positive(value, name)
        for value, name in (
            (length, "N"),
            (input_size, "D"),
            (hidden_size, "H"),
            (output_size, "O"),
            (top, "top"),
        )
    )
    from rnnlab.validation import whole_number

    whole_number("--seed", seed, least=0, most=MOST_SEED)
    check_grad(N, D, H, O, dtype)
    import torch

    from rnnlab.model.activations import HIDDEN_NAMES
    from rnnlab.model.losses import LOSS_NAMES
    from rnnlab.model.rnn import ElmanRNN

    _choice(sigma, HIDDEN_NAMES, "sigma")
    _choice(loss, LOSS_NAMES, "loss")
    _choice(dtype, DTYPES, "dtype")
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator, dtype=getattr(torch, dtype))

    # Weights scaled by 1/√(fan-in), so the states neither die out nor blow up at once.
    rnn = ElmanRNN(draw(H, D) / D**0.5, draw(H, H) / H**0.5, draw(O, H) / H**0.5, sigma=sigma)
    xs = draw(N, D)
    ys = torch.randint(0, O, (N,), generator=generator) if loss == "cross_entropy" else draw(N, O)

    _print_gradients(
        rnn,
        xs,
        ys,
        None,
        loss,
        top,
        f"N = {N}, D = {D}, H = {H}, O = {O}, σ = {sigma}, loss = {loss}, seed = {seed}, "
        f"{dtype}; random U, V, W, x_t, targets; h0 = 0",
    )


def _example_gradients(path: "Path | None", top: int) -> None:
    """The lab's two RNNs from the worked example or a file: the scalar RNN of section 3
    and, where its outputs can be compared with its next inputs (O = D, N ≥ 2), section
    1's, both with the lab's loss L = Σ_t ‖x_(t+1) − o_t‖²."""
    import torch

    from rnnlab import lab
    from rnnlab.lab.example import read_example
    from rnnlab.model.rnn import ElmanRNN

    example = lab.WORKED if path is None else read_example(path, lab.WORKED)
    where = "the lab's worked example" if path is None else str(path)
    scalar = example.scalar
    rnn = ElmanRNN(
        *(torch.tensor(p, dtype=torch.float64) for p in (scalar.U, scalar.V, scalar.W)),
        sigma=example.sigma,
    )
    inputs = torch.tensor(scalar.xs, dtype=torch.float64)
    _print_gradients(
        rnn,
        inputs[:-1],
        inputs[1:],
        None,
        "squared_error",
        top,
        f"The scalar RNN of {where}: U = {number(scalar.U)}, V = {number(scalar.V)}, "
        f"W = {number(scalar.W)}, σ = {example.sigma}, N = {len(inputs) - 1}, h0 = 0; "
        "L = Σ_t (x_(t+1) − o_t)²",
    )
    O, D = example.W.shape[0], example.U.shape[1]
    if O != D or len(example.xs) < 2:
        console.print(
            f"(Section 1's RNN is left out: its O = {O} outputs cannot be compared with its "
            f"D = {D} inputs, or it has fewer than two inputs)"
        )
        return
    console.print()
    _print_gradients(
        ElmanRNN(example.U, example.V, example.W, sigma=example.sigma),
        example.xs[:-1],
        example.xs[1:],
        example.h0,
        "squared_error",
        top,
        f"Section 1's RNN of {where}: σ = {example.sigma}, N = {len(example.xs) - 1}, "
        "L = Σ_t ‖x_(t+1) − o_t‖²",
    )


def _print_gradients(rnn, xs, ys, h0, loss: str, top: int, description: str) -> None:
    """The gradient by every method side by side, how far they differ, and the largest
    per-path terms, as rnnlab.lab.methods computes them."""
    from rnnlab.lab.methods import GRADIENT_NAMES, largest_difference, largest_paths
    from rnnlab.model.bptt import path_contributions
    from rnnlab.model.paths import count_paths

    N = len(xs)
    results = _three_ways(rnn, xs, ys, h0, loss)
    console.print(description)
    console.print(f"L = {number(results['autograd'].loss, 8)}")
    for name in GRADIENT_NAMES:
        console.print(_side_by_side(name, results))
    bold("Largest difference between two methods, over every entry of every gradient")
    for first, second in (("reverse", "autograd"), ("paths", "autograd"), ("reverse", "paths")):
        difference = largest_difference(results[first], results[second])
        console.print(f"  {first} vs {second}: {difference:.3g}")

    console.print()
    bold(f"Paths from U to L: N(N + 1)/2 = {count_paths(N)}")
    # Every path's term is a whole H × D matrix: bound their total size, not N alone.
    entries = count_paths(N) * rnn.U.numel()
    if N > MOST_PATHS_LISTED or entries > MOST_PATH_ENTRIES:
        console.print(
            f"(per-path terms are listed for N ≤ {MOST_PATHS_LISTED} and at most "
            f"{MOST_PATH_ENTRIES:,} entries in all; here N(N + 1)/2 · H · D = {entries:,})"
        )
        return
    largest = largest_paths(path_contributions(rnn, xs, ys, h0, loss=loss), top)
    total = float(results["reverse"].U.norm())
    terms = Table("path (k, t)", "h's on it", "‖term‖", "‖term‖ / ‖dL/dU‖")
    for (k, t), size in largest:
        share = number(size / total, 4) if total > 0 else "–"
        terms.add_row(f"({k}, {t})", str(t - k + 1), number(size, 4), share)
    heading = "The largest term" if len(largest) == 1 else f"The {len(largest)} largest terms"
    console.print(f"{heading} of dL/dU (Frobenius norm):")
    console.print(terms)
