"""rnnlab's own wheel, for the hand-out and the autograder zip to install rnnlab from.

Where rnnlab runs from a checkout (an editable install, as ``scripts/setup.sh`` makes),
the wheel is built from it with pip, offline: the sources are copied to a scratch
folder first, so the build writes nothing into the checkout and two builds never share
a ``build/``. Where rnnlab was installed from a wheel, that wheel is packed again from
the installed files its RECORD lists, so an instructor needs no clone either.
"""

import base64
import hashlib
import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]
"""The folder holding pyproject.toml when rnnlab runs from a checkout (src layout)."""

_SOURCES = ("pyproject.toml", "README.md", "src/rnnlab")

HELD_BACK = ("rnnlab/notebooks/rnn_lab.ipynb", "rnnlab/grading/checks.py")
"""What the hand-out wheel leaves out: the master notebook (the solutions and the hidden
tests) and the checks (the hidden checks' inputs and references). Students and the
autograder zip install this wheel; an instructor builds and grades from a checkout."""


def is_checkout(root: Path = CHECKOUT) -> bool:
    """Whether root is a checkout of rnnlab: its pyproject.toml names the project rnnlab."""
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return project.get("project", {}).get("name") == "rnnlab"


def build_wheel(
    folder: Path, root: Path = CHECKOUT, held_back: "tuple[str, ...]" = HELD_BACK
) -> Path:
    """rnnlab's hand-out wheel in folder (without ``held_back``): built from the checkout
    at root, else packed again from the installed files. The Gradescope autograder's
    wheel holds back nothing: it grades, and its users cannot read it."""
    if is_checkout(root):
        return wheel_from_checkout(folder, root, held_back)
    return wheel_from_install(folder, held_back)


def wheel_from_checkout(
    folder: Path, root: Path = CHECKOUT, held_back: "tuple[str, ...]" = HELD_BACK
) -> Path:
    """Build rnnlab's wheel from the checkout at root into folder; return its path.

    Raises ChildProcessError (an OSError, one line in the CLI) when pip cannot build it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rnnlab-wheel-") as scratch:
        source = Path(scratch) / "source"
        for name in _SOURCES:
            if (root / name).is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
                shutil.copytree(root / name, source / name, ignore=ignore)
            else:
                (source / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(root / name, source / name)
        for name in held_back:
            (source / "src" / name).unlink()
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
        # With setuptools at hand the build needs no index: it works offline.
        if importlib.util.find_spec("setuptools") is not None:
            command.append("--no-build-isolation")
        done = subprocess.run(
            [*command, "--wheel-dir", str(Path(scratch) / "wheel"), str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = sorted((Path(scratch) / "wheel").glob("rnnlab-*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            last = (done.stderr.strip().splitlines() or ["no wheel written"])[-1]
            raise ChildProcessError(f"pip could not build rnnlab's wheel: {last}")
        return Path(shutil.move(wheels[0], folder / wheels[0].name))


# Written by the installer, not part of a wheel; RECORD is written afresh.
_INSTALLER_FILES = ("INSTALLER", "REQUESTED", "direct_url.json", "RECORD")


def wheel_from_install(folder: Path, held_back: "tuple[str, ...]" = HELD_BACK) -> Path:
    """Pack the installed rnnlab into a wheel in folder again; return its path.

    The files are the ones the installed RECORD lists under the package and its
    dist-info (METADATA, WHEEL, entry points), less what an installer adds and what
    ``held_back`` names. The ``rnnlab`` script is left out: installers make it from
    entry_points.txt.
    """
    distribution = importlib.metadata.distribution("rnnlab")
    info = f"rnnlab-{distribution.version}.dist-info"
    files = [
        file
        for file in distribution.files or []
        if file.parts[0] in ("rnnlab", info)
        and "__pycache__" not in file.parts
        and not (file.parts[0] == info and file.name in _INSTALLER_FILES)
        and file.as_posix() not in held_back
    ]
    if not files:
        raise ChildProcessError(
            "cannot make rnnlab's wheel: rnnlab runs neither from a checkout nor from an "
            "installed wheel; install it with 'pip install -e .' from a clone"
        )
    path = folder / f"rnnlab-{distribution.version}-py3-none-any.whl"
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for file in sorted(files, key=str):
            data = Path(file.locate()).read_bytes()
            wheel.writestr(file.as_posix(), data)
            records.append(f"{file.as_posix()},sha256={_digest(data)},{len(data)}")
        records.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return path


def _digest(data: bytes) -> str:
    """A file's hash as RECORD writes it: urlsafe base64 of SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
