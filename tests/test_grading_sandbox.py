"""The sandbox itself, run for real: what a program inside it sees of the machine."""

import os

import pytest

from rnnlab.grading import sandbox


@pytest.fixture(scope="module")
def box() -> sandbox.Sandbox:
    return sandbox.probe()


def inside(box, tmp_path, *command: str) -> sandbox.Outcome:
    (tmp_path / "work").mkdir(exist_ok=True)
    (tmp_path / "logs").mkdir(exist_ok=True)
    limits = sandbox.Limits(seconds=30, memory=512 * 2**20)
    return sandbox.run(box, tmp_path / "work", b"", limits, tmp_path / "logs", list(command))


def test_python_under_tmp_is_bound_over_the_empty_tmp(box, tmp_path, monkeypatch):
    # A CI clone may keep its virtual environment under /tmp; the sandbox's own tmpfs at
    # /tmp hid it, and every submission failed. pytest's tmp_path is under /tmp too.
    environment = tmp_path / "venv"
    environment.mkdir()
    (environment / "marker").write_text("here")
    binds = sandbox._python_binds()
    monkeypatch.setattr(
        sandbox, "_python_binds", lambda: [*binds, "--ro-bind", str(environment), str(environment)]
    )
    outcome = inside(box, tmp_path, "/bin/cat", str(environment / "marker"))
    assert (outcome.status, outcome.stdout) == ("ran", b"here")


def test_the_hosts_tmp_and_home_are_not_seen(box, tmp_path):
    (tmp_path / "secret").write_text("host file")
    outcome = inside(box, tmp_path, "/bin/sh", "-c", f"ls /tmp; ls {tmp_path}; ls /root; true")
    assert outcome.status == "ran"
    assert b"secret" not in outcome.stdout
    assert os.path.exists(tmp_path / "secret")
