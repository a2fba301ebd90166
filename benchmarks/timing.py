"""Timing shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

import time
from collections.abc import Callable


def best_time(function: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in seconds, after one warm-up run."""
    function()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best
