"""The API fuzzer itself, run by test_fuzz_api.py in a subprocess: ``python fuzz_api_worker.py N``.

It caps its own address space first (RLIMIT_AS, from RNNLAB_FUZZ_BUDGET), then calls
rnnlab's public functions N times with arguments drawn by hypothesis. Every exception
that is not rnnlab's InvalidValueError or InvalidTypeError, and every call that runs past
SECONDS, is recorded; at the end each kind of failure is printed once with an example,
and the exit status is 1 if there was any.
"""

import math
import os
import resource
import sys
import threading
import time
from collections.abc import Callable

BUDGET = int(os.environ.get("RNNLAB_FUZZ_BUDGET", str(6 * 2**30)))
resource.setrlimit(resource.RLIMIT_AS, (BUDGET, BUDGET))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import rnnlab  # noqa: E402
from rnnlab import formulas, graphs  # noqa: E402
from rnnlab.errors import InvalidTypeError, InvalidValueError  # noqa: E402
from rnnlab.lab.explore import view as explore_view  # noqa: E402

SECONDS = 30
"""A call that runs longer than this counts as unbounded work."""

DTYPES = [
    torch.float64,
    torch.float32,
    torch.float16,
    torch.bfloat16,
    torch.int64,
    torch.uint8,
    torch.bool,
    torch.complex64,
]
SPECIAL = [math.nan, math.inf, -math.inf, 0.0, 1e308, -1e-320, 1e-45]
HUGE = [10**6, 10**9, 10**12, 2**63, 10**20]
WRONG = ["ab", "", None, [], [["x"]], {"a": 1}, object(), 3.5, True, [1, "a"], [None, None], b"x"]


class Watchdog(threading.Thread):
    """Ends the run when one call goes past SECONDS, naming it: unbounded work.

    A thread rather than an alarm signal: the signal's exception can land anywhere,
    even in a garbage-collector callback that swallows it.
    """

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.call: tuple[str, list[object], float] | None = None

    def run(self) -> None:
        while True:
            time.sleep(1)
            call = self.call
            if call is not None and time.monotonic() - call[2] > SECONDS:
                name, drawn, _ = call
                arguments = ", ".join(_short(value) for value in drawn)
                failures[(name, "unbounded")] = (
                    f"still running after {SECONDS} s  drawn: {arguments}"
                )
                report()
                os._exit(1)


sizes = st.one_of(st.integers(0, 4), st.sampled_from(HUGE), st.integers(-3, -1))
lengths = st.one_of(st.integers(0, 4), st.integers(-3, -1))
"""N for the calls whose work grows with N (paths, graphs, formulas): the library does
the work it is asked for; a length too large for the machine is the command line's to
refuse (rnnlab.cli.budgets), as a list too long to build is its caller's."""


@st.composite
def tensors(draw, most_dims: int = 3) -> torch.Tensor:
    shape = draw(st.lists(st.integers(0, 4), max_size=most_dims))
    dtype = draw(st.sampled_from(DTYPES))
    seed = torch.Generator().manual_seed(draw(st.integers(0, 99)))
    values = torch.randn(shape, generator=seed, dtype=torch.float64)
    if values.numel() and draw(st.booleans()):
        values.view(-1)[draw(st.integers(0, values.numel() - 1))] = draw(st.sampled_from(SPECIAL))
    if dtype == torch.bool:
        return values > 0
    if dtype.is_complex:
        return torch.complex(values, values)
    if not dtype.is_floating_point:
        return values.nan_to_num(0.0, 0.0, 0.0).clamp(0, 3).to(dtype)
    return values.to(dtype)


wrong = st.sampled_from(WRONG)
anything = st.one_of(
    tensors(),
    wrong,
    st.integers(-3, 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.lists(tensors(most_dims=1), max_size=3),
    st.lists(st.integers(-2, 5), max_size=5),
)


@st.composite
def sequences(draw) -> object:
    """One sequence for a bigram model over two words: one-hot rows (of numbers or bools),
    ids, words, or the wrong kinds (a dict, None, ragged lists, a numpy array of words)."""
    length = draw(st.integers(0, 4))
    ids = draw(st.lists(st.integers(-1, 2), min_size=length, max_size=length))
    rows = [[int(i == j) for j in range(2)] for i in ids]
    return draw(
        st.sampled_from(
            [
                ids,
                rows,
                torch.tensor(rows, dtype=torch.bool).reshape(-1, 2),
                torch.tensor(rows, dtype=torch.float32).reshape(-1, 2),
                [["a", "b", "c"][i] for i in ids],
                np.array([["a", "b", "c"][i] for i in ids]),
                {"a": 1},
                None,
                [[1, 0], [1]],
                [0, [1, 0]],
                rows[:1] + ids[1:],
            ]
        )
    )


BIGRAM = [
    rnnlab.BigramLM(torch.tensor([[0.6, 0.4], [0.3, 0.7]])),
    rnnlab.BigramLM(torch.tensor([[0.6, 0.4], [0.3, 0.7]]), vocab=["a", "b"]),
]
"""The lab's model, without and with words, to feed drawn sequences into."""


@st.composite
def small_rnn(draw) -> rnnlab.ElmanRNN:
    """A well-formed RNN of small sizes, to feed bad inputs into its methods."""
    D, H, O = (draw(st.integers(1, 3)) for _ in range(3))
    dtype = draw(st.sampled_from([torch.float64, torch.float32]))
    sigma = draw(st.sampled_from(["tanh", "relu", "sigmoid", "identity"]))
    return rnnlab.ElmanRNN(
        torch.randn(H, D, dtype=dtype),
        torch.randn(H, H, dtype=dtype) / 2,
        torch.randn(O, H, dtype=dtype),
        sigma=sigma,
    )


def _calls(draw) -> tuple[str, Callable[[], object]]:
    """One public call with drawn arguments, by name."""
    kind = draw(st.sampled_from([kind for kind in KINDS if kind not in SKIPPED]))
    a, b, c = (draw(anything) for _ in range(3))
    return kind, _call(kind, a, b, c, draw)


KINDS = [
    "ElmanRNN",
    "forward",
    "forward_ids",
    "bptt",
    "path_contributions",
    "count_paths",
    "paths",
    "next_token_targets",
    "bigram_rnn",
    "sequence_probability",
    "BigramLM",
    "BigramLM.probability",
    "BigramLM.log_probability",
    "BigramLM.perplexity",
    "BigramLM.score",
    "BigramLM.estimate",
    "unrolled_graph",
    "formulas.text",
    "explore.view",
]
SKIPPED = set(os.environ.get("RNNLAB_FUZZ_SKIP", "").split(","))
"""Kinds of call left out (comma-separated), to look past a known failure."""


def _call(kind: str, a: object, b: object, c: object, draw) -> Callable[[], object]:
    """The call of that kind with drawn arguments a, b, c (and more drawn here)."""
    if kind == "ElmanRNN":
        sigma = draw(st.sampled_from(["tanh", "relu", "bogus", None, 3]))
        return lambda: rnnlab.ElmanRNN(a, b, c, sigma=sigma)
    if kind in ("forward", "forward_ids", "bptt", "path_contributions"):
        rnn = draw(small_rnn())
        if kind == "forward":
            h0 = draw(st.one_of(st.none(), anything))
            return lambda: rnn.forward(a, h0)
        if kind == "forward_ids":
            return lambda: rnn.forward_ids(a)
        method = draw(st.sampled_from(["reverse", "paths", "autograd", "bogus", None]))
        loss = draw(st.sampled_from(["squared_error", "cross_entropy", "bogus"]))
        if kind == "bptt":
            return lambda: rnnlab.bptt(rnn, a, b, loss=loss, method=method)
        wrt = draw(st.sampled_from(["U", "V", "W", "x"]))
        return lambda: rnnlab.path_contributions(rnn, a, b, wrt=wrt, loss=loss)
    if kind in ("count_paths", "paths"):
        N = draw(st.one_of(sizes if kind == "count_paths" else lengths, wrong))
        return lambda: getattr(rnnlab, kind)(N)
    if kind == "next_token_targets":
        return lambda: rnnlab.next_token_targets(a)
    if kind == "bigram_rnn":
        return lambda: rnnlab.bigram_rnn(a)
    if kind == "sequence_probability":
        seq = draw(st.one_of(anything, sequences()))
        T = draw(st.one_of(anything, st.just(BIGRAM[0].T)))
        return lambda: rnnlab.sequence_probability(seq, T)
    if kind in ("BigramLM.probability", "BigramLM.log_probability"):
        model = draw(st.sampled_from(BIGRAM))
        seq = draw(st.one_of(anything, sequences()))
        return lambda: getattr(model, kind.split(".")[1])(seq)
    if kind in ("BigramLM.perplexity", "BigramLM.score"):
        model = draw(st.sampled_from(BIGRAM))
        many = draw(st.one_of(anything, sequences(), st.lists(sequences(), max_size=3)))
        return lambda: getattr(model, kind.split(".")[1])(many)
    if kind == "BigramLM":
        return lambda: rnnlab.BigramLM(a)
    if kind == "BigramLM.estimate":
        sentences = draw(
            st.one_of(anything, st.lists(st.lists(st.text(max_size=3), max_size=4), max_size=3))
        )
        return lambda: rnnlab.BigramLM.estimate(sentences)
    N = draw(st.one_of(sizes if kind == "explore.view" else lengths, wrong))
    if kind == "unrolled_graph":
        wrt = draw(st.sampled_from(["U", "V", "W", None]))
        highlight = draw(st.one_of(st.none(), st.just("all"), anything))
        return lambda: graphs.unrolled_graph(N, wrt=wrt, highlight=highlight)
    if kind == "formulas.text":
        wrt = draw(st.sampled_from(["U", "V", "W", "x"]))
        return lambda: formulas.text(N, wrt)
    scale = draw(st.one_of(st.floats(allow_nan=True), wrong))
    sigma = draw(st.sampled_from(["tanh", "relu", "bogus", None]))
    return lambda: explore_view(sigma, N, scale)


def _short(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor{tuple(value.shape)} {value.dtype} {value.reshape(-1)[:4].tolist()}"
    return repr(value)[:80]


failures: dict[tuple[str, str], str] = {}
calls = 0


def run(examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def fuzz(data) -> None:
        global calls
        drawn: list[object] = []

        def draw(strategy):  # data.draw, remembering each value to show with a failure
            value = data.draw(strategy)
            drawn.append(value)
            return value

        name, call = _calls(draw)
        calls += 1
        watchdog.call = (name, drawn, time.monotonic())
        try:
            call()
        except (InvalidValueError, InvalidTypeError):
            pass
        except Exception as error:  # every other kind is a finding
            key = (name, type(error).__name__)
            arguments = ", ".join(_short(value) for value in drawn)
            failures.setdefault(key, f"{str(error)[:300]!r}  drawn: {arguments}"[:1200])
        finally:
            watchdog.call = None

    fuzz()


def report() -> None:
    print(f"calls: {calls}, kinds of failure: {len(failures)}", flush=True)
    for (name, error), example in sorted(failures.items()):
        print(f"{name}: {error}: {example}", flush=True)


watchdog = Watchdog()

if __name__ == "__main__":
    watchdog.start()
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
    report()
    sys.exit(1 if failures else 0)
