"""The forward step: ElmanRNN against torch.nn.RNN, and forward_ids against one-hot rows.

    .venv/bin/python benchmarks/bench_forward.py [--quick]

Prints microseconds per step (best of several repeats, float32, no autograd) and the
ratios a user would ask about: how far rnnlab's readable Python loop is from PyTorch's
fused RNN, and what the one-hot gather of forward_ids saves over a matrix product.
"""

import argparse

import torch

from rnnlab import ElmanRNN
from timing import best_time


def compare_with_nn_rnn(H: int, N: int, repeats: int) -> tuple[float, float]:
    D = O = H
    generator = torch.Generator().manual_seed(0)
    U, V, W = (
        torch.randn(*shape, generator=generator) / H**0.5 for shape in ((H, D), (H, H), (O, H))
    )
    xs = torch.randn(N, D, generator=generator)
    rnn = ElmanRNN(U, V, W, sigma="tanh")
    reference = torch.nn.RNN(D, H, bias=False, nonlinearity="tanh")
    with torch.no_grad():
        reference.weight_ih_l0.copy_(U)
        reference.weight_hh_l0.copy_(V)

    def ours():
        return rnn.forward(xs).o

    def theirs():
        return reference(xs)[0] @ W.T

    with torch.inference_mode():
        torch.testing.assert_close(ours(), theirs(), rtol=1e-4, atol=1e-5)
        return best_time(ours, repeats) / N, best_time(theirs, repeats) / N


def compare_ids_with_one_hot(vocabulary: int, H: int, N: int, repeats: int) -> tuple[float, float]:
    generator = torch.Generator().manual_seed(0)
    U = torch.randn(H, vocabulary, generator=generator)
    V = torch.randn(H, H, generator=generator) / H**0.5
    W = torch.randn(vocabulary, H, generator=generator)
    rnn = ElmanRNN(U, V, W, sigma="tanh", output_sigma="identity")
    ids = torch.randint(0, vocabulary, (N,), generator=generator)
    one_hot = torch.nn.functional.one_hot(ids, vocabulary).float()
    with torch.inference_mode():
        torch.testing.assert_close(rnn.forward_ids(ids).h, rnn.forward(one_hot).h)
        by_ids = best_time(lambda: rnn.forward_ids(ids).h, repeats) / N
        by_rows = best_time(lambda: rnn.forward(one_hot).h, repeats) / N
    return by_ids, by_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    arguments = parser.parse_args()
    repeats = 3 if arguments.quick else 7
    lengths = (100, 1000) if arguments.quick else (100, 1000, 10000)
    torch.set_num_threads(1)

    print(f"torch {torch.__version__}, 1 thread, float32, inference mode\n")
    print("ElmanRNN.forward vs torch.nn.RNN(bias=False) + W, µs per step")
    print(f"{'H':>5} {'N':>6} {'rnnlab':>9} {'nn.RNN':>9} {'nn.RNN faster by':>17}")
    for H in (2, 64, 256):
        for N in lengths:
            ours, theirs = compare_with_nn_rnn(H, N, repeats)
            print(f"{H:>5} {N:>6} {ours * 1e6:>9.2f} {theirs * 1e6:>9.2f} {ours / theirs:>16.1f}×")

    print("\nforward_ids (column gather of U) vs forward on one-hot rows, H = 64, µs per step")
    print(f"{'V':>7} {'N':>6} {'ids':>9} {'one-hot':>9} {'ids faster by':>14}")
    for vocabulary in (100, 10000) if arguments.quick else (100, 10000, 50000):
        N = 500
        by_ids, by_rows = compare_ids_with_one_hot(vocabulary, 64, N, repeats)
        speedup = by_rows / by_ids
        print(
            f"{vocabulary:>7} {N:>6} {by_ids * 1e6:>9.2f} {by_rows * 1e6:>9.2f} {speedup:>13.1f}×"
        )


if __name__ == "__main__":
    main()
