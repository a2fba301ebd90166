"""The two sides of a submission's grading, as each sees the machine.

The student's side (the kernel, or a command in its place) sees the submission's files
on a tmpfs at /submission, a tmpfs HOME and /tmp, the Python installation, its virtual
environment and rnnlab read-only (rnnlab's ``grading`` and ``notebooks`` hidden), and
the folder of the kernel's sockets. The worker's side sees its own copy of the notebook
and of ``worker.py`` and ``plain.py``, the Python, and the sockets, read-only. Without
bubblewrap each side has a folder of the scratch folder instead, its user's alone.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rnnlab.grading import cgroup
from rnnlab.grading.launch import (
    _ETC,
    _HERE,
    _TOOLS,
    INSIDE_GRADER,
    INSIDE_SOCKETS,
    INSIDE_WORK,
    PYTHON,
    SCRATCH_BYTES,
    Account,
    Limits,
    Sandbox,
    descriptor,
    log,
    memory_file,
    start,
)

CHANNELS = ("shell", "iopub", "stdin", "control", "hb")


@dataclass(frozen=True)
class Layout:
    """The scratch folder's parts: ``logs`` (the grader's alone), ``sockets`` (the
    kernel's, which the worker connects to), and, without bubblewrap, ``student`` and
    ``worker`` (each user's HOME and files; with bubblewrap those are tmpfs)."""

    bwrap: bool
    logs: Path
    sockets: Path
    student: Path
    worker: Path

    @classmethod
    @contextlib.contextmanager
    def make(cls, sandbox: Sandbox) -> "Iterator[Layout]":
        """A fresh scratch folder laid out for ``sandbox``'s users, removed afterwards."""
        scratch = Path(tempfile.mkdtemp(prefix="rnnlab-sandbox-"))
        try:
            yield cls._lay_out(sandbox, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @classmethod
    def _lay_out(cls, sandbox: Sandbox, scratch: Path) -> "Layout":
        layout = cls(
            sandbox.bwrap is not None,
            scratch / "logs",
            scratch / "sockets",
            scratch / "student",
            scratch / "worker",
        )
        scratch.chmod(0o711)  # the users pass through to their folders, and see no names
        layout.logs.mkdir(mode=0o700)
        for folder, account, mode in (
            (layout.sockets, sandbox.student, 0o755),
            (layout.student, sandbox.student, 0o700),
            (layout.worker, sandbox.worker, 0o700),
        ):
            folder.mkdir(mode=mode)
            if account is not None:
                os.chown(folder, account.uid, account.gid)
        return layout

    @property
    def sockets_inside(self) -> str:
        return INSIDE_SOCKETS if self.bwrap else str(self.sockets)

    def inside(self, folder: Path, name: str) -> str:
        """Where the file ``name`` of a user's folder is seen from inside its sandbox."""
        return f"/tmp/{name}" if self.bwrap else str(folder / name)


def start_kernel(
    sandbox: Sandbox,
    layout: Layout,
    work: Path,
    connection: dict,
    limits: Limits,
    group: "cgroup.Cgroup | None",
    files: contextlib.ExitStack,
) -> subprocess.Popen:
    from rnnlab.grading.worker import CAP_OUTPUT, END_STRAYS, MAX_PRINTED

    startup = CAP_OUTPUT.replace("LIMIT", str(MAX_PRINTED))
    extra = {
        "kernel.json": json.dumps(connection),
        "ipython/profile_default/startup/00-cap-output.py": startup,
        "ipython/profile_default/startup/01-end-strays.py": END_STRAYS,
    }
    command = [
        "/bin/sh",
        "-c",
        # Sockets the worker (another user) may connect to.
        'umask 000 && exec "$@"',
        "sh",
        PYTHON,
        "-m",
        "ipykernel_launcher",
        "-f",
        layout.inside(layout.student, "kernel.json"),
    ]
    return start_student(sandbox, layout, work, command, limits, group, files, extra)


def start_student(
    sandbox: Sandbox,
    layout: Layout,
    work: Path,
    command: list[str],
    limits: Limits,
    group: "cgroup.Cgroup | None",
    files: contextlib.ExitStack,
    extra: "dict[str, str] | None" = None,
    stdout: "object | None" = None,
    stderr: "object | None" = None,
) -> subprocess.Popen:
    """The student's side: ``command`` with the copies of ``work``'s files at hand, and
    the ``extra`` files (name: text) in its /tmp."""
    home, tmp = "/home/student", "/tmp"
    if not layout.bwrap:
        here = layout.student
        home, tmp = str(here / "home"), str(here)
        _copy_as(sandbox.student, work, here / "submission", extra or {}, here)
    environment = {
        "HOME": home,
        "TMPDIR": tmp,
        "USER": "student",
        "PATH": f"{Path(PYTHON).parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        # One thread: the cgroup gives the sandbox one core.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "IPYTHONDIR": f"{tmp}/ipython",
        "JUPYTER_RUNTIME_DIR": f"{tmp}/runtime",
        # rnnlab's readable loops, not its numba kernels: HOME starts empty, so every
        # submission would compile them again (seconds) for a few tiny RNNs.
        "RNNLAB_COMPILED": "0",
    }
    if layout.bwrap:
        copies = {
            f"{INSIDE_WORK}/{path.name}": descriptor(files, path)
            for path in sorted(work.iterdir())
            if path.is_file()
        }
        for name, text in (extra or {}).items():
            copies[f"/tmp/{name}"] = memory_file(files, text.encode())
        arguments = [*_common(), "--bind", str(layout.sockets), INSIDE_SOCKETS]
        for folder in ("/tmp", "/home/student", INSIDE_WORK):
            arguments += ["--size", str(SCRATCH_BYTES), "--tmpfs", folder]
        # After the tmpfs folders: a virtual environment or checkout under /tmp (a CI
        # clone) must be bound on top of the empty /tmp, not hidden by it.
        arguments += python_binds()
        arguments += _files(copies)
        arguments += ["--chdir", INSIDE_WORK]
        cwd = None
    else:
        arguments, copies, cwd = None, {}, str(layout.student / "submission")
    return start(
        sandbox, sandbox.student, arguments, command, environment, limits, group, files,
        copies, cwd, stdout, stderr,
    )  # fmt: skip


def start_worker(
    sandbox: Sandbox,
    layout: Layout,
    notebook: Path,
    limits: Limits,
    group: "cgroup.Cgroup | None",
    files: contextlib.ExitStack,
) -> subprocess.Popen:
    """The worker's side: worker.py on its own copy of the notebook; its answer goes to
    logs/stdout, a file of the grader's that only the worker holds open."""
    tools = {name: (_HERE / name).read_text() for name in ("worker.py", "plain.py")}
    environment = {"HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", _TOOLS[0]: _TOOLS[1]}
    if layout.bwrap:
        copies = {"/tmp/notebook.ipynb": descriptor(files, notebook)}
        for name, text in tools.items():
            copies[f"{INSIDE_GRADER}/{name}"] = memory_file(files, text.encode())
        arguments = [*_common(), "--ro-bind", str(layout.sockets), INSIDE_SOCKETS]
        arguments += ["--size", str(SCRATCH_BYTES), "--tmpfs", "/tmp"]
        arguments += [*python_binds(), "--dir", INSIDE_GRADER, *_files(copies)]
        arguments += ["--chdir", "/tmp"]
        script, cwd = f"{INSIDE_GRADER}/worker.py", None
    else:
        here = layout.worker
        given = {"notebook.ipynb": notebook.read_bytes()}
        given.update((name, text.encode()) for name, text in tools.items())
        for name, data in given.items():
            (here / name).write_bytes(data)
            if sandbox.worker:
                os.chown(here / name, sandbox.worker.uid, sandbox.worker.gid)
        environment.update(HOME=str(here), TMPDIR=str(here))
        arguments, copies, cwd, script = None, {}, str(here), str(here / "worker.py")
    stdout, stderr = log(files, layout.logs / "stdout"), log(files, layout.logs / "stderr")
    command = [PYTHON, "-I", script]
    return start(
        sandbox, sandbox.worker, arguments, command, environment, limits, group, files,
        copies, cwd, stdout, stderr, stdin=subprocess.PIPE,
    )  # fmt: skip


def _copy_as(
    account: "Account | None", work: Path, submission: Path, extra: dict[str, str], here: Path
) -> None:
    """Without bwrap: the submission's files and the extra ones, in the student's folder."""
    made = [submission, here / "home"]
    for folder in made:
        folder.mkdir()
    for path in sorted(work.iterdir()):
        if path.is_file():
            shutil.copyfile(path, submission / path.name)
            made.append(submission / path.name)
    for name, text in extra.items():
        target = here / name
        for parent in reversed(target.relative_to(here).parents[:-1]):
            if not (here / parent).exists():
                (here / parent).mkdir()
                made.append(here / parent)
        target.write_text(text)
        made.append(target)
    if account is not None:
        for path in made:
            os.chown(path, account.uid, account.gid)


def _common() -> list[str]:
    """Namespaces and the system's files, for both sandboxes."""
    arguments = [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            arguments += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        if (Path("/etc") / name).exists():
            arguments += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    # Its own /proc, with /proc/sys and the like read-only over it.
    arguments += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]
    return arguments


def python_binds() -> list[str]:
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


def _files(copies: dict[str, int]) -> list[str]:
    arguments = []
    for target in sorted({str(Path(t).parent) for t in copies} - {"/tmp", INSIDE_WORK}):
        arguments += ["--dir", target]
    for target, number in copies.items():
        arguments += ["--file", str(number), target]
    return arguments
