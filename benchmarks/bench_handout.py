"""How long the hand-out takes: build, install (student and autograder), one `otter run`.

Each install goes into a fresh virtual environment made with this Python, as the
student's README and otter's setup.sh do it: the student's ``pip install -r
requirements.txt`` from the student folder, and the pip list of the zip's
environment.yml from the unpacked zip. pip's cache is warm and torch comes from a local
wheel, so the figures leave out download time.

    .venv/bin/python benchmarks/bench_handout.py
"""

import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

from rnnlab import grading


def timed(command: list[str], cwd: Path, env: "dict[str, str] | None" = None) -> float:
    """Seconds that command took; it must succeed."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def install(folder: Path, cwd: Path, arguments: list[str]) -> float:
    """Seconds to make a venv in folder and pip install arguments from cwd."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = str(folder / "bin" / "python")
    # capture: pip warns about each local index folder that lacks a package (noise here).
    pip = [python, "-m", "pip", "install", "--quiet", *arguments]
    subprocess.run(pip, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-handout-") as scratch:
        scratch = Path(scratch)
        builds = []
        for _ in range(3):
            start = time.perf_counter()
            built = grading.build(scratch / "dist")
            builds.append(time.perf_counter() - start)
        print(f"build: best {min(builds):.1f} s of {len(builds)}")
        print(f"wheel: {built.wheel.name}, {built.wheel.stat().st_size / 1024:.0f} KiB")
        print(f"zip: {built.zip.stat().st_size / 1024:.0f} KiB")

        student = install(scratch / "student-venv", built.student, ["-r", "requirements.txt"])
        print(f"student venv install: {student:.0f} s")

        source = scratch / "source"
        with zipfile.ZipFile(built.zip) as zipped:
            zipped.extractall(source)
        environment = yaml.safe_load((source / "environment.yml").read_text())
        (pip,) = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
        autograder = install(scratch / "otter-venv", source, ["jupyter_server", *pip])
        print(f"autograder venv install: {autograder:.0f} s")

        env = {**os.environ, "PATH": f"{scratch / 'otter-venv' / 'bin'}:{os.environ['PATH']}"}
        otter = str(scratch / "otter-venv" / "bin" / "otter")
        runs = []
        for number in range(3):
            out = scratch / f"run{number}"
            out.mkdir()
            solution = built.autograder / "rnn_lab.ipynb"
            runs.append(
                timed([otter, "run", "-a", str(built.zip), "-o", str(out), str(solution)], out, env)
            )
        print(f"otter run, one submission (the solution): best {min(runs):.1f} s of {len(runs)}")


if __name__ == "__main__":
    main()
