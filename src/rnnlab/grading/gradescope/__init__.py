"""rnnlab's own Gradescope autograder: ``gradescope.zip``, beside otter's zip.

Stock otter runs a submission's tests in the student's own kernel, where the student's
code can rewrite otter's results and read the hidden tests from disk. This autograder
runs the student's notebook as it is graded locally (``grading/sandbox.py``): as the
user ``rnnlab-student``, which cannot read the checks, the expected values, the
submission folder or the results file; in bubblewrap where the container allows user
namespaces, and with the uid separation and the seccomp filter alone where it does not.
The scores are decided here, in the grading process, from plain values.

The zip holds ``setup.sh`` (run once by Gradescope, as root), ``run_autograder`` (run
for each submission), ``checks.json`` (the checks as data) and rnnlab's wheel. Paths are
Gradescope's, under ``AUTOGRADER_ROOT`` (default ``/autograder``): ``source/`` (the
unpacked zip), ``submission/`` (the student's files), ``results/results.json``.
"""

import zipfile
from pathlib import Path

ZIP_NAME = "gradescope.zip"
_HERE = Path(__file__).resolve().parent
_SCRIPTS = ("setup.sh", "run_autograder")


def write_zip(path: Path, wheel: Path, checks_json: str) -> Path:
    """Write the Gradescope autograder zip to ``path``: its scripts, the checks, the wheel."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in _SCRIPTS:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16  # executable once unpacked
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (_HERE / name).read_bytes())
        archive.writestr("checks.json", checks_json)
        archive.write(wheel, f"wheels/{wheel.name}")
    return path
