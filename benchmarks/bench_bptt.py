"""Backpropagation through time: bptt's reverse method against what a user would pick instead.

    .venv/bin/python benchmarks/bench_bptt.py [--quick]

Forward + backward, microseconds per step (best of several repeats, float32, one
thread), σ = tanh, squared error on o_t, gradients for U, V, W and h0:

- reverse:   rnnlab.bptt(method="reverse"), the hand-derived backward sweep;
- autograd:  torch autograd through rnnlab's forward loop (bptt(method="autograd"): U x_t
             for all steps in one product, then one fused addmv per step);
- lab loop:  torch autograd through the loop as the lab writes it,
             h = σ(U @ x_t + V @ h) step by step;
- nn.RNN:    torch.nn.RNN(bias=False) forward, o = W h, then backward.

Then the paths method, the lab's sum over all N(N+1)/2 paths, at N = 1000.
"""

import os

# One thread everywhere: torch's (set in main) and numpy's BLAS, which the reverse sweep
# uses; it reads this variable when it loads, so before torch and rnnlab import numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time

import torch

from rnnlab import ElmanRNN, bptt


def best_times(functions, repeats: int) -> list[float]:
    """The fastest of ``repeats`` runs of each function, in seconds, after a warm-up run.

    The functions take turns, so a burst of load from other work on the machine slows
    all of them alike instead of one.
    """
    for function in functions:
        function()
    best = [float("inf")] * len(functions)
    for _ in range(repeats):
        for i, function in enumerate(functions):
            start = time.perf_counter()
            function()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def problem(H: int, N: int, seed: int = 0) -> tuple[ElmanRNN, torch.Tensor, torch.Tensor]:
    """An RNN with D = H = O, tanh, weights scaled by 1/√H; inputs and targets (N, H)."""
    generator = torch.Generator().manual_seed(seed)
    U, V, W = (torch.randn(H, H, generator=generator) / H**0.5 for _ in range(3))
    xs = torch.randn(N, H, generator=generator)
    ys = torch.randn(N, H, generator=generator)
    return ElmanRNN(U, V, W, sigma="tanh"), xs, ys


def nn_rnn_gradients(rnn: ElmanRNN, xs: torch.Tensor, ys: torch.Tensor):
    """The same gradients from torch.nn.RNN(bias=False): a function to time, and its check."""
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


def compare(H: int, N: int, repeats: int) -> tuple[float, float, float, float]:
    rnn, xs, ys = problem(H, N)
    reverse = bptt(rnn, xs, ys, method="reverse")
    autograd = bptt(rnn, xs, ys, method="autograd")
    reference = nn_rnn_gradients(rnn, xs, ys)
    lab_loop = lab_loop_gradients(rnn, xs, ys)
    dU, dV, dW, dh0 = reference()
    scale = max(float(dU.abs().max()), float(dV.abs().max()), 1.0)
    checks = ((reverse.U, dU), (reverse.V, dV), (reverse.W, dW), (autograd.U, dU))
    for ours, theirs in (*checks, (lab_loop()[0], dU)):
        torch.testing.assert_close(ours, theirs, rtol=1e-3, atol=1e-4 * scale)
    torch.testing.assert_close(reverse.h0, dh0[0], rtol=1e-3, atol=1e-4 * scale)
    functions = (
        lambda: bptt(rnn, xs, ys, method="reverse"),
        lambda: bptt(rnn, xs, ys, method="autograd"),
        lab_loop,
        reference,
    )
    return tuple(seconds / N for seconds in best_times(functions, repeats))


def time_paths(H: int, N: int) -> float:
    rnn, xs, ys = problem(H, N)
    start = time.perf_counter()
    by_paths = bptt(rnn, xs, ys, method="paths")
    seconds = time.perf_counter() - start
    torch.testing.assert_close(by_paths.U, bptt(rnn, xs, ys).U, rtol=1e-3, atol=1e-4)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    arguments = parser.parse_args()
    repeats = 3 if arguments.quick else 9
    lengths = (100, 1000) if arguments.quick else (100, 1000, 10000)
    torch.set_num_threads(1)

    print(f"torch {torch.__version__}, 1 thread, float32, σ = tanh, squared error\n")
    print("forward + backward, µs per step; ratios are how many times faster reverse is")
    columns = ("reverse", "autograd", "lab loop", "nn.RNN")
    print(f"{'H':>5} {'N':>6}", *(f"{name:>9}" for name in columns), end="")
    print(*(f"{'vs ' + name:>12}" for name in columns[1:]))
    for H in (2, 64, 256):
        for N in lengths:
            reverse, *others = compare(H, N, repeats)
            print(f"{H:>5} {N:>6}", *(f"{t * 1e6:>9.2f}" for t in (reverse, *others)), end="")
            print(*(f"{t / reverse:>11.1f}×" for t in others))

    print("\npaths method (every path's product), N = 1000, seconds for one gradient")
    for H in (2, 64) if arguments.quick else (2, 64, 256):
        print(f"{'H':>5} = {H:<4} {time_paths(H, 1000):8.2f} s")


if __name__ == "__main__":
    main()
