"""How long ``rnnlab notebook grade`` takes: the sandbox alone, one submission, a class.

Compares with otter's own non-container runner, ``otter run`` (a command, as rnnlab's
is), on the same submission: the tool an instructor would otherwise use without Docker.
It grades one notebook per call, with every test inside the student's kernel and no
sandbox, so the class figure for otter is its single time times the class size.

The sandbox's own cost is timed on a program that does nothing (``true``) and on one
that imports what a kernel imports (torch, nbclient), each run bare and in the sandbox
(bubblewrap with a fresh cgroup, made and removed each time).

    .venv/bin/python benchmarks/bench_notebook.py [--class-size 50] [--jobs N] [--repeats 3]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from rnnlab import grading
from rnnlab.grading import sandbox


def variants(built: grading.Build, folder: Path, size: int) -> list[Path]:
    """A class: copies of the solution, every fifth one blank, every seventh with a wrong bigram."""
    solution = nbformat.read(built.autograder / "rnn_lab.ipynb", as_version=4)
    wrong = nbformat.read(built.autograder / "rnn_lab.ipynb", as_version=4)
    wrong.cells.append(
        nbformat.v4.new_code_cell(
            "_right = sequence_probability\n"
            "def sequence_probability(seq, T):\n"
            "    return _right(seq, T) * 0.5\n"
        )
    )
    blank = nbformat.read(built.student / "rnn_lab.ipynb", as_version=4)
    paths = []
    for i in range(size):
        nb = blank if i % 5 == 4 else wrong if i % 7 == 6 else solution
        paths.append(folder / f"student{i:02d}.ipynb")
        nbformat.write(nb, paths[-1])
    return paths


def time_otter_run(built: grading.Build, out: Path) -> float:
    """Seconds for ``otter run`` on the solution (its kernel, python3, is the venv's python)."""
    bin_folder = Path(sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    solution = built.autograder / "rnn_lab.ipynb"
    started = time.perf_counter()
    subprocess.run(
        [bin_folder / "otter", "run", "--no-logo", "-a", built.zip, "-o", out, solution],
        env=environment,
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    results = json.loads((out / "results.json").read_text())
    scored = [test for test in results["tests"] if "score" in test]  # not the summary entry
    assert sum(test["score"] for test in scored) == sum(test["max_score"] for test in scored)
    return seconds


def time_rnnlab(built: grading.Build) -> float:
    """Seconds for rnnlab to grade the solution alone, in its sandbox."""
    started = time.perf_counter()
    [one] = grading.grade([built.autograder / "rnn_lab.ipynb"], built.zip, jobs=1)
    seconds = time.perf_counter() - started
    assert one.total == one.total_possible, one
    return seconds


def time_sandbox(box: sandbox.Sandbox, command: list[str], folder: Path) -> tuple[float, float]:
    """Seconds for command run bare, and run in the sandbox (cgroup made and removed too)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    bare = time.perf_counter() - started
    (folder / "work").mkdir(exist_ok=True)
    limits = sandbox.Limits(seconds=120, memory=2**31)
    started = time.perf_counter()
    outcome = sandbox.run_student(box, folder / "work", command, limits)
    boxed = time.perf_counter() - started
    assert outcome.status == "ran", outcome
    return bare, boxed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-size", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3, help="runs of each single timing")
    arguments = parser.parse_args()

    box = sandbox.probe()
    print(box.describe())
    folder = Path(tempfile.mkdtemp(prefix="rnnlab-bench-"))
    try:
        started = time.perf_counter()
        built = grading.build(folder / "build")
        build_seconds = time.perf_counter() - started

        # Taking turns, best of a few: other work on the machine hits all alike.
        (folder / "otter").mkdir()
        importing = [sandbox.PYTHON, "-I", "-c", "import torch, nbclient, rnnlab"]
        times: dict[str, list[float]] = {}
        for _ in range(arguments.repeats):
            for name, command in {"true": ["/usr/bin/true"], "import": importing}.items():
                bare, boxed = time_sandbox(box, command, folder)
                times.setdefault(f"{name} bare", []).append(bare)
                times.setdefault(f"{name} sandboxed", []).append(boxed)
            times.setdefault("rnnlab", []).append(time_rnnlab(built))
            times.setdefault("otter", []).append(time_otter_run(built, folder / "otter"))
        best = {name: min(values) for name, values in times.items()}

        (folder / "class").mkdir()
        submissions = variants(built, folder / "class", arguments.class_size)
        started = time.perf_counter()
        scores = grading.grade(submissions, built.zip, jobs=arguments.jobs)
        class_seconds = time.perf_counter() - started
        assert all(score.status == "graded" for score in scores)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    size, repeats = arguments.class_size, arguments.repeats
    one, otter = best["rnnlab"], best["otter"]
    print(f"cores: {os.cpu_count()}, jobs: {arguments.jobs}, load: {os.getloadavg()}")
    print(f"build (otter assign)                   {build_seconds:7.2f} s")
    for name in ("true", "import"):
        bare, boxed = best[f"{name} bare"], best[f"{name} sandboxed"]
        print(
            f"{name:6} bare / sandboxed (best of {repeats})   {bare:7.2f} s / {boxed:5.2f} s"
            f"   sandbox's cost {boxed - bare:5.2f} s"
        )
    print(f"one submission, rnnlab (best of {repeats})     {one:7.2f} s")
    print(f"one submission, otter run (best of {repeats})  {otter:7.2f} s")
    print(f"  ratio rnnlab / otter run             {one / otter:7.2f}")
    print(f"class of {size}, rnnlab                  {class_seconds:7.1f} s")
    print(f"  per submission                       {class_seconds / size:7.2f} s")
    print(f"class of {size}, otter run one by one    {otter * size:7.1f} s (estimated)")
    print(f"  ratio rnnlab / otter run             {class_seconds / (otter * size):7.2f}")


if __name__ == "__main__":
    main()
