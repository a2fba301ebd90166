"""How long ``rnnlab notebook grade`` takes: one submission, and a class.

Compares with otter's own non-container runner, ``otter run`` (a command, as rnnlab's
is), on the same submission: the tool an instructor would otherwise use without Docker.
It grades one notebook per call, with the tests inside the student's kernel, so the
class figure for otter is its single time times the class size.

    .venv/bin/python benchmarks/bench_notebook.py [--class-size 50] [--jobs N]
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

from rnnlab import grading as notebook


def variants(built: notebook.Build, folder: Path, size: int) -> list[Path]:
    """A class: copies of the solution, every fifth one blank, every seventh with a wrong bigram."""
    solution = nbformat.read(built.autograder / "rnn_lab.ipynb", as_version=4)
    wrong = nbformat.read(built.autograder / "rnn_lab.ipynb", as_version=4)
    for cell in wrong.cells:
        cell.source = cell.source.replace(
            "return torch.prod(transitions)", "return torch.prod(transitions) * 0.6"
        )
    blank = nbformat.read(built.student / "rnn_lab.ipynb", as_version=4)
    paths = []
    for i in range(size):
        nb = blank if i % 5 == 4 else wrong if i % 7 == 6 else solution
        paths.append(folder / f"student{i:02d}.ipynb")
        nbformat.write(nb, paths[-1])
    return paths


def time_otter_run(built: notebook.Build, out: Path) -> float:
    """Seconds for ``otter run`` on the solution (its kernel, python3, is the venv's python)."""
    bin_folder = Path(sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    subprocess.run(
        [
            bin_folder / "otter",
            "run",
            "--no-logo",
            "-a",
            built.zip,
            "-o",
            out,
            built.autograder / "rnn_lab.ipynb",
        ],
        env=environment,
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    results = json.loads((out / "results.json").read_text())
    scored = [test for test in results["tests"] if "score" in test]  # not the summary entry
    assert sum(test["score"] for test in scored) == sum(test["max_score"] for test in scored)
    return seconds


def time_rnnlab(built: notebook.Build) -> float:
    """Seconds for rnnlab to grade the solution alone."""
    started = time.perf_counter()
    [one] = notebook.grade([built.autograder / "rnn_lab.ipynb"], built.zip, jobs=1)
    seconds = time.perf_counter() - started
    assert one.total == one.total_possible, one
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-size", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3, help="runs of each single grading")
    arguments = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rnnlab-bench-"))
    try:
        started = time.perf_counter()
        built = notebook.build(folder / "build")
        build_seconds = time.perf_counter() - started

        # Taking turns, best of a few: other work on the machine hits both alike.
        (folder / "otter").mkdir()
        one_times, otter_times = [], []
        for _ in range(arguments.repeats):
            one_times.append(time_rnnlab(built))
            otter_times.append(time_otter_run(built, folder / "otter"))
        one_seconds, otter_seconds = min(one_times), min(otter_times)

        (folder / "class").mkdir()
        submissions = variants(built, folder / "class", arguments.class_size)
        started = time.perf_counter()
        scores = notebook.grade(submissions, built.zip, jobs=arguments.jobs)
        class_seconds = time.perf_counter() - started
        assert all(score.status == "graded" for score in scores)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    size = arguments.class_size
    print(f"cores: {os.cpu_count()}, jobs: {arguments.jobs}")
    print(f"build (otter assign)                 {build_seconds:7.1f} s")
    print(f"one submission, rnnlab (best of {arguments.repeats})    {one_seconds:7.1f} s")
    print(f"one submission, otter run (best of {arguments.repeats}) {otter_seconds:7.1f} s")
    print(f"  ratio rnnlab / otter run           {one_seconds / otter_seconds:7.2f}")
    print(f"class of {size}, rnnlab                {class_seconds:7.1f} s")
    print(f"  per submission                     {class_seconds / size:7.1f} s")
    print(f"class of {size}, otter run one by one  {otter_seconds * size:7.1f} s (estimated)")
    print(f"  ratio rnnlab / otter run           {class_seconds / (otter_seconds * size):7.2f}")


if __name__ == "__main__":
    main()
