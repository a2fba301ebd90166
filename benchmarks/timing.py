"""Timing shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

import time
from collections.abc import Callable, Sequence


def best_time(function: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds, after one warm-up run."""
    return best_times([function], repeats)[0]


def best_times(functions: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    """The fastest of ``repeats`` runs of each function, in CPU seconds, after a warm-up run.

    CPU time of this process (time.process_time), not wall time: on a machine shared
    with other work, the time spent waiting for a core is not counted. The functions
    take turns, so what load remains (caches, memory bandwidth) hits all of them alike.
    """
    for function in functions:
        function()
    best = [float("inf")] * len(functions)
    for _ in range(repeats):
        for i, function in enumerate(functions):
            start = time.process_time()
            function()
            best[i] = min(best[i], time.process_time() - start)
    return best
