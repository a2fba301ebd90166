"""Writing outputs whole or not at all: to a temporary name beside the target, then rename."""

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from rnnlab import interrupts


def write_atomic(path: "str | os.PathLike[str]", data: "str | bytes") -> Path:
    """Write data to path so that a reader sees the old file or the new one, never half."""
    write_all_atomic({path: data})
    return Path(path)


def write_all_atomic(outputs: "Mapping[str | os.PathLike[str], str | bytes]") -> None:
    """Write several files all or nothing: every one to a temporary name beside its target
    first, then the renames. If any cannot be written, no target is touched. A signal
    waits until the writing is over (``interrupts.held``): stopped between making a
    temporary file and noting its name, the write would leave that file behind."""
    written: list[tuple[str, Path]] = []
    with interrupts.held():
        try:
            for path, data in outputs.items():
                written.append((_write_temporary(Path(path), data), Path(path)))
            for temporary, path in written:
                os.replace(temporary, path)
        except BaseException:
            for temporary, _ in written:
                Path(temporary).unlink(missing_ok=True)
            raise


def _write_temporary(path: Path, data: "str | bytes") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode open() would have.
        os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
