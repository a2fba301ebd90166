"""What a command's work is estimated to take, in memory and time, checked before it starts.

The library's functions do what they are asked; the command line is where a user types
``-N 100000000`` by accident, so each command checks its sizes here first, once, and a
refusal is one line naming the sizes, the estimate and the limit. Memory limits follow
the machine (rnnlab.validation.check_memory); time limits are MOST_SECONDS. Every byte
and second constant below is measured and rounded up (benchmarks/RESULTS.md), so that a
refusal is never wrong by much the other way. torch loads only when a check runs.
"""

from rnnlab.errors import InvalidValueError

MOST_SECONDS = 600
"""The longest a command may be planned to run: ten minutes, under a progress bar."""
SHOW_PROGRESS_SECONDS = 2
"""Work planned to take longer shows a progress bar on stderr."""

ITEMSIZE = {"float64": 8, "float32": 4}
AUTOGRAD_BYTES_PER_STEP = 2_000
"""Memory autograd's graph takes per step beyond its tensors: about ten nodes, each a
C++ object with its saved-tensor records."""
TENSOR_COPIES = 16
"""How many values of each size one step keeps across the three methods at once: states
and pre-activations for each method, autograd's saved tensors, the open paths' rows."""
STEP_SECONDS = 2e-4
PATH_SECONDS = 2e-8
"""grad's time: STEP_SECONDS a step (forward, reverse sweep, autograd; Python's loop over
the steps) and PATH_SECONDS per path and H² (the paths method extends every open path by
V at every step: N(N + 1)/2 · H² multiply-adds)."""

FORMULA_BYTES_PER_FACTOR = 128
"""Memory per factor of the written-out formula: sympy's objects and their text."""
FACTOR_SECONDS = 3e-5
"""Time per partial derivative written (sympy builds and prints each)."""

TRAINING_BYTES_PER_ENTRY = 8 * 24
"""Memory per entry of U, V, W while training: the weights, their gradients, Adam's two
moments and the per-step activations, all float64, with room for torch's temporaries."""

LAYOUT_SECONDS = 120
"""How long a graph may be planned to keep Graphviz's `dot` busy. The unrolled graph is
a picture: one that ``dot`` cannot lay out in two minutes is refused before it is built
(building it is itself slow, about 0.6 ms and 2.4 kB a step)."""
LAYOUT_SECONDS_PER_STEP_CUBED = 6e-9
"""dot's time to lay out the unrolled graph grows as N³; this is its constant."""
MOST_LAID_OUT = int((LAYOUT_SECONDS / LAYOUT_SECONDS_PER_STEP_CUBED) ** (1 / 3))
"""The largest N drawn: 2,714."""


def grad_memory(N: int, D: int, H: int, O: int, itemsize: int) -> int:
    """Bytes ``rnnlab grad`` is estimated to need for these sizes, all three methods.

    The weights and their gradients (H·D + H·H + O·H numbers, each kept by every method),
    then per step: the input, the target, the states and outputs each method keeps, and
    autograd's graph.
    """
    weights = (H * D + H * H + O * H) * itemsize * TENSOR_COPIES
    per_step = (D + O + TENSOR_COPIES * (H + O)) * itemsize + AUTOGRAD_BYTES_PER_STEP
    return weights + N * per_step


def grad_seconds(N: int, H: int) -> float:
    """Seconds ``rnnlab grad`` is estimated to take (see STEP_SECONDS)."""
    return STEP_SECONDS * N + PATH_SECONDS * (N * (N + 1) // 2) * max(H, 4) ** 2


def check_grad(N: int, D: int, H: int, O: int, dtype: str) -> None:
    """Refuse sizes ``rnnlab grad`` cannot run in this machine's memory or in MOST_SECONDS."""
    sizes = f"N = {N:,}, D = {D:,}, H = {H:,}, O = {O:,}"
    _check_memory(f"grad with {sizes}", grad_memory(N, D, H, O, ITEMSIZE.get(dtype, 8)))
    _check_time(
        f"grad with {sizes}", grad_seconds(N, H), "the paths method alone is N(N + 1)/2 · H² steps"
    )


def formula_seconds(N: int) -> float:
    """Seconds ``rnnlab formula N`` is estimated to take to write the formula."""
    from rnnlab.model.formulas import factor_count

    return FACTOR_SECONDS * factor_count(N)


def check_formula_length(N: int) -> None:
    """Refuse a length whose formula would not fit in memory or be written in time."""
    from rnnlab.model.formulas import factor_count

    what = f"the formula for N = {N:,} ({factor_count(N):,} factors)"
    _check_memory(what, FORMULA_BYTES_PER_FACTOR * factor_count(N))
    _check_time(what, formula_seconds(N))


def check_training(V: int, H: int, length: int) -> None:
    """Refuse a training run whose weights and activations would not fit in memory."""
    _check_memory(
        f"training an RNN with V = {V} words and H = {H} hidden units",
        TRAINING_BYTES_PER_ENTRY * (H * V + H * H + V * H) + 8 * length * (H + V),
    )


def layout_seconds(N: int) -> float:
    """Seconds ``dot`` is estimated to take to lay out the unrolled graph of N steps."""
    return LAYOUT_SECONDS_PER_STEP_CUBED * N**3


def check_layout(N: int) -> None:
    """Refuse, before anything is built, an unrolled graph whose drawing would keep
    ``dot`` busy longer than LAYOUT_SECONDS (its few thousand steps fit in any memory)."""
    if N > MOST_LAID_OUT:
        raise InvalidValueError(
            f"drawing the unrolled graph of N = {N:,} steps would keep Graphviz busy for about "
            f"{_duration(layout_seconds(N))}, more than the {_duration(LAYOUT_SECONDS)} "
            f"allowed; N ≤ {MOST_LAID_OUT:,} draws in time"
        )


def _check_memory(what: str, needed: float) -> None:
    from rnnlab.validation import check_memory  # which imports torch

    check_memory(what, needed)


def _check_time(what: str, seconds: float, why: str = "") -> None:
    if seconds > MOST_SECONDS:
        because = f" ({why})" if why else ""
        raise InvalidValueError(
            f"{what} would take about {seconds / 60:,.0f} min{because}, more than the "
            f"{MOST_SECONDS // 60} min allowed"
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.0f} h"
