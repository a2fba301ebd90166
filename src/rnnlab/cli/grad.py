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
ITEMSIZE = {"float64": 8, "float32": 4}
MOST_SEED = 2**64 - 1
"""torch.Generator takes seeds up to 2⁶⁴ − 1."""
AUTOGRAD_BYTES_PER_STEP = 2_000
"""Memory autograd's graph takes per step beyond its tensors: about ten nodes, each a
C++ object with its saved-tensor records (1.3 kB a step measured at N = 10⁵, rounded up)."""
TENSOR_COPIES = 16
"""How many values of each size one step keeps across the three methods at once: states
and pre-activations for each method, autograd's saved tensors, the open paths' rows."""
STEP_SECONDS = 2e-4
PATH_SECONDS = 2e-8
"""grad's time: STEP_SECONDS a step (forward, reverse sweep, autograd; Python's loop over
the steps) and PATH_SECONDS per path and H² (the paths method extends every open path by
V at every step: N(N + 1)/2 · H² multiply-adds). Measured at N = 3,000, H = 4 on a shared
2-core machine under heavy load (5.2 s, 3.6 s of them in the paths method), rounded up."""
MOST_SECONDS = 600
"""The longest grad or formula may be planned to run: ten minutes, under a progress bar."""
SHOW_PROGRESS_SECONDS = 2
"""Work planned to take longer shows a progress bar on stderr."""
MOST_PATHS_LISTED = 300
MOST_PATH_ENTRIES = 50_000_000  # 400 MB of float64
"""Past this N the per-path terms (N(N + 1)/2 matrices) are not listed: too many to be read."""
ENTRIES_SHOWN = 6
"""How many entries of each gradient are listed."""


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise InvalidValueError(f"{name} = {value}: expected a whole number, at least 1")
    return value


def grad_memory(N: int, D: int, H: int, O: int, itemsize: int) -> int:
    """Bytes ``rnnlab grad`` is estimated to need for these sizes, all three methods.

    The weights and their gradients (H·D + H·H + O·H numbers, each kept by every method),
    then per step: the input, the target, the states and outputs each method keeps, and
    autograd's graph. Rounded up, so that a refusal is never wrong by much the other way.
    """
    weights = (H * D + H * H + O * H) * itemsize * TENSOR_COPIES
    per_step = (D + O + TENSOR_COPIES * (H + O)) * itemsize + AUTOGRAD_BYTES_PER_STEP
    return weights + N * per_step


def grad_seconds(N: int, H: int) -> float:
    """Seconds ``rnnlab grad`` is estimated to take (see STEP_SECONDS)."""
    return STEP_SECONDS * N + PATH_SECONDS * (N * (N + 1) // 2) * max(H, 4) ** 2


def check_sizes(N: int, D: int, H: int, O: int, dtype: str) -> None:
    """Refuse, before anything is drawn, sizes this machine cannot run in memory or time.

    -N 10**8 once took 24 GB before the kernel ended it; -H 10**11 asks for 10²² numbers.
    """
    from rnnlab.validation import check_memory  # which imports torch

    sizes = f"N = {N:,}, D = {D:,}, H = {H:,}, O = {O:,}"
    check_memory(f"grad with {sizes}", grad_memory(N, D, H, O, ITEMSIZE.get(dtype, 8)))
    seconds = grad_seconds(N, H)
    if seconds > MOST_SECONDS:
        raise InvalidValueError(
            f"grad with {sizes} would take about {seconds / 60:,.0f} min (the paths method "
            f"alone is N(N + 1)/2 · H² steps), more than the {MOST_SECONDS // 60} min allowed"
        )


def _three_ways(
    rnn: "ElmanRNN",
    xs: "torch.Tensor",
    ys: "torch.Tensor",
    h0: "torch.Tensor | None",
    loss: str,
) -> "dict[str, Gradients]":
    """The gradients by each method; a bar on stderr (a terminal's) for slow work."""
    from rich.console import Console
    from rich.progress import Progress

    from rnnlab.model.bptt import METHOD_NAMES, bptt

    results = {}
    stderr = Console(stderr=True)
    slow = grad_seconds(len(xs), rnn.hidden_size) > SHOW_PROGRESS_SECONDS
    with Progress(console=stderr, transient=True, disable=not (slow and stderr.is_terminal)) as bar:
        task = bar.add_task("BPTT three ways", total=len(METHOD_NAMES))
        for method in METHOD_NAMES:
            bar.update(task, description=f"BPTT by {method}")
            results[method] = bptt(rnn, xs, ys, h0, loss=loss, method=method)
            bar.advance(task)
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
    check_sizes(N, D, H, O, dtype)
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
    per-path terms."""
    from rnnlab.model.bptt import path_contributions
    from rnnlab.model.paths import count_paths

    N = len(xs)
    results = _three_ways(rnn, xs, ys, h0, loss)
    console.print(description)
    console.print(f"L = {number(results['autograd'].loss, 8)}")
    for name in ("U", "V", "W", "h0"):
        console.print(_side_by_side(name, results))
    bold("Largest difference between two methods, over every entry of every gradient")
    for first, second in (("reverse", "autograd"), ("paths", "autograd"), ("reverse", "paths")):
        difference = max(
            float((getattr(results[first], n) - getattr(results[second], n)).abs().max())
            for n in ("U", "V", "W", "h0")
        )
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
    contributions = path_contributions(rnn, xs, ys, h0, loss=loss)
    total = float(results["reverse"].U.norm())
    largest = sorted(contributions.items(), key=lambda item: -float(item[1].norm()))[:top]
    terms = Table("path (k, t)", "h's on it", "‖term‖", "‖term‖ / ‖dL/dU‖")
    for (k, t), term in largest:
        size = float(term.norm())
        share = number(size / total, 4) if total > 0 else "–"
        terms.add_row(f"({k}, {t})", str(t - k + 1), number(size, 4), share)
    heading = "The largest term" if len(largest) == 1 else f"The {len(largest)} largest terms"
    console.print(f"{heading} of dL/dU (Frobenius norm):")
    console.print(terms)
