"""rnnlab's own Gradescope autograder, run as Gradescope runs it, on this machine.

Under an AUTOGRADER_ROOT laid out as Gradescope's /autograder: the zip unpacked into
source/, its setup.sh run once as root, then for each submission the notebook put in
submission/ and run_autograder run, which writes results/results.json. Each submission
is graded twice: in bubblewrap, and with the uid separation alone, as in a container
that allows no user namespaces. The two cheats that beat stock otter on Gradescope
(rewriting the results, reading the tests from disk) score 0 here.
"""

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnnlab import grading
from rnnlab.grading import gradescope

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs its autograder as root"),
]

POSSIBLE = 29.0

# What a cheat saw comes back as the message of an error its sequence_probability raises,
# which the bigram checks' output quotes.
REPORT = (
    "def sequence_probability(seq, T, _seen=json.dumps(seen)):\n"
    "    raise ValueError('seen:' + _seen)\n"
)

# Stock otter pickles its results in the student's kernel: a cell that rewrote them gave
# a blank notebook full marks. Here it writes every results file it can think of.
REWRITES_RESULTS = (
    "import errno, json, os\n"
    "forged = json.dumps({'score': 23.0, 'tests': []})\n"
    "seen = {}\n"
    "for key, path in [('real', 'ROOT/results/results.json'), ('here', 'results.json'),\n"
    "                  ('up', '../results/results.json')]:\n"
    "    try:\n"
    "        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)\n"
    "        open(path, 'w').write(forged)\n"
    "        seen[key] = 'written'\n"
    "    except OSError as error:\n"
    "        seen[key] = errno.errorcode[error.errno]\n" + REPORT
)

# Stock otter's tests lie in ./tests beside the kernel: a notebook that read them
# answered by lookup. Here it looks for the checks wherever they might be.
READS_TESTS = (
    "import errno, json, os, rnnlab\n"
    "package = os.path.dirname(rnnlab.__file__)\n"
    "places = {'checks': 'ROOT/source/checks.json', 'tests': 'tests', 'source': 'ROOT/source',\n"
    "          'submission': 'ROOT/submission', 'code': package + '/grading/checks.py',\n"
    "          'master': package + '/notebooks/rnn_lab.ipynb'}\n"
    "seen = {}\n"
    "for key, path in places.items():\n"
    "    try:\n"
    "        seen[key] = len(os.listdir(path) if os.path.isdir(path) else open(path).read())\n"
    "    except OSError as error:\n"
    "        seen[key] = errno.errorcode[error.errno]\n" + REPORT
)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    """An AUTOGRADER_ROOT with the zip unpacked and setup.sh run, as Gradescope does."""
    built = grading.build(tmp_path_factory.mktemp("build"))
    root = Path(tempfile.mkdtemp(prefix="rnnlab-gradescope-", dir="/tmp"))
    root.chmod(0o755)
    with zipfile.ZipFile(built.autograder / gradescope.ZIP_NAME) as archive:
        archive.extractall(root / "source")
    environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "RNNLAB_TORCH": "torch==2.13.0"}
    environment.pop("VIRTUAL_ENV", None)
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    yield {"root": root, "built": built, "environment": environment}
    shutil.rmtree(root, ignore_errors=True)


def run_autograder(autograder, notebook: nbformat.NotebookNode, bwrap: bool = True) -> dict:
    root = autograder["root"]
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir(mode=0o700)
    nbformat.write(notebook, root / "submission" / "rnn_lab.ipynb")
    environment = dict(autograder["environment"])
    if not bwrap:
        environment["RNNLAB_NO_BWRAP"] = "1"
    done = subprocess.run(
        ["bash", str(root / "run_autograder")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def notebook(autograder, which: str, cell: str = "") -> nbformat.NotebookNode:
    built = autograder["built"]
    path = built.autograder if which == "solution" else built.student
    read = nbformat.read(path / "rnn_lab.ipynb", as_version=4)
    if cell:
        source = cell.replace("ROOT", str(autograder["root"]))
        read.cells.append(nbformat.v4.new_code_cell(source))
    return read


def seen(results: dict) -> dict:
    """What a cheat reported: the error its sequence_probability raised, in a check's output."""
    output = next(t["output"] for t in results["tests"] if "seen:" in t["output"])
    report, _ = json.JSONDecoder().raw_decode(output[output.index("seen:") + 5 :])
    return report


@pytest.mark.parametrize("bwrap", [True, False], ids=["bubblewrap", "uids"])
def test_the_solution_gets_full_marks_and_the_blank_none(autograder, bwrap):
    solution = run_autograder(autograder, notebook(autograder, "solution"), bwrap)
    assert solution["score"] == pytest.approx(POSSIBLE)
    assert sum(t["max_score"] for t in solution["tests"]) == pytest.approx(POSSIBLE)
    assert all(t["output"] == "passed" for t in solution["tests"])
    where = "sandbox: bubblewrap" if bwrap else "the uid separation alone"
    assert where in solution["output"]
    assert "the kernel runs as rnnlab-student" in solution["output"]
    blank = run_autograder(autograder, notebook(autograder, "blank"), bwrap)
    assert blank["score"] == 0


def test_one_test_per_check_with_otters_visibility(autograder):
    results = run_autograder(autograder, notebook(autograder, "blank"))
    questions = [q for q in grading.questions() if not q.written]
    checks = [check for q in questions for check in q.checks]
    assert len(results["tests"]) == len(checks)
    for test, check in zip(results["tests"], checks, strict=True):
        assert test["visibility"] == ("hidden" if check.hidden else "visible")
        assert test["score"] == 0
        if check.hidden:
            assert test["output"] == "hidden test failed"  # nothing of the expected value


@pytest.mark.parametrize("bwrap", [True, False], ids=["bubblewrap", "uids"])
def test_rewriting_the_results_scores_nothing(autograder, bwrap):
    results = run_autograder(autograder, notebook(autograder, "blank", REWRITES_RESULTS), bwrap)
    # The results are the grader's: one test per check, none passed.
    assert results["score"] == 0 and results["tests"], results
    if not bwrap:  # on the host, the results folder is root's; in bwrap not even seen
        assert seen(results)["real"] == "EACCES", seen(results)


@pytest.mark.parametrize("bwrap", [True, False], ids=["bubblewrap", "uids"])
def test_the_checks_cannot_be_read_from_disk(autograder, bwrap):
    results = run_autograder(autograder, notebook(autograder, "blank", READS_TESTS), bwrap)
    assert results["score"] == 0
    report = seen(results)
    assert len(report) == 6 and set(report.values()) <= {"ENOENT", "EACCES"}, report
