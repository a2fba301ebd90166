"""Training an RNN on the lab's bigram model: rnnlab.lab.train against a plain PyTorch loop.

    .venv/bin/python benchmarks/bench_train.py

For each seed, rnnlab.lab.train (the project's reverse BPTT, torch.optim.Adam) and the loop a
PyTorch user would write (torch.nn.RNN with tanh and no bias, a bias-free nn.Linear for
W, torch autograd, torch.optim.Adam with the same linearly decaying step size) train on
the same settings: H = 4, 100 epochs × 10 sequences of 50 tokens sampled from T,
cross-entropy. Both run on one thread and are measured with the same distance to T:
max |softmax(o_t) − T_i| over a held-out sample of 500 tokens. Prints a Markdown table.
"""

import statistics
import time

import torch

from rnnlab import BigramLM, lab
from rnnlab.lab.train import TrainingConfig, distance_to_table, train

SEEDS = range(10)
H, EPOCHS, STEPS, LENGTH, LEARNING_RATE = 4, 100, 10, 50, 0.05


def torch_loop(T: torch.Tensor, seed: int) -> tuple[float, float]:
    """The same training written with torch.nn.RNN and torch.optim.Adam: (distance, seconds)."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = BigramLM(T)
    V = T.shape[0]
    rnn = torch.nn.RNN(V, H, nonlinearity="tanh", bias=False, batch_first=True).double()
    readout = torch.nn.Linear(H, V, bias=False).double()
    parameters = [*rnn.parameters(), *readout.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=LEARNING_RATE)
    total = EPOCHS * STEPS
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / total)
    evaluation = model.sample(500, generator=generator)
    one_hot = torch.eye(V, dtype=torch.float64)
    for _ in range(total):
        ids = model.sample(LENGTH + 1, generator=generator)
        hidden, _ = rnn(one_hot[ids[:-1]][None])
        loss = torch.nn.functional.cross_entropy(readout(hidden[0]), ids[1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        hidden, _ = rnn(one_hot[evaluation[:-1]][None])
        predicted = torch.softmax(readout(hidden[0]), dim=-1)
    distance = distance_to_table(predicted, T, evaluation[:-1]).max_abs
    return distance, time.perf_counter() - start


def main() -> None:
    # One thread for both, as `rnnlab train` runs: tiny tensors lose to a thread pool.
    torch.set_num_threads(1)
    T = lab.T.double()
    print("| seed | rnnlab distance | rnnlab s | PyTorch loop distance | PyTorch loop s |")
    print("|---:|---:|---:|---:|---:|")
    ours, theirs = [], []
    for seed in SEEDS:
        config = TrainingConfig(
            hidden_size=H,
            epochs=EPOCHS,
            steps_per_epoch=STEPS,
            length=LENGTH,
            learning_rate=LEARNING_RATE,
            seed=seed,
        )
        result = train(T, config)
        distance, seconds = torch_loop(T, seed)
        ours.append((result.distance.max_abs, result.seconds))
        theirs.append((distance, seconds))
        print(
            f"| {seed} | {result.distance.max_abs:.4f} | {result.seconds:.2f} "
            f"| {distance:.4f} | {seconds:.2f} |"
        )
    for name, runs in (("rnnlab", ours), ("PyTorch loop", theirs)):
        distances, times = zip(*runs, strict=True)
        print(
            f"{name}: distance median {statistics.median(distances):.4f}, "
            f"worst {max(distances):.4f}; time median {statistics.median(times):.2f} s, "
            f"worst {max(times):.2f} s"
        )
    print(
        f"time ratio (PyTorch loop / rnnlab), medians: "
        f"{statistics.median(t for _, t in theirs) / statistics.median(t for _, t in ours):.2f}"
    )


if __name__ == "__main__":
    main()
