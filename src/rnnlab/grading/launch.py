"""Starting one sandboxed process: what a sandbox is made of, and its command line.

A process starts as a chain, each link exec'ing the next: ``sh`` joins the submission's
cgroup (as the grader), ``prlimit`` sets the rlimits, ``setpriv`` becomes the sandbox's
user with every capability dropped and no way to gain one, then ``bwrap`` makes the
namespaces and the file system and loads the seccomp filter, or, without bubblewrap,
``seccomp_filter.py --exec`` loads the filter alone. Nothing of the grader's
environment goes down the chain.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rnnlab.grading import cgroup

STUDENT, WORKER = "rnnlab-student", "rnnlab-worker"
"""The host users the kernel and the worker run as when the grader is root."""

INSIDE_WORK = "/submission"
INSIDE_GRADER = "/grader"
INSIDE_SOCKETS = "/run/rnnlab"
_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "alternatives", "localtime")
SCRATCH_BYTES = 256 * 2**20
"""Size of each of the sandbox's writable folders (tmpfs, counted in its memory)."""
PYTHON = str(Path(sys.prefix).resolve() / "bin" / "python")
"""The virtual environment's Python: the worker and the student's kernel run on it."""
SYSTEM_PYTHON = "/usr/bin/python3"
"""The system's Python, with libseccomp's bindings (Debian's python3-seccomp)."""
STOP_SLICE = 0.25
"""Seconds between two looks at the grader's ``stop`` while a sandbox runs."""
_HERE = Path(__file__).resolve().parent
_TOOLS = ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")


@dataclass(frozen=True)
class Limits:
    """What one submission may use: wall-clock seconds, memory and output bytes, processes."""

    seconds: float
    memory: int
    processes: int = 256
    output: int = 64 * 2**20


@dataclass(frozen=True)
class Account:
    """A host user a sandbox runs as."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class Sandbox:
    """The sandboxes this machine can make.

    ``bwrap``: bubblewrap's path, or None for the uid separation alone. ``cgroup``: the
    kind of cgroup, if any. ``student``/``worker``: the users the kernel and the worker
    run as, or None where the grader is not root (both run as the grader). ``seccomp``:
    the compiled filter.
    """

    bwrap: "str | None"
    cgroup: "str | None"
    student: "Account | None"
    worker: "Account | None"
    seccomp: bytes

    def describe(self) -> str:
        if self.bwrap:
            where = "sandbox: bubblewrap"
        else:
            where = "sandbox: no user namespaces here, so the uid separation alone (no bubblewrap)"
        if self.student and self.worker:
            users = f"the kernel runs as {self.student.name}, the worker as {self.worker.name}"
        else:
            users = f"both run as this grader's own user (uid {os.geteuid()}), not root"
        if self.cgroup:
            caps = f"limits from a cgroup {self.cgroup} per submission"
        else:
            caps = "no cgroup can be made here, so memory is capped by RLIMIT_AS"
        return f"{where}; {users}; seccomp filter on; {caps}"


def start(
    sandbox: Sandbox,
    account: "Account | None",
    bwrap_arguments: "list[str] | None",
    command: list[str],
    environment: dict[str, str],
    limits: Limits,
    group: "cgroup.Cgroup | None",
    files: contextlib.ExitStack,
    copies: dict[str, int],
    cwd: "str | None",
    stdout: "object | None" = None,
    stderr: "object | None" = None,
    stdin: "int | None" = None,
) -> subprocess.Popen:
    """Start one sandbox: join the cgroup (as the grader), set the rlimits, become
    ``account``, then bwrap with the filter, or the filter alone."""
    rlimits = [f"--fsize={limits.output}", "--core=0"]
    if group is None:
        rlimits.append(f"--as={limits.memory}")
    if not sandbox.bwrap:
        rlimits.append(f"--nproc={limits.processes}")  # a real uid: the kernel counts it
    line = [
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
    ]
    if account is not None:
        line += [
            "setpriv",
            f"--reuid={account.uid}",
            f"--regid={account.gid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    if bwrap_arguments is not None:
        assert sandbox.bwrap is not None
        program = memory_file(files, sandbox.seccomp)
        line += [sandbox.bwrap, *bwrap_arguments, "--seccomp", str(program), "--clearenv"]
        for name, value in environment.items():
            line += ["--setenv", name, value]
        line += ["--", *command]
        environment = dict([_TOOLS])  # bwrap's own: nothing of the grader's
        descriptors = [*copies.values(), program]
    else:
        script = _filter_script(files)
        line += [SYSTEM_PYTHON, "-I", script, "--exec", *command]
        descriptors = []
    return subprocess.Popen(
        line,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=stderr if stderr is not None else subprocess.DEVNULL,
        pass_fds=descriptors,
        env=environment,
        cwd=cwd or "/",
        start_new_session=True,
    )


def _filter_script(files: contextlib.ExitStack) -> str:
    """The seccomp filter's script where the sandbox users can read it (without bwrap,
    rnnlab's grading folder may be closed to them)."""
    folder = Path(files.enter_context(tempfile.TemporaryDirectory(prefix="rnnlab-seccomp-")))
    folder.chmod(0o755)
    script = folder / "seccomp_filter.py"
    script.write_bytes((_HERE / "seccomp_filter.py").read_bytes())
    script.chmod(0o644)
    return str(script)


def memory_file(files: contextlib.ExitStack, data: bytes) -> int:
    """A descriptor to read ``data`` from, which nothing on disk holds."""
    descriptor = os.memfd_create("rnnlab", 0)
    files.callback(os.close, descriptor)
    os.write(descriptor, data)
    os.lseek(descriptor, 0, os.SEEK_SET)
    return descriptor


def log(files: contextlib.ExitStack, path: Path):
    """A file of the grader's for a sandbox's output, open while the sandbox runs."""
    return files.enter_context(path.open("wb"))


def descriptor(files: contextlib.ExitStack, path: Path) -> int:
    return files.enter_context(open(path, "rb")).fileno()
