"""Start-up of the ``rnnlab`` command, against a bare Python and an import of torch.

    .venv/bin/python benchmarks/bench_startup.py

Each command runs as a user runs it, a new process each time; the best of 5 runs after
one warm-up (which fills the disk cache). ``rnnlab --help`` and ``--version`` import no
torch, matplotlib or sympy (tests/test_cli.py checks which modules load); before that
change ``rnnlab --help`` took 3.5–4.3 s because every command module was imported.
"""

import subprocess
import sys
from pathlib import Path

from timing import best_time

RNNLAB = str(Path(sys.executable).with_name("rnnlab"))
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "rnnlab --version": [RNNLAB, "--version"],
    "rnnlab --help": [RNNLAB, "--help"],
    "rnnlab grad --help": [RNNLAB, "grad", "--help"],
    "python -c 'import torch'": [sys.executable, "-c", "import torch"],
    "rnnlab formula 3": [RNNLAB, "formula", "3"],
}


def main() -> None:
    print("| command | best of 5, s |\n|---|---:|")
    for name, command in COMMANDS.items():
        seconds = best_time(lambda c=command: subprocess.run(c, capture_output=True, check=True), 5)
        print(f"| `{name}` | {seconds:.2f} |")


if __name__ == "__main__":
    main()
