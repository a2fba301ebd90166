"""Computation graphs: building and drawing them, against torchviz, the tool the lab adapted.

    .venv/bin/python benchmarks/bench_graphs.py [--quick]

1. Building the graph (tracing autograd, labelling, styling; no drawing) for a scalar
   tanh RNN of N steps: rnnlab.graphs.make_dot against torchviz.make_dot (pip install
   torchviz; skipped if absent). torchviz recurses once per node, so past some depth it
   stops with RecursionError.
2. Drawing with Graphviz's dot (SVG): autograd's graph of the lab's scalar loss over N
   steps (rnnlab.lab.backward_graph), and the unrolled math graph (unrolled_graph).
   dot's time is the whole cost here; rnnlab's part is the Python above.
"""

import argparse

import torch

from rnnlab import graphs, lab
from timing import best_time

try:
    import torchviz
except ImportError:
    torchviz = None


def tanh_rnn_loss(N: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    U = torch.tensor([0.5], requires_grad=True)
    V = torch.tensor([0.4], requires_grad=True)
    h = torch.zeros(1)
    for t in range(N):
        h = torch.tanh(U * (0.1 * t) + V * h)
    return h.sum(), {"U": U, "V": V}


def building(steps: list[int], repeats: int) -> None:
    print("| N | autograd nodes | rnnlab ms | torchviz ms | rnnlab faster by |")
    print("|---:|---:|---:|---:|---:|")
    for N in steps:
        loss, params = tanh_rnn_loss(N)
        ours = best_time(lambda: graphs.make_dot(loss, params=params), repeats)  # noqa: B023
        nodes = sum(" [label=" in line for line in graphs.make_dot(loss, params=params).body)
        theirs, ratio = "not installed", ""
        if torchviz is not None:
            try:
                seconds = best_time(lambda: torchviz.make_dot(loss, params=params), repeats)  # noqa: B023
                theirs, ratio = f"{seconds * 1e3:.1f}", f"{seconds / ours:.1f}×"
            except RecursionError:
                theirs, ratio = "RecursionError", ""
        print(f"| {N} | {nodes} | {ours * 1e3:.1f} | {theirs} | {ratio} |")


def drawing(autograd_steps: list[int], unrolled_steps: list[int]) -> None:
    print("| graph | N | nodes | dot → SVG s |")
    print("|---|---:|---:|---:|")
    for kind, build, steps in (
        ("autograd (lab.backward_graph)", lab.backward_graph, autograd_steps),
        ("unrolled (unrolled_graph)", graphs.unrolled_graph, unrolled_steps),
    ):
        for N in steps:
            graph = build(N)
            nodes = sum(" [label=" in line for line in graph.body)
            seconds = best_time(lambda graph=graph: graph.pipe(format="svg"), 1)
            print(f"| {kind} | {N} | {nodes} | {seconds:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    quick = parser.parse_args().quick
    print(f"torch {torch.__version__}, torchviz {'absent' if torchviz is None else 'present'}")
    print("\nBuilding the graph (no drawing), best of 5:\n")
    building([10, 100] if quick else [10, 100, 300, 1000, 3000], 5)
    print("\nDrawing with dot, one run each:\n")
    drawing([10, 20] if quick else [10, 20, 30, 40], [10, 100] if quick else [10, 100, 1000])


if __name__ == "__main__":
    main()
