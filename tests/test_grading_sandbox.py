"""The sandbox itself, run for real: what a program inside it sees of the machine."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest

from rnnlab.grading import answer, cgroup, sandbox, sides


@pytest.fixture(scope="module")
def box() -> sandbox.Sandbox:
    return sandbox.probe()


def inside(box, tmp_path, *command: str, stop=None) -> sandbox.Outcome:
    (tmp_path / "work").mkdir(exist_ok=True)
    limits = sandbox.Limits(seconds=30, memory=512 * 2**20)
    return sandbox.run_student(box, tmp_path / "work", list(command), limits, stop=stop)


def test_python_under_tmp_is_bound_over_the_empty_tmp(box, tmp_path, monkeypatch, request):
    # A CI clone may keep its virtual environment under /tmp; the sandbox's own tmpfs at
    # /tmp hid it, and every submission failed. (pytest's tmp_path is under /tmp too, but
    # closed to the sandbox's user.)
    environment = Path(tempfile.mkdtemp(prefix="rnnlab-venv-", dir="/tmp"))
    environment.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(environment))
    (environment / "marker").write_text("here")
    binds = sides.python_binds()
    monkeypatch.setattr(
        sides, "python_binds", lambda: [*binds, "--ro-bind", str(environment), str(environment)]
    )
    outcome = inside(box, tmp_path, "/bin/cat", str(environment / "marker"))
    assert (outcome.status, outcome.stdout) == ("ran", b"here")


def test_the_hosts_tmp_and_home_are_not_seen(box, tmp_path):
    (tmp_path / "secret").write_text("host file")
    outcome = inside(box, tmp_path, "/bin/sh", "-c", f"ls /tmp; ls {tmp_path}; ls /root; true")
    assert outcome.status == "ran"
    assert b"secret" not in outcome.stdout
    assert os.path.exists(tmp_path / "secret")


def test_a_stop_ends_the_sandbox_within_a_second_and_removes_its_cgroup(box, tmp_path):
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    outcome = inside(box, tmp_path, "/bin/sleep", "25", stop=stop)
    assert outcome.status == "stopped", outcome
    assert outcome.seconds < 5, outcome
    assert cgroup.made_by(os.getpid()) == []


def test_the_cgroups_of_a_grader_killed_outright_go_with_the_next_grader(box):
    # A grader killed by SIGKILL cannot remove its cgroups; they stayed, one set per kill.
    if not box.cgroup:
        pytest.skip("no cgroup can be made here")
    make = (
        "import os, signal; from rnnlab.grading import cgroup\n"
        f"cgroup.Cgroup.make({box.cgroup!r}, 2**28, 16)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.Popen([sys.executable, "-c", make])
    assert killed.wait(timeout=60) == -signal.SIGKILL
    left = cgroup.made_by(killed.pid)
    assert left, "the killed grader made no cgroup"
    mine = cgroup.Cgroup.make(box.cgroup, 2**28, 16)  # a grader at work, this process
    try:
        assert cgroup.kind() == box.cgroup
        assert [folder for folder in left if folder.exists()] == []
        assert all(folder.exists() for folder in mine.folders)
    finally:
        mine.close()


def notebook_run(box, tmp_path, cells: list[str], expressions: list[str], seconds: float):
    """The worker's answer (problem, results) and the outcome, for a notebook of ``cells``
    graded with each cell's limit ``seconds``."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    (tmp_path / "work").mkdir()
    nbformat.write(nb, tmp_path / "work" / "submission.ipynb")
    order = {
        "nonce": "n",
        "notebook": "submission.ipynb",
        "expressions": expressions,
        "timeout": seconds,  # each cell's limit too
        "written": 0,
    }
    limits = sandbox.Limits(seconds=60, memory=2**30)
    outcome = sandbox.run(box, tmp_path / "work", order, limits)
    return answer.parse(outcome.stdout, len(expressions), "n"), outcome


def test_a_notebook_that_reaches_its_process_limit_fails_at_once(box, tmp_path):
    # A fork bomb was graded or timed out by chance: its copies shared the core with the
    # rest of the notebook, and the interrupt at the cell's limit was often lost (an
    # interrupt that lands in one of fork's handlers is dropped by Python).
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    _, outcome = notebook_run(box, tmp_path, [bomb, "x = 1"], ["x"], 20)
    assert outcome.status == "failed", outcome
    assert outcome.reason == "started more processes and threads than its limit of 256"
    assert outcome.seconds < 20, outcome
    assert cgroup.made_by(os.getpid()) == []


def test_a_cell_stopped_at_its_time_limit_takes_what_the_notebook_started_with_it(box, tmp_path):
    # A process that a hung cell started and that outlives the interrupt (here: it ignores
    # SIGINT) went on beside the rest of the notebook, on the sandbox's one core.
    ignores = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(300)"
    cells = [
        f"import subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', {ignores!r}])",
        "import time\nwhile True:\n    time.sleep(0.1)",
        "child.wait(timeout=10)\nafter = child.returncode",
        "other = subprocess.Popen(['sleep', '300'])",  # a cell that ends: nothing is ended
        "import time\ntime.sleep(0.5)\nstill = other.poll()",
    ]
    (_, results), outcome = notebook_run(box, tmp_path, cells, ["after", "still"], 8)
    assert outcome.status == "ran", outcome
    assert results == [{"value": -signal.SIGKILL}, {"value": None}], results
