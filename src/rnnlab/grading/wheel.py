"""rnnlab's wheels: the student's, with only what the notebook imports, and the whole library.

``student_wheel`` packs STUDENT_MODULES (make_dot, the check helper, the notebook's first
cell, the formula check) into ``rnnlab-<version>+student``, from the package's own files,
whether rnnlab runs from a checkout or from an install: nothing in it computes the lab's
answers. ``build_wheel`` is the whole library less HELD_BACK, for the autograder zip and for
``rnnlab notebook build --handout full``.

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

PACKAGE = Path(__file__).resolve().parents[1]
"""The rnnlab package folder, in a checkout or an install."""

STUDENT_MODULES = (
    "rnnlab/__init__.py",
    "rnnlab/lazy.py",
    "rnnlab/errors.py",
    "rnnlab/files.py",
    "rnnlab/interrupts.py",
    "rnnlab/model/__init__.py",
    "rnnlab/model/display.py",
    "rnnlab/graphs/__init__.py",
    "rnnlab/graphs/autograd.py",
    "rnnlab/graphs/render.py",
    "rnnlab/grading/__init__.py",
    "rnnlab/grading/plain.py",
    "rnnlab/student/__init__.py",
)
"""What the student wheel holds: ``rnnlab.graphs.make_dot`` and what it needs to draw,
``rnnlab.grading.plain.check`` (the notebook's test cells), ``rnnlab.student`` (the
notebook's first cell) and ``rnnlab.model.display``, the registry of Jupyter's tables
that the package's ``__init__`` imports (empty here). Nothing here computes an answer."""

FORMULA_CHECK = "rnnlab/model/formula_check.py"
"""The check of the written derivations, also in the student wheel where it exists, with
the two modules it reads and expands a formula with, and the notebook's check cell and
otter test cases for the derivations (``student.derivations``)."""
FORMULA_MODULES = (
    FORMULA_CHECK,
    "rnnlab/model/formula_reading.py",
    "rnnlab/model/formula_polynomial.py",
    "rnnlab/student/derivations.py",
)

STUDENT_REQUIRES = ("torch>=2.13", "graphviz>=0.20")
"""The student wheel's dependencies: make_dot's. The notebook's ``grader`` runs the public
checks itself (``rnnlab.student``), without otter-grader."""

FORMULA_CHECK_REQUIRES = ("lark>=1.1",)

HELD_BACK = ("rnnlab/notebooks/rnn_lab.ipynb", "rnnlab/grading/checks.py")
"""What the whole library's wheel leaves out: the master notebook (the solutions and the
hidden tests) and the checks (the hidden checks' inputs and references). The autograder zip
installs this wheel; an instructor builds and grades from a checkout."""


def student_modules(package: Path = PACKAGE) -> tuple[str, ...]:
    """STUDENT_MODULES, and FORMULA_CHECK where the package holds it."""
    extra = FORMULA_MODULES if (package.parent / FORMULA_CHECK).is_file() else ()
    return (*STUDENT_MODULES, *extra)


def student_wheel(folder: Path, package: Path = PACKAGE) -> Path:
    """The student wheel in folder, packed from the files of ``student_modules``; its path.

    Its version is rnnlab's with the local label ``+student``, so that it is never taken for
    the whole library; it installs no ``rnnlab`` command.
    """
    from rnnlab import __version__

    modules = student_modules(package)
    requires = [*STUDENT_REQUIRES, *(FORMULA_CHECK_REQUIRES if FORMULA_CHECK in modules else ())]
    version = f"{__version__}+student"
    info = f"rnnlab-{version}.dist-info"
    metadata = "".join(
        [
            "Metadata-Version: 2.1\nName: rnnlab\n",
            f"Version: {version}\n",
            "Summary: The RNN lab's notebook helpers: make_dot and the checks' helper.\n",
            "Requires-Python: >=3.11\n",
            *(f"Requires-Dist: {requirement}\n" for requirement in requires),
        ]
    )
    files = {name: (package.parent / name).read_bytes() for name in modules}
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: rnnlab\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/top_level.txt"] = b"rnnlab\n"
    folder.mkdir(parents=True, exist_ok=True)
    return _write_wheel(folder / f"rnnlab-{version}-py3-none-any.whl", info, files)


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
    """rnnlab's whole wheel in folder (without ``held_back``): built from the checkout at
    root, else packed again from the installed files. The Gradescope autograder's wheel
    holds back nothing: it grades, and its users cannot read it."""
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
    folder.mkdir(parents=True, exist_ok=True)
    contents = {file.as_posix(): Path(file.locate()).read_bytes() for file in files}
    return _write_wheel(folder / f"rnnlab-{distribution.version}-py3-none-any.whl", info, contents)


def _write_wheel(path: Path, info: str, files: dict[str, bytes]) -> Path:
    """Write files (name in the wheel → bytes) into the wheel at path, then its RECORD."""
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name in sorted(files):
            wheel.writestr(name, files[name])
            records.append(f"{name},sha256={_digest(files[name])},{len(files[name])}")
        records.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return path


def _digest(data: bytes) -> str:
    """A file's hash as RECORD writes it: urlsafe base64 of SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
