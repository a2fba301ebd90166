"""rnnlab's own wheel, for the hand-out and the autograder zip to install rnnlab from.

The wheel is built from the checkout this rnnlab runs from (an editable install, as
``scripts/setup.sh`` makes), offline: the sources are copied to a scratch folder first,
so the build writes nothing into the checkout and two builds never share a ``build/``.
"""

import importlib.util
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[3]
"""The folder holding pyproject.toml when rnnlab runs from a checkout (src layout)."""

_SOURCES = ("pyproject.toml", "README.md", "src/rnnlab")


def is_checkout(root: Path = CHECKOUT) -> bool:
    """Whether root is a checkout of rnnlab: its pyproject.toml names the project rnnlab."""
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return project.get("project", {}).get("name") == "rnnlab"


def build_wheel(folder: Path, root: Path = CHECKOUT) -> Path:
    """Build rnnlab's wheel from the checkout at root into folder; return its path.

    Raises ChildProcessError (an OSError, one line in the CLI) when rnnlab does not run
    from a checkout or pip cannot build the wheel.
    """
    if not is_checkout(root):
        raise ChildProcessError(
            f"cannot build rnnlab's wheel: {root} is not a checkout of rnnlab; run "
            "'rnnlab notebook build' from a clone installed with 'pip install -e .'"
        )
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
