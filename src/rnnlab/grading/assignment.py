"""Building the hand-out: otter assign on the master notebook shipped with rnnlab.

``build(directory)`` writes ``directory/student`` (to hand out: the notebook, its public
tests, the student wheel, a requirements.txt and a README for students) and
``directory/autograder`` (the solution, every test, otter's autograder zip with the whole
library's wheel, and ``checks.json``, the checks as data for ``rnnlab notebook grade``).

The student wheel holds only what the notebook imports (``wheel.STUDENT_MODULES``);
``handout="full"`` hands out the whole library's wheel instead, answers and all.

The zip's environment comes from otter's own assign configuration (the master's first
cell): ``requirements: requirements.txt`` and ``files: [wheels]``, which this module
writes beside a copy of the master before otter runs, and ``environment.yml``, shipped
beside the master. Inside the zip the wheel lies at ``files/wheels/``, and the
requirements name it by that path relative to the zip's root, where Gradescope (and
``otter grade``'s image) unpacks it and runs pip.
"""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rnnlab import interrupts
from rnnlab.errors import InvalidValueError
from rnnlab.grading import checks, gradescope
from rnnlab.grading.wheel import build_wheel, student_wheel

MASTER = Path(__file__).resolve().parent.parent / "notebooks" / "rnn_lab.ipynb"
"""The master notebook: the lab's text in rnnlab's words, solutions, public and hidden tests."""

ENVIRONMENT = MASTER.parent / "environment.yml"
"""Conda packages the autograder needs that pip cannot install (Graphviz's dot)."""

TORCH = "torch>=2.13"
"""Torch for students: a lower bound only (the oldest torch the tests ran), so that the
torch of Colab, Deepnote or a JupyterHub is kept, never replaced."""

AUTOGRADER_TORCH = "torch==2.13.0"
"""Torch for the autograder's image: the one the tests ran, so that grading is reproducible."""

JUPYTER = "notebook"
"""Jupyter for a fresh environment (Notebook 7 brings JupyterLab); unbounded, so that the
Jupyter a platform already has is kept."""

FOLDERS = ("student", "autograder")

HANDOUTS = ("student", "full")
"""What the hand-out's wheel holds: only what the notebook imports, or the whole library
(whose ``rnnlab run`` and functions answer every question of the lab)."""

FULL_EXTRAS = "[notebook]"
"""The whole library's extra for the notebook: Jupyter, and ipywidgets for explore()."""

CHECKS_JSON = "checks.json"
"""The checks as data (``checks.to_json``), written beside the autograder zip."""

_STUDENT_README = MASTER.parent / "student-README.md"


@dataclass(frozen=True)
class Build:
    """What ``build`` wrote: the two folders, the autograder zip, the hand-out's wheel and
    the whole library's wheel (the zip's)."""

    student: Path
    autograder: Path
    zip: Path
    wheel: Path
    autograder_wheel: Path


def build(
    directory: "str | os.PathLike[str]",
    master: "str | os.PathLike[str]" = MASTER,
    handout: str = "student",
) -> Build:
    """Run otter assign on ``master``; write ``directory/student`` and ``directory/autograder``.

    handout: "student" (the student wheel) or "full" (the whole library, which answers the
    lab's questions). Everything is built in a scratch folder inside ``directory`` first;
    then both folders replace the earlier ones together or not at all, so an interrupted
    or failed build leaves the earlier build whole.
    """
    from otter.assign import main as otter_assign

    master, directory = Path(master), Path(directory)
    if handout not in HANDOUTS:
        raise InvalidValueError(f"handout is {handout!r}, expected one of {', '.join(HANDOUTS)}")
    if not master.is_file():
        raise InvalidValueError(f"master notebook {master} does not exist")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rnnlab-build-", dir=directory) as scratch:
        source = stage_master(master, Path(scratch) / "master")
        dist = Path(scratch) / "dist"
        otter_assign(str(source), str(dist), no_pdfs=True, no_run_tests=True)
        full = _one(dist / "autograder" / "wheels", "rnnlab-*.whl")
        wheel = hand_out_wheel(dist / "student" / "wheels", handout)
        write_student_files(dist / "student", wheel, handout)
        write_otter_grade_base(dist / "autograder", full)
        # The checks as data, beside the zip: what `rnnlab notebook grade` reads.
        (dist / "autograder" / CHECKS_JSON).write_text(checks.to_json())
        write_gradescope_zip(dist / "autograder", Path(scratch) / "full")
        replace_folders(directory, {name: dist / name for name in FOLDERS}, Path(scratch) / "old")
    student, autograder = directory / "student", directory / "autograder"
    return Build(
        student,
        autograder,
        autograder_zip(directory),
        student / "wheels" / wheel.name,
        autograder / "wheels" / full.name,
    )


def stage_master(master: Path, folder: Path) -> Path:
    """Copy master into folder with what its configuration names; return the copy.

    Beside it: ``wheels/`` with rnnlab's wheel, ``requirements.txt`` for the autograder
    and ``environment.yml``. (otter assign works beside the master; the copy keeps the
    installed package untouched.)
    """
    folder.mkdir(parents=True)
    wheel = build_wheel(folder / "wheels")
    (folder / "requirements.txt").write_text(
        "# The autograder's pip requirements. Paths are relative to the root of the unpacked\n"
        "# autograder zip (/autograder/source on Gradescope), where otter's setup runs pip.\n"
        f"{AUTOGRADER_TORCH}\n./files/wheels/{wheel.name}\n",
        encoding="utf-8",
    )
    shutil.copy(ENVIRONMENT, folder / "environment.yml")
    return Path(shutil.copy(master, folder / master.name))


def hand_out_wheel(wheels: Path, handout: str) -> Path:
    """The wheel to hand out, alone in ``wheels`` (where otter copied the whole library's):
    the student wheel, or for ``handout="full"`` the whole library's."""
    full = _one(wheels, "rnnlab-*.whl")
    if handout == "full":
        return full
    full.unlink()
    return student_wheel(wheels)


def write_student_files(student: Path, wheel: Path, handout: str = "student") -> None:
    """Write requirements.txt and README.md into the student folder, beside wheels/."""
    extras = FULL_EXTRAS if handout == "full" else ""
    (student / "requirements.txt").write_text(
        "# Everything the lab's notebook needs. Run pip from this folder: the wheel's path is\n"
        "# relative to it.\n"
        "#     pip install -r requirements.txt\n"
        "# Torch and Jupyter have no upper bound: a torch or a Jupyter already installed (Colab,\n"
        "# Deepnote, a JupyterHub) is kept as it is.\n"
        f"{TORCH}\n./wheels/{wheel.name}{extras}\n{JUPYTER}\n",
        encoding="utf-8",
    )
    readme = _STUDENT_README.read_text(encoding="utf-8")
    (student / "README.md").write_text(readme.replace("{wheel}", wheel.name), encoding="utf-8")


def write_gradescope_zip(autograder: Path, scratch: Path) -> Path:
    """rnnlab's own Gradescope autograder beside otter's zip, with the whole library."""
    wheel = build_wheel(scratch, held_back=())
    path = autograder / gradescope.ZIP_NAME
    return gradescope.write_zip(path, wheel, (autograder / CHECKS_JSON).read_text())


OTTER_GRADE_BASE = "otter-grade-base.Dockerfile"


def write_otter_grade_base(autograder: Path, wheel: Path) -> None:
    """Write the Dockerfile of a base image for ``otter grade --image``.

    On Gradescope the whole zip is unpacked before setup.sh runs; otter grade's own
    Dockerfile copies the zip's ``files/`` only after it, so pip would miss the wheel.
    A base image that already holds the wheel where the zip puts it closes that gap.
    """
    (autograder / OTTER_GRADE_BASE).write_text(
        "# A base image for `otter grade --image`: otter's Dockerfile runs setup.sh before it\n"
        "# copies the zip's files/, so rnnlab's wheel is put where setup.sh's pip looks first.\n"
        "#     docker build -t rnnlab-otter-base -f "
        f"{OTTER_GRADE_BASE} .\n"
        "FROM ubuntu:22.04\n"
        f"COPY wheels/{wheel.name} /autograder/source/files/wheels/\n",
        encoding="utf-8",
    )


def replace_folders(directory: Path, new: dict[str, Path], aside: Path) -> None:
    """Move each ``new[name]`` to ``directory/name``: all of them, or none.

    The earlier folders are renamed into ``aside`` (left for the caller to delete), never
    deleted in place. If a rename fails or is interrupted, every rename done so far is
    undone; Ctrl-C and SIGTERM wait until the renames are over, then take effect.
    """
    aside.mkdir()
    with interrupts.held():
        _swap(directory, new, aside)


def _swap(directory: Path, new: dict[str, Path], aside: Path) -> None:
    moved_aside: list[str] = []
    moved_in: list[str] = []
    try:
        for name in new:
            if os.path.lexists(directory / name):
                os.replace(directory / name, aside / name)
                moved_aside.append(name)
        for name, folder in new.items():
            os.replace(folder, directory / name)
            moved_in.append(name)
    except BaseException:
        for name in reversed(moved_in):
            os.replace(directory / name, new[name])
        for name in reversed(moved_aside):
            os.replace(aside / name, directory / name)
        raise


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise InvalidValueError(f"{folder} holds {len(found)} files {pattern}, expected one")
    return found[0]


def autograder_zip(path: "str | os.PathLike[str]") -> Path:
    """The autograder zip at ``path``: the zip itself, or the one a build put under it."""
    path = Path(path)
    if path.is_file() and path.suffix == ".zip":
        return path
    for folder in (path / "autograder", path):
        zips = sorted(folder.glob("*.zip")) if folder.is_dir() else []
        zips = [found for found in zips if found.name != gradescope.ZIP_NAME]
        if len(zips) == 1:
            return zips[0]
        if len(zips) > 1:
            raise InvalidValueError(f"{folder} holds {len(zips)} zip files, expected one")
    raise InvalidValueError(
        f"no autograder zip at {path}: expected a .zip file "
        "or a folder written by 'rnnlab notebook build'"
    )
