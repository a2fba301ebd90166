"""Fixtures shared by the tests: float64 by default where asked, seeded generators, the corpus."""

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from rnnlab.cli import main

Run = Callable[..., subprocess.CompletedProcess]

REPOSITORY = Path(__file__).resolve().parents[1]
CORPORA = REPOSITORY.parent / "shared" / "corpora"


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_reaches_the_tests() -> None:
    """SIGINT handled as in a terminal's foreground job, however the suite was started.

    A shell starts a background job (``make test &`` in a script) with SIGINT ignored, and
    every process the tests start inherits that and keeps it, as rnnlab keeps it: the tests
    that press Ctrl-C would see nothing happen. Here the test processes take Python's own
    handler, so that what they start gets the default again."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def generator() -> torch.Generator:
    """A torch.Generator with a fixed seed, so every run draws the same numbers."""
    return torch.Generator().manual_seed(187)


@pytest.fixture
def federalist() -> Path:
    """The Federalist Papers from ../shared/corpora; the test is skipped where it is absent."""
    path = CORPORA / "federalist.txt"
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (the shared/ folder beside the repository)")
    return path


@pytest.fixture
def rnnlab(monkeypatch, capsys) -> Run:
    """``rnnlab(*arguments)`` runs the command in this process and returns its exit status,
    stdout and stderr; in-process, because a new Python spends seconds importing torch."""

    def run(*arguments: str) -> subprocess.CompletedProcess:
        monkeypatch.setattr(sys, "argv", ["rnnlab", *arguments])
        try:
            main()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(arguments, code, captured.out, captured.err)

    return run


def _run_process(*arguments: str, cwd: "Path | None" = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from rnnlab.cli import main; main()", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="session")
def rnnlab_process() -> Run:
    """``rnnlab_process(*arguments, cwd=None)`` runs the command as a user does: a new
    process, so what reaches the terminal (one line, no traceback) is what is checked."""
    return _run_process
