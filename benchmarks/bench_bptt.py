"""Backpropagation through time: bptt against what a user would pick instead.

    taskset -c 0 .venv/bin/python benchmarks/bench_bptt.py [--quick] [--train-only]

Forward + backward, microseconds per step (best of several repeats, float32, one
thread), σ = tanh, squared error on o_t, gradients of U, V, W and h0, D = H = O; all of
them take turns, so that load from other work hits each alike:

- compiled:  rnnlab.bptt(method="reverse"), its loops over t compiled (the default);
- readable:  bptt(method="reverse", compiled=False), the min-char-rnn style sweep;
- autograd:  bptt(method="autograd"), torch autograd through ElmanRNN.forward;
- lab loop:  torch autograd through the loop as the lab writes it, h = tanh(U @ x + V @ h);
- nn.RNN:    torch.nn.RNN(bias=False) forward, o = h Wᵀ, then torch.autograd.grad.

Every gradient is checked against nn.RNN's before timing. Then the paths method (every
one of the N(N+1)/2 paths' products) at N = 1000, `rnnlab train` with its defaults
(rnnlab.lab.train.train on the lab's T), which runs bptt 1000 times, and the first call of
a fresh process, with numba's cache empty and then filled.
"""

import os

# One thread for the BLAS that numpy loads, before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import subprocess
import sys
import tempfile
import time

import torch

from rnnlab import ElmanRNN, bptt
from timing import best_times


def problem(H: int, N: int, seed: int = 0) -> tuple[ElmanRNN, torch.Tensor, torch.Tensor]:
    """An RNN with D = H = O, tanh, weights scaled by 1/√H; inputs and targets (N, H)."""
    generator = torch.Generator().manual_seed(seed)
    U, V, W = (torch.randn(H, H, generator=generator) / H**0.5 for _ in range(3))
    xs = torch.randn(N, H, generator=generator)
    ys = torch.randn(N, H, generator=generator)
    return ElmanRNN(U, V, W, sigma="tanh"), xs, ys


def nn_rnn_gradients(rnn: ElmanRNN, xs: torch.Tensor, ys: torch.Tensor):
    """The same gradients from torch.nn.RNN(bias=False), as a function to time."""
    H = rnn.hidden_size
    reference = torch.nn.RNN(rnn.input_size, H, bias=False, nonlinearity="tanh")
    with torch.no_grad():
        reference.weight_ih_l0.copy_(rnn.U)
        reference.weight_hh_l0.copy_(rnn.V)
    W = rnn.W.clone().requires_grad_()
    h0 = torch.zeros(1, H, requires_grad=True)
    weights = (reference.weight_ih_l0, reference.weight_hh_l0, W, h0)

    def gradients():
        h, _ = reference(xs, h0)
        loss = ((ys - h @ W.T) ** 2).sum()
        return torch.autograd.grad(loss, weights)

    return gradients


def lab_loop_gradients(rnn: ElmanRNN, xs: torch.Tensor, ys: torch.Tensor):
    """The same gradients by autograd through the lab's own style of loop."""
    U, V, W = (p.clone().requires_grad_() for p in (rnn.U, rnn.V, rnn.W))
    h0 = torch.zeros(rnn.hidden_size, requires_grad=True)

    def gradients():
        h, states = h0, []
        for x in xs:
            h = torch.tanh(U @ x + V @ h)
            states.append(h)
        loss = ((ys - torch.stack(states) @ W.T) ** 2).sum()
        return torch.autograd.grad(loss, (U, V, W, h0))

    return gradients


def compare(H: int, N: int, repeats: int) -> list[float]:
    rnn, xs, ys = problem(H, N)
    reference = nn_rnn_gradients(rnn, xs, ys)
    lab_loop = lab_loop_gradients(rnn, xs, ys)
    functions = (
        lambda: bptt(rnn, xs, ys),
        lambda: bptt(rnn, xs, ys, compiled=False),
        lambda: bptt(rnn, xs, ys, method="autograd"),
        lab_loop,
        reference,
    )
    dU, dV, dW, dh0 = reference()
    scale = max(float(dU.abs().max()), float(dV.abs().max()), 1.0)
    for function in functions[:3]:
        got = function()
        for ours, theirs in ((got.U, dU), (got.V, dV), (got.W, dW), (got.h0, dh0[0])):
            torch.testing.assert_close(ours, theirs, rtol=1e-3, atol=1e-4 * scale)
    torch.testing.assert_close(lab_loop()[0], dU, rtol=1e-3, atol=1e-4 * scale)
    return [seconds / N for seconds in best_times(functions, repeats)]


def time_paths(H: int, N: int, compiled: bool) -> float:
    rnn, xs, ys = problem(H, N)
    start = time.perf_counter()
    by_paths = bptt(rnn, xs, ys, method="paths", compiled=compiled)
    seconds = time.perf_counter() - start
    reference = bptt(rnn, xs, ys).U
    # As in compare: float32 sums in another order, so the tolerance scales with the entries.
    scale = max(float(reference.abs().max()), 1.0)
    torch.testing.assert_close(by_paths.U, reference, rtol=1e-3, atol=1e-4 * scale)
    return seconds


def time_training(repeats: int) -> list[float]:
    """CPU seconds of rnnlab.lab.train.train(lab.T) with its defaults (what `rnnlab train` runs)."""
    from rnnlab import lab
    from rnnlab.lab.train import train

    seconds = []
    for _ in range(repeats):
        start = time.process_time()
        train(lab.T)
        seconds.append(time.process_time() - start)
    return seconds


FIRST_CALL = """
import time
start = time.process_time()
import torch
from rnnlab import ElmanRNN, bptt
imported = time.process_time()
rnn = ElmanRNN(torch.eye(4), torch.eye(4) / 2, torch.eye(4), sigma="tanh")
bptt(rnn, torch.ones(10, 4), torch.zeros(10, 4))
rnn.forward(torch.ones(10, 4))
print(f"{imported - start:.2f} {time.process_time() - imported:.2f}")
"""


def time_first_calls() -> list[list[float]]:
    """CPU seconds of a fresh process's imports, then of its first bptt and forward
    (float32): with numba's cache folder empty, then with what that first process wrote."""
    with tempfile.TemporaryDirectory() as folder:
        environment = {**os.environ, "NUMBA_CACHE_DIR": folder}
        runs = [
            subprocess.run(
                [sys.executable, "-c", FIRST_CALL],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            )
            for _ in range(2)
        ]
    return [[float(seconds) for seconds in run.stdout.split()] for run in runs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1000 only, fewer repeats")
    parser.add_argument("--train-only", action="store_true", help="only time the training")
    arguments = parser.parse_args()
    repeats = 3 if arguments.quick else 7
    lengths = (1000,) if arguments.quick else (100, 1000, 10000)
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, float32, σ = tanh, squared error")
    print(f"load average before: {os.getloadavg()[0]:.1f}\n")

    if not arguments.train_only:
        print("forward + backward, µs per step; ratios: how many times faster compiled is")
        columns = ("compiled", "readable", "autograd", "lab loop", "nn.RNN")
        print(f"{'H':>5} {'N':>6}", *(f"{name:>9}" for name in columns), end="")
        print(*(f"{'vs ' + name:>12}" for name in columns[1:]))
        for H in (2, 16, 64, 256):
            for N in lengths:
                compiled, *others = compare(H, N, repeats)
                times = (compiled, *others)
                print(f"{H:>5} {N:>6}", *(f"{t * 1e6:>9.2f}" for t in times), end="")
                print(*(f"{t / compiled:>11.1f}×" for t in others))

        print("\npaths method (every path's product formed), N = 1000, seconds for one gradient")
        for H in (2, 16, 64, 256):
            print(f"{'H':>5} = {H:<4} compiled {time_paths(H, 1000, compiled=True):8.3f} s")
        print(f"{'H':>5} = {2:<4} readable {time_paths(2, 1000, compiled=False):8.3f} s")

    print("\nrnnlab.train.train(lab.T) with its defaults (1000 bptt calls), CPU seconds")
    print("  ", " ".join(f"{seconds:.2f}" for seconds in time_training(3)))
    if not arguments.train_only:
        print("\nfirst call in a fresh process, CPU seconds: imports, then bptt + forward")
        for cache, (imports, first) in zip(("empty", "filled"), time_first_calls(), strict=True):
            print(f"   numba cache {cache:>6}: imports {imports:.2f} s, first calls {first:.2f} s")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
