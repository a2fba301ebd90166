"""One submission's cgroup: limits on memory, processes and CPU, and a clean end.

cgroup v1 (one folder per controller, as on this machine) or v2 (one folder), made as
root under /sys/fs/cgroup and removed when the sandbox is done. ``kind()`` says which
this machine can make, trying it once; None where none can be made.

A cgroup's name holds the process ID of the grader that made it. A grader stopped by
SIGTERM or Ctrl-C removes its own on the way out; one killed outright (SIGKILL) cannot,
so ``kind()`` first removes the cgroups of graders that are no longer running.
"""

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "rnnlab-grade-"
"""The start of every cgroup's name; the grader's process ID and a random part follow."""


def kind() -> "str | None":
    """ "v1" or "v2" where this process can make a cgroup with memory and pids limits.

    Removes, first, what graders killed outright left behind (see ``sweep``).
    """
    sweep()
    group = Cgroup.make(_kind_unchecked(), memory=2**30, processes=16)
    if group is None:
        return None
    group.close()
    return group.kind


def _kind_unchecked() -> "str | None":
    if (ROOT / "memory").is_dir() and (ROOT / "pids").is_dir():
        return "v1"
    if (ROOT / "cgroup.controllers").is_file():
        return "v2"
    return None


def made_by(pid: "int | None" = None) -> list[Path]:
    """The folders of rnnlab's cgroups on this machine: all of them, or those the grader
    with process ID ``pid`` made."""
    pattern = f"{PREFIX}{pid if pid is not None else '*'}-*"
    return sorted([*ROOT.glob(pattern), *ROOT.glob(f"*/{pattern}")])


def sweep() -> None:
    """Remove the empty cgroups whose grader is no longer running.

    Those of a grader still at work are left alone, and so is any cgroup that still
    holds a process (the kernel refuses to remove it): bwrap's ``--die-with-parent``
    ends a sandbox with its grader, and a process that outlived both is not killed on a
    guess.
    """
    for folder in made_by():
        pid = folder.name[len(PREFIX) :].partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                folder.rmdir()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running, as another user
        pass
    return True


@dataclass
class Cgroup:
    """One submission's cgroup: its folders (one per controller on v1) and their limits."""

    kind: str
    folders: list[Path]

    @property
    def procs(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.folders]

    @classmethod
    def make(cls, kind: "str | None", memory: int, processes: int) -> "Cgroup | None":
        """A new cgroup capping memory (bytes), processes and CPU (one core), or None."""
        if kind is None:
            return None
        name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        core = "100000"  # microseconds of CPU per 100 ms: one core
        if kind == "v1":
            settings = {
                # memsw (memory + swap) after the memory limit, which it may not undercut.
                "memory": {
                    "memory.limit_in_bytes": memory,
                    "memory.memsw.limit_in_bytes": memory,
                    "memory.swappiness": 0,
                },
                "pids": {"pids.max": processes},
                "cpu": {"cpu.cfs_quota_us": core},
            }
            folders = {c: ROOT / c / name for c in settings if (ROOT / c).is_dir()}
        else:
            settings = {
                "": {
                    "memory.max": memory,
                    "memory.swap.max": 0,
                    "pids.max": processes,
                    "cpu.max": f"{core} 100000",
                }
            }
            folders = {"": ROOT / name}
        group = cls(kind, [])
        try:
            for controller, folder in folders.items():
                folder.mkdir()
                group.folders.append(folder)
                for setting, value in settings[controller].items():
                    # cpu and swap settings are welcome; memory and pids are required.
                    optional = setting.startswith(("cpu", "memory.swap", "memory.memsw"))
                    try:
                        (folder / setting).write_text(str(value))
                    except OSError:
                        if not optional:
                            raise
            if kind == "v1" and not {"memory", "pids"} <= set(folders):
                raise OSError("no memory or pids controller")
        except OSError:
            group.close()
            return None
        return group

    def refused_a_process(self) -> bool:
        """Whether a process or thread was refused for going past the group's limit."""
        return any(_counted(_read(folder / "pids.events"), "max") for folder in self.folders)

    def close(self) -> bool:
        """Kill what is left in the cgroup, remove it; whether it ran out of memory.

        Processes killed by the hundred (a fork bomb's) take a while to leave the group
        on a busy machine, so this keeps killing and trying for up to a minute.
        """
        out_of_memory = any(
            _counted(
                _read(folder / "memory.oom_control") + _read(folder / "memory.events"), "oom_kill"
            )
            for folder in self.folders
        )
        deadline = time.monotonic() + 60
        left = list(self.folders)
        while left and time.monotonic() < deadline:
            for folder in list(left):
                for pid in _read(folder / "cgroup.procs").split():
                    with contextlib.suppress(OSError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)
                with contextlib.suppress(OSError):
                    folder.rmdir()
                    left.remove(folder)
            if left:
                time.sleep(0.05)
        return out_of_memory


def _counted(events: str, name: str) -> bool:
    """Whether the lines "name count" of a cgroup's events file count ``name`` at least once."""
    for line in events.splitlines():
        key, _, count = line.partition(" ")
        if key == name and count.strip() not in ("", "0"):
            return True
    return False


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
