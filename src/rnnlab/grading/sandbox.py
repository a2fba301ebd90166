"""The sandboxes a student's notebook is graded in: two per submission, of two users.

``run(sandbox, work, order, limits, scratch)`` starts, side by side:

- the **kernel**: a Jupyter kernel that runs the student's code, as the host user
  ``rnnlab-student``, in a bubblewrap sandbox that sees the submission's files (copied
  onto a tmpfs at /submission), a tmpfs HOME and /tmp, the Python installation, its
  virtual environment and rnnlab's package read-only (its ``grading`` and ``notebooks``
  folders hidden), and a folder for the kernel's sockets; nothing else of the machine;
- the **worker** (``worker.py``): the Jupyter client that sends the notebook's cells to
  the kernel over those sockets, then the checks' expressions, and writes the plain
  values back to the grader, as the host user ``rnnlab-worker``, in a sandbox of its own.

Each is in its own PID namespace, so the student's processes cannot see, signal or
open anything of the worker's (its descriptors, its answer), and of another uid. Both
start from an empty environment and run with every capability dropped, under a seccomp
filter (``seccomp_filter.py``), in a network namespace of their own (the sockets are
files), with no further user namespaces, ``--die-with-parent`` and a new session.
A cgroup (v1 or v2) caps the memory, processes and CPU (one core) of both together and
is removed afterwards; RLIMIT_FSIZE caps every file written and the grader reads back
at most ``limits.output`` bytes; the grader's own clock ends both after ``limits.seconds``.
Where no cgroup can be made, RLIMIT_AS caps each process's memory instead.

A grader run by root starts each sandbox as its user (``setpriv``): no sandboxed process
is root on the host, so none can write /proc/sys or reach root's keyrings. A grader run
by another user starts both as itself, an unprivileged user already. Where bubblewrap
cannot make namespaces (a container, such as Gradescope's), ``probe(uids_only=True)``
gives the users and the filter alone: the student's code is kept from the grader's
files by the host's permissions, and the network stays reachable.
"""

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rnnlab.errors import InvalidValueError
from rnnlab.grading import cgroup
from rnnlab.grading.launch import (
    _HERE,
    PYTHON,
    STOP_SLICE,
    STUDENT,
    SYSTEM_PYTHON,
    WORKER,
    Account,
    Limits,
    Sandbox,
    log,
)
from rnnlab.grading.sides import CHANNELS, Layout, start_kernel, start_student, start_worker

__all__ = [
    "PYTHON", "STUDENT", "WORKER", "Account", "Limits", "NoSandboxError", "Outcome", "Sandbox",
    "probe", "run", "run_student",
]  # fmt: skip


class NoSandboxError(InvalidValueError):
    """No sandbox can be made on this machine, so nothing is graded."""


@dataclass(frozen=True)
class Outcome:
    """How a sandbox ended: ``status`` "ran", "timeout", "failed" (out of memory or of
    processes, or a non-zero exit) or "stopped" (by the grader's ``stop``); what it wrote
    back."""

    status: str
    stdout: bytes
    reason: str
    seconds: float


def probe(uids_only: bool = False) -> Sandbox:
    """The sandbox this machine can make; NoSandboxError, saying how to get one, if none.

    ``uids_only``: where bubblewrap cannot run, fall back to the users and the filter
    alone (a container; needs root). Without it, grading needs bubblewrap.
    """
    student, worker = _accounts()
    program = seccomp_program()
    kind = cgroup.kind()
    bwrap = shutil.which("bwrap")
    why = "bubblewrap (bwrap), the sandbox for students' code, is not installed"
    if uids_only and os.environ.get("RNNLAB_NO_BWRAP") == "1":  # a container's lack, tested
        bwrap, why = None, "bubblewrap is not to be used here (RNNLAB_NO_BWRAP=1)"
    if bwrap is not None:
        box = Sandbox(bwrap, kind, student, worker, program)
        outcome = _run_true(box)
        if outcome.status == "ran":
            return box
        why = f"bwrap cannot make a sandbox here ({_detail(outcome)})"
    if uids_only and student is not None:
        box = Sandbox(None, kind, student, worker, program)
        outcome = _run_true(box)
        if outcome.status == "ran":
            return box
        why += f"; nor can the sandbox users run a program ({_detail(outcome)})"
    raise NoSandboxError(
        f"cannot grade: {why}; install it with 'apt-get install bubblewrap', and allow "
        "user namespaces (sysctl kernel.unprivileged_userns_clone=1); the sandbox users "
        "must be able to read the Python installation (scripts/setup.sh sees to both)"
    )


def _detail(outcome: Outcome) -> str:
    """What went wrong, in the words of the program that said so."""
    return outcome.reason.partition(": ")[2] or outcome.reason


def _accounts() -> "tuple[Account | None, Account | None]":
    """The two users, where this grader is root; NoSandboxError if they do not exist."""
    if os.geteuid() != 0:
        return None, None
    accounts = []
    for name in (STUDENT, WORKER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise NoSandboxError(
                f"cannot grade as root: there is no user {name} to run students' code as; "
                f"create it with 'useradd --system --user-group --no-create-home {name}' "
                "(scripts/setup.sh does)"
            ) from None
        accounts.append(Account(name, entry.pw_uid, entry.pw_gid))
    return accounts[0], accounts[1]


_PROGRAM: list[bytes] = []


def seccomp_program() -> bytes:
    """The seccomp filter compiled to BPF by the system's libseccomp (made once)."""
    if not _PROGRAM:
        script = str(_HERE / "seccomp_filter.py")
        try:
            result = subprocess.run(
                [SYSTEM_PYTHON, "-I", script, "--export"], capture_output=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            result = subprocess.CompletedProcess([], 1, b"", str(error).encode())
        if result.returncode != 0 or not result.stdout:
            raise NoSandboxError(
                "cannot grade: the seccomp filter cannot be made (no libseccomp bindings "
                f"for {SYSTEM_PYTHON}); install them with 'apt-get install python3-seccomp'"
            )
        _PROGRAM.append(result.stdout)
    return _PROGRAM[0]


def _run_true(box: Sandbox) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="rnnlab-probe-") as work:
        limits = Limits(seconds=30, memory=2**30)
        return run_student(box, Path(work), ["/usr/bin/true"], limits)


def run(
    sandbox: Sandbox,
    work: Path,
    order: dict,
    limits: Limits,
    stop: "threading.Event | None" = None,
) -> Outcome:
    """Grade: the kernel on a copy of folder ``work``'s files, the worker given ``order``.

    ``order`` is what the worker is told (the notebook's file name in ``work``, the
    expressions, ...); the connection to the kernel is added here. Returns the worker's
    outcome once both sandboxes are gone. ``stop``, once set (by a grader that was
    interrupted), ends them within a fraction of a second.
    """
    with Layout.make(sandbox) as layout:
        connection = {
            "transport": "ipc",
            "ip": f"{layout.sockets_inside}/kernel",
            **{f"{name}_port": port for port, name in enumerate(CHANNELS, start=1)},
            "key": secrets.token_hex(32),
            "signature_scheme": "hmac-sha256",
        }
        notebook = work / order["notebook"]
        order = {
            **order,
            "connection": connection,
            "notebook": layout.inside(layout.worker, "notebook.ipynb"),
        }
        group = cgroup.Cgroup.make(sandbox.cgroup, limits.memory, limits.processes)
        started = time.monotonic()
        try:
            with contextlib.ExitStack() as files:
                kernel = start_kernel(sandbox, layout, work, connection, limits, group, files)
                files.callback(_end, kernel)
                worker = start_worker(sandbox, layout, notebook, limits, group, files)
                status = _wait(
                    worker, json.dumps(order).encode(), started + limits.seconds, stop, group
                )
                _end(worker)
                returncode = worker.returncode
        finally:
            out_of_memory = _clean_up(sandbox, group)
        return _outcome(status, returncode, out_of_memory, layout.logs, limits, started)


def run_student(
    sandbox: Sandbox,
    work: Path,
    command: list[str],
    limits: Limits,
    stop: "threading.Event | None" = None,
) -> Outcome:
    """Run ``command`` where the student's kernel would run, on a copy of ``work``'s files;
    its stdout comes back (the tests and the benchmark look at the sandbox so)."""
    with Layout.make(sandbox) as layout:
        group = cgroup.Cgroup.make(sandbox.cgroup, limits.memory, limits.processes)
        started = time.monotonic()
        try:
            with contextlib.ExitStack() as files:
                stdout = log(files, layout.logs / "stdout")
                stderr = log(files, layout.logs / "stderr")
                process = start_student(
                    sandbox, layout, work, command, limits, group, files, None, stdout, stderr
                )
                status = _wait(process, b"", started + limits.seconds, stop)
                _end(process)
        finally:
            out_of_memory = _clean_up(sandbox, group)
        return _outcome(status, process.returncode, out_of_memory, layout.logs, limits, started)


def _wait(
    process: subprocess.Popen,
    order: bytes,
    deadline: float,
    stop: "threading.Event | None",
    group: "cgroup.Cgroup | None" = None,
) -> str:
    """Give the sandbox its order and wait, in short slices, until it ends ("ran"), the
    deadline (time.monotonic) passes ("timeout"), ``stop`` is set ("stopped") or
    ``group`` refuses a process ("processes").

    A notebook that reaches its limit on processes is a fork bomb, or as good as one: its
    copies share the sandbox's core with the rest of the notebook, and whether that rest
    finished in time was a matter of chance. It fails at once instead.
    """
    given: bytes | None = order if process.stdin is not None else None
    while True:
        left = deadline - time.monotonic()
        try:
            # Asked again after a slice, communicate goes on where it was, the order given
            # only the first time (Python refuses it again).
            process.communicate(given, timeout=max(0.0, min(left, STOP_SLICE)))
            return "ran"
        except subprocess.TimeoutExpired:
            given = None
            if stop is not None and stop.is_set():
                return "stopped"
            if group is not None and group.refused_a_process():
                return "processes"
            if left <= STOP_SLICE:
                return "timeout"


def _end(process: subprocess.Popen) -> None:
    """Kill a sandbox's whole session; bwrap's death takes its PID namespace with it."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _clean_up(sandbox: Sandbox, group: "cgroup.Cgroup | None") -> bool:
    """End what a submission left (its cgroup, or else, without bwrap, its user's
    processes); whether it ran out of memory."""
    if group is not None:
        return group.close()
    if sandbox.student and not sandbox.bwrap:
        _kill_all_of(sandbox.student.uid)
    return False


def _kill_all_of(uid: int) -> None:
    """Without bwrap or a cgroup, what the student's user left running goes by its uid."""
    for _ in range(3):
        pids = []
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if entry.name.isdigit() and entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


def _outcome(
    status: str,
    returncode: "int | None",
    out_of_memory: bool,
    logs: Path,
    limits: Limits,
    started: float,
) -> Outcome:
    reason = {
        "ran": "",
        "timeout": f"stopped after the time limit of {limits.seconds:g} s",
        "stopped": "grading was stopped before this submission was done",
        "processes": f"started more processes and threads than its limit of {limits.processes}",
    }[status]
    if status == "processes":
        status = "failed"
    if out_of_memory:
        status, reason = "failed", f"ran out of memory (limit {limits.memory / 2**20:.0f} MiB)"
    elif status == "ran" and returncode != 0:
        status, reason = "failed", f"the sandbox ended with status {returncode}"
        reason += ": " + _last_line(logs / "stderr")
    with open(logs / "stdout", "rb") as stream:
        written = stream.read(limits.output)
    return Outcome(status, written, reason, time.monotonic() - started)


def _last_line(path: Path) -> str:
    """The last line of the worker's stderr (the worker is the grader's own code)."""
    try:
        with open(path, "rb") as stream:
            text = stream.read(64 * 1024).decode(errors="replace")
    except OSError:
        return "no message"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"
