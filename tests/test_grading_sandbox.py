"""The sandbox itself, run for real: what a program inside it sees of the machine."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from rnnlab.grading import cgroup, sandbox, sides


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
