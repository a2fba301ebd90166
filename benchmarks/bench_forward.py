"""The forward step alone: ElmanRNN.forward against the lab-style loop and torch.nn.RNN.

    taskset -c 0 .venv/bin/python benchmarks/bench_forward.py [--quick]

Microseconds per step (best of several repeats, float32, one thread, no autograd),
σ = tanh, D = H = O, N = 1000 (and 100, 10 000 without --quick), all of them taking
turns so that load from other work hits each alike:

- compiled:  rnnlab's ElmanRNN.forward (the compiled loop, chosen where no gradient is
             wanted);
- readable:  ElmanRNN.forward(compiled=False), the lab's equations one line each;
- lab loop:  the loop a student writes, h = tanh(U @ x_t + V @ h), o = W @ h;
- nn.RNN:    torch.nn.RNN(bias=False) over the sequence, then o = h @ Wᵀ.

Ratios: how many times faster the compiled forward is. Then forward_ids (token ids, a
column gather of U) against forward on one-hot rows.
"""

import os

# One thread for the BLAS that numpy loads, before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse

import torch

from rnnlab import ElmanRNN
from timing import best_times


def problem(H: int, N: int) -> tuple[ElmanRNN, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    U, V, W = (torch.randn(H, H, generator=generator) / H**0.5 for _ in range(3))
    return ElmanRNN(U, V, W, sigma="tanh"), torch.randn(N, H, generator=generator)


def compare(H: int, N: int, repeats: int) -> list[float]:
    rnn, xs = problem(H, N)
    U, V, W = rnn.U, rnn.V, rnn.W
    reference = torch.nn.RNN(H, H, bias=False, nonlinearity="tanh")
    with torch.no_grad():
        reference.weight_ih_l0.copy_(U)
        reference.weight_hh_l0.copy_(V)

    def lab_loop():
        h, outputs = torch.zeros(H), []
        for x in xs:
            h = torch.tanh(U @ x + V @ h)
            outputs.append(W @ h)
        return torch.stack(outputs)

    functions = (
        lambda: rnn.forward(xs).o,
        lambda: rnn.forward(xs, compiled=False).o,
        lab_loop,
        lambda: reference(xs)[0] @ W.T,
    )
    with torch.inference_mode():
        for function in functions[1:]:
            torch.testing.assert_close(functions[0](), function(), rtol=1e-4, atol=1e-5)
        return [seconds / N for seconds in best_times(functions, repeats)]


def compare_ids_with_one_hot(vocabulary: int, H: int, N: int, repeats: int) -> list[float]:
    generator = torch.Generator().manual_seed(0)
    U = torch.randn(H, vocabulary, generator=generator)
    V = torch.randn(H, H, generator=generator) / H**0.5
    W = torch.randn(vocabulary, H, generator=generator)
    rnn = ElmanRNN(U, V, W, sigma="tanh", output_sigma="identity")
    ids = torch.randint(0, vocabulary, (N,), generator=generator)
    one_hot = torch.nn.functional.one_hot(ids, vocabulary).float()
    with torch.inference_mode():
        torch.testing.assert_close(rnn.forward_ids(ids).h, rnn.forward(one_hot).h)
        functions = (lambda: rnn.forward_ids(ids).h, lambda: rnn.forward(one_hot).h)
        return [seconds / N for seconds in best_times(functions, repeats)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1000 only, fewer repeats")
    arguments = parser.parse_args()
    repeats = 3 if arguments.quick else 7
    lengths = (1000,) if arguments.quick else (100, 1000, 10000)
    torch.set_num_threads(1)

    print(f"torch {torch.__version__}, 1 thread, float32, σ = tanh, no autograd")
    print(f"load average before: {os.getloadavg()[0]:.1f}\n")
    print("forward alone, µs per step; ratios: how many times faster compiled is")
    columns = ("compiled", "readable", "lab loop", "nn.RNN")
    print(f"{'H':>5} {'N':>6}", *(f"{name:>9}" for name in columns), end="")
    print(*(f"{'vs ' + name:>12}" for name in columns[1:]))
    for H in (2, 16, 64, 256):
        for N in lengths:
            compiled, *others = compare(H, N, repeats)
            print(f"{H:>5} {N:>6}", *(f"{t * 1e6:>9.2f}" for t in (compiled, *others)), end="")
            print(*(f"{t / compiled:>11.1f}×" for t in others))

    print("\nforward_ids (column gather of U) vs forward on one-hot rows, H = 64, µs per step")
    print(f"{'V':>7} {'N':>6} {'ids':>9} {'one-hot':>9} {'ids faster by':>14}")
    for vocabulary in (100, 10000):
        by_ids, by_rows = compare_ids_with_one_hot(vocabulary, 64, 500, repeats)
        print(
            f"{vocabulary:>7} {500:>6} {by_ids * 1e6:>9.2f} {by_rows * 1e6:>9.2f}"
            f" {by_rows / by_ids:>13.1f}×"
        )
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
