"""Timing shared by the benchmark scripts (run as ``python benchmarks/NAME.py``)."""

import time
from collections.abc import Callable, Sequence


def best_time(function: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs, in CPU seconds, after one warm-up run."""
    return best_times([function], repeats)[0]


def best_times(
    functions: Sequence[Callable[[], object]], repeats: int, rounds: int = 2
) -> list[float]:
    """The fastest run of each function, in CPU seconds: warm, in a row, over several rounds.

    CPU time of this process (time.process_time), not wall time: on a machine shared
    with other work, the time spent waiting for a core is not counted. Each function
    runs once to warm up and then ``repeats`` times in a row, so it is timed with its
    own code and data in the caches; the functions take turns round by round, so a
    burst of load is unlikely to hit only one of them.
    """
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for i, function in enumerate(functions):
            function()
            for _ in range(repeats):
                start = time.process_time()
                function()
                best[i] = min(best[i], time.process_time() - start)
    return best
