"""The sandbox a student's notebook runs in: bubblewrap, a cgroup, resource limits.

``run(work, order, limits)`` runs the grading worker (``worker.py``) under ``bwrap``:

- namespaces: user (the notebook runs as uid 65534 and cannot make more user
  namespaces), PID (its own /proc: it sees only its own processes), network (loopback
  only, which the kernel and its client need), IPC, UTS; ``--die-with-parent`` and the
  PID namespace take down everything it started when the sandbox ends;
- files: read-only binds of the system's /usr and a few files of /etc that programs
  need, the Python installation, its virtual environment and rnnlab's package folder,
  with rnnlab's ``grading`` and ``notebooks`` folders (the checks, the master notebook)
  hidden under empty read-only folders; /submission, HOME and TMPDIR on small tmpfs
  (the submission's files copied into /submission), so that nothing the notebook
  writes reaches the machine's disk; nothing else of the machine;
- limits: a cgroup (v1 or v2) caps memory, processes and CPU (one core) and is removed
  afterwards; RLIMIT_FSIZE caps every file it writes; the grader reads back at most
  ``limits.output`` bytes; and the grader's own clock kills it after ``limits.seconds``.
  Where no cgroup can be made, RLIMIT_AS caps memory instead (processes then have no cap).
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rnnlab.errors import InvalidValueError
from rnnlab.grading import cgroup

INSIDE_WORK = "/submission"
INSIDE_GRADER = "/grader"
SANDBOX_UID = 65534  # nobody
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "alternatives", "localtime")
SCRATCH_BYTES = 256 * 2**20
"""Size of each of the sandbox's writable folders (tmpfs, counted in its memory)."""
PYTHON = str(Path(sys.prefix).resolve() / "bin" / "python")
"""The virtual environment's Python: the worker and the student's kernel run on it."""
WORKER = [PYTHON, "-I", f"{INSIDE_GRADER}/worker.py"]
STOP_SLICE = 0.25
"""Seconds between two looks at the grader's ``stop`` while a sandbox runs."""


class NoSandboxError(InvalidValueError):
    """No sandbox can be made on this machine, so nothing is graded."""


@dataclass(frozen=True)
class Limits:
    """What one submission may use: wall-clock seconds, memory and output bytes, processes."""

    seconds: float
    memory: int
    processes: int = 256
    output: int = 64 * 2**20


@dataclass(frozen=True)
class Outcome:
    """How a sandbox ended: ``status`` "ran", "timeout", "failed" or "stopped" (by the
    grader's ``stop``); what it wrote back."""

    status: str
    stdout: bytes
    reason: str
    seconds: float


@dataclass(frozen=True)
class Sandbox:
    """A sandbox this machine can make: bwrap's path, and the kind of cgroup, if any."""

    bwrap: str
    cgroup: "str | None"

    def describe(self) -> str:
        if self.cgroup:
            return f"sandbox: bubblewrap, limits from a cgroup {self.cgroup} per submission"
        return (
            "sandbox: bubblewrap; no cgroup can be made here (run as root on cgroup v1, or "
            "delegate one on v2), so memory is capped by RLIMIT_AS and processes are not capped"
        )


def probe() -> Sandbox:
    """The sandbox this machine can make; NoSandboxError, saying how to get one, if none."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise NoSandboxError(
            "cannot grade: bubblewrap (bwrap), the sandbox for students' code, is not "
            "installed; install it with 'apt-get install bubblewrap'"
        )
    # The very sandbox a notebook gets, around a program that does nothing.
    command = [bwrap, *_arguments({}, ["/usr/bin/true"])]
    try:
        result = subprocess.run(command, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NoSandboxError(f"cannot grade: bwrap does not start: {error}") from None
    if result.returncode != 0:
        why = result.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise NoSandboxError(
            f"cannot grade: bwrap cannot make a sandbox here ({why[-1]}); it needs user "
            "namespaces (sysctl kernel.unprivileged_userns_clone=1) or root"
        )
    return Sandbox(bwrap, cgroup.kind())


def run(
    sandbox: Sandbox,
    work: Path,
    order: bytes,
    limits: Limits,
    logs: Path,
    command_inside: "list[str] | None" = None,
    stop: "threading.Event | None" = None,
) -> Outcome:
    """Run the worker in a sandbox on a copy of folder ``work``'s files, with ``order``
    on its stdin.

    ``logs`` is a folder of the grader's, outside the sandbox: its stdout and stderr go
    there, capped by RLIMIT_FSIZE. Returns once everything in the sandbox is gone.
    ``command_inside`` runs instead of the worker (the benchmark times the sandbox alone so).
    ``stop``, once set (by a grader that was interrupted), ends the sandbox within a
    fraction of a second.
    """
    started = time.monotonic()
    group = cgroup.Cgroup.make(sandbox.cgroup, limits.memory, limits.processes)
    rlimits = [f"--fsize={limits.output}", "--core=0"]
    if group is None:
        rlimits.append(f"--as={limits.memory}")
    command = [
        "/bin/sh",
        "-c",
        # Join the cgroup first, so that everything the sandbox starts is in it.
        'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"',
        "sh",
        *(group.procs if group else []),
        "--",
        "prlimit",
        *rlimits,
        "--",
        sandbox.bwrap,
    ]
    out_of_memory = False
    try:
        with contextlib.ExitStack() as files:
            stdout = files.enter_context(open(logs / "stdout", "wb"))
            stderr = files.enter_context(open(logs / "stderr", "wb"))
            # bwrap copies each file from its descriptor into the sandbox's /submission.
            copies = {
                path.name: files.enter_context(open(path, "rb")).fileno()
                for path in sorted(work.iterdir())
                if path.is_file()
            }
            command += _arguments(copies, command_inside or WORKER)
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=stdout,
                stderr=stderr,
                pass_fds=list(copies.values()),
                start_new_session=True,
            )
            try:
                status = _wait(process, order, started + limits.seconds, stop)
            finally:
                # bwrap's death takes the sandbox's PID namespace with it; the cgroup
                # catches anything that was on its way out.
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    finally:
        if group is not None:
            out_of_memory = group.close()
    reason = {
        "ran": "",
        "timeout": f"stopped after the time limit of {limits.seconds:g} s",
        "stopped": "grading was stopped before this submission was done",
    }[status]
    if out_of_memory:
        status, reason = "failed", f"ran out of memory (limit {limits.memory / 2**20:.0f} MiB)"
    elif status == "ran" and process.returncode != 0:
        status, reason = "failed", f"the sandbox ended with status {process.returncode}"
        reason += ": " + _last_line(logs / "stderr")
    with open(logs / "stdout", "rb") as stream:
        written = stream.read(limits.output)
    return Outcome(status, written, reason, time.monotonic() - started)


def _wait(
    process: subprocess.Popen, order: bytes, deadline: float, stop: "threading.Event | None"
) -> str:
    """Give the sandbox its order and wait, in short slices, until it ends ("ran"), the
    deadline (time.monotonic) passes ("timeout") or ``stop`` is set ("stopped")."""
    given: bytes | None = order
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
            if left <= STOP_SLICE:
                return "timeout"


def _namespaces() -> list[str]:
    return [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
    ]


def _system_binds() -> list[str]:
    """/usr and the links into it (merged /usr), or the folders themselves."""
    arguments = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        if (Path("/etc") / name).exists():
            arguments += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return arguments


def _python_binds() -> list[str]:
    """The Python installation, the virtual environment and rnnlab, read-only; rnnlab's
    checks and master notebook hidden."""
    import rnnlab

    package = Path(rnnlab.__file__).resolve().parent
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package}
    arguments = []
    for folder in sorted(folders):
        arguments += ["--ro-bind", str(folder), str(folder)]
    for hidden in ("grading", "notebooks"):
        arguments += ["--tmpfs", str(package / hidden), "--remount-ro", str(package / hidden)]
    return arguments


def _arguments(copies: dict[str, int], command: list[str]) -> list[str]:
    """bwrap's arguments, then the command line; ``copies``: the file descriptor to copy
    each file of /submission from, by name."""
    grader = Path(__file__).resolve().parent
    environment = {
        "HOME": "/home/student",
        "TMPDIR": "/tmp",
        "USER": "student",
        "PATH": f"{Path(PYTHON).parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        # One thread: the cgroup gives the sandbox one core.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        # rnnlab's readable loops, not its numba kernels: HOME starts empty, so every
        # submission would compile them again (seconds) for a few tiny RNNs.
        "RNNLAB_COMPILED": "0",
    }
    arguments = [*_namespaces(), *_system_binds()]
    for folder in ("/tmp", "/home/student", INSIDE_WORK):
        arguments += ["--size", str(SCRATCH_BYTES), "--tmpfs", folder]
    # After the tmpfs folders: a virtual environment or checkout under /tmp (a CI clone)
    # must be bound on top of the empty /tmp, not hidden by it.
    arguments += [*_python_binds(), "--proc", "/proc", "--dev", "/dev"]
    for name, descriptor in copies.items():
        arguments += ["--file", str(descriptor), f"{INSIDE_WORK}/{name}"]
    arguments += ["--chdir", INSIDE_WORK]
    for name in ("worker.py", "plain.py"):
        arguments += ["--ro-bind", str(grader / name), f"{INSIDE_GRADER}/{name}"]
    arguments.append("--clearenv")
    for name, value in environment.items():
        arguments += ["--setenv", name, value]
    return [*arguments, "--", *command]


def _last_line(path: Path) -> str:
    with open(path, "rb") as stream:
        text = stream.read(64 * 1024).decode(errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"
