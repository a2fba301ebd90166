"""Building the hand-out (SPEC §8): otter assign on the master notebook shipped with rnnlab.

``build(directory)`` runs otter assign on ``rnnlab/notebooks/rnn_lab.ipynb`` and writes
``directory/student`` (the notebook and its public tests, to hand out) and
``directory/autograder`` (the solution notebook, every test, the autograder zip and
``checks.json``, the checks as data for ``rnnlab notebook grade``).
"""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rnnlab.errors import InvalidValueError
from rnnlab.grading import checks

MASTER = Path(__file__).resolve().parent.parent / "notebooks" / "rnn_lab.ipynb"
"""The master notebook: the lab's text in rnnlab's words, solutions, public and hidden tests."""

CHECKS_JSON = "checks.json"
"""The checks as data (``checks.to_json``), written beside the autograder zip."""


@dataclass(frozen=True)
class Build:
    """What ``build`` wrote: the student folder, the autograder folder and the zip in it."""

    student: Path
    autograder: Path
    zip: Path


def build(directory: "str | os.PathLike[str]", master: "str | os.PathLike[str]" = MASTER) -> Build:
    """Run otter assign on ``master``; write ``directory/student`` and ``directory/autograder``.

    Both folders are built elsewhere first and then moved in, replacing earlier ones, so
    an interrupted build leaves the old ones whole.
    """
    from otter.assign import main as otter_assign

    master, directory = Path(master), Path(directory)
    if not master.is_file():
        raise InvalidValueError(f"master notebook {master} does not exist")
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rnnlab-build-", dir=directory) as scratch:
        # otter assign works beside the master; a copy keeps the installed package untouched.
        source = Path(scratch) / "master" / master.name
        source.parent.mkdir()
        shutil.copy(master, source)
        otter_assign(str(source), str(Path(scratch) / "dist"), no_pdfs=True, no_run_tests=True)
        # The checks as data, beside the zip: what `rnnlab notebook grade` reads.
        checks_json = Path(scratch) / "dist" / "autograder" / CHECKS_JSON
        checks_json.write_text(checks.to_json())
        for name in ("student", "autograder"):
            target = directory / name
            if target.exists():
                shutil.rmtree(target)
            os.replace(Path(scratch) / "dist" / name, target)
    return Build(directory / "student", directory / "autograder", autograder_zip(directory))


def autograder_zip(path: "str | os.PathLike[str]") -> Path:
    """The autograder zip at ``path``: the zip itself, or the one a build put under it."""
    path = Path(path)
    if path.is_file() and path.suffix == ".zip":
        return path
    for folder in (path / "autograder", path):
        zips = sorted(folder.glob("*.zip")) if folder.is_dir() else []
        if len(zips) == 1:
            return zips[0]
        if len(zips) > 1:
            raise InvalidValueError(f"{folder} holds {len(zips)} zip files, expected one")
    raise InvalidValueError(
        f"no autograder zip at {path}: expected a .zip file "
        "or a folder written by 'rnnlab notebook build'"
    )
