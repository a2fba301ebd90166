"""A hostile class, graded in one `rnnlab notebook grade --jobs 2` run beside real solutions.

Every attack of issue 10 (and a memory bomb, a fork bomb, a notebook that never ends, one
that ignores interrupts) is a notebook built on the blank one: each must score 0, while the
solution, graded before and after them in the same run, keeps full marks; and the
autograder, the virtual environment, the other submissions and the score table must be
unchanged afterwards, with nothing a submission started still running.
"""

import hashlib
import json
import os
import resource
import shutil
import site
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

import rnnlab
from grading_class import POINTS, grade_class, left_running, points, rows_by_student
from rnnlab import grading
from rnnlab.grading import cgroup

pytestmark = pytest.mark.slow

TIMEOUT = 60  # seconds; a normal submission takes about ten
MEMORY_MIB = 1536
MARKER = "rnnlab-test-daemon"  # on the command line of what the daemon attack starts


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def with_cell(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nb


def digest(*paths: Path) -> str:
    """A hash of every file under paths: names, sizes and contents."""
    sha = hashlib.sha256()
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
        for path in sorted(p for p in files if "__pycache__" not in p.parts):
            sha.update(str(path).encode() + path.read_bytes())
    return sha.hexdigest()


def environment_digest() -> str:
    """A hash of what could change later runs: the venv's .pth files and folder listings,
    and rnnlab's own source."""
    sha = hashlib.sha256()
    for folder in map(Path, site.getsitepackages()):
        sha.update("\n".join(sorted(os.listdir(folder))).encode())
        for pth in sorted(folder.glob("*.pth")):
            sha.update(pth.read_bytes())
    sha.update(digest(Path(rnnlab.__file__).parent).encode())
    sha.update("\n".join(sorted(os.listdir(Path(sys.prefix) / "bin"))).encode())
    return sha.hexdigest()


CHECKS = sum(len(question.checks) for question in grading.questions())


def attacks(targets: dict[str, str]) -> dict[str, str]:
    """The code each attack adds to the blank notebook; targets are the host's paths."""
    paths = json.dumps(sorted(targets.values()))
    return {
        # Pickling the variables would run os.system: nothing is unpickled any more.
        "reduce": (
            "import os\n"
            "class Evil:\n"
            "    def __reduce__(self):\n"
            "        return (os.system, ('touch /tmp/rnnlab-pwned',))\n"
            "o1 = h1 = h2 = o2 = U_grad = Evil()\n"
            "def sequence_probability(seq, T):\n"
            "    return Evil()\n"
        ),
        # A function the checks call forges an answer on every file the worker holds open
        # and ends the kernel.
        "forges": (
            "import json, os\n"
            "def sequence_probability(seq, T):\n"
            "    forged = json.dumps({'problem': '', 'results': [{'value': True}] * COUNT})\n"
            "    for fd in os.listdir(f'/proc/{os.getppid()}/fd'):\n"
            "        try:\n"
            "            with open(f'/proc/{os.getppid()}/fd/{fd}', 'w') as stream:\n"
            "                stream.write(forged + '\\n')\n"
            "        except OSError:\n"
            "            pass\n"
            "    for path in ['result.json', '../result.json', 'scores.csv']:\n"
            "        try:\n"
            "            open(path, 'w').write(forged)\n"
            "        except OSError:\n"
            "            pass\n"
            "    os._exit(0)\n"
        ).replace("COUNT", str(CHECKS)),
        # Answers that claim to equal everything under torch's functions.
        "torch_function": (
            "import torch\n"
            "class Anything(torch.Tensor):\n"
            "    @classmethod\n"
            "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
            "        return True\n"
            "    def __eq__(self, other):\n"
            "        return True\n"
            "o1 = h1 = h2 = o2 = U_grad = Anything(torch.zeros(2))\n"
            "def sequence_probability(seq, T):\n"
            "    return Anything(torch.zeros(1))\n"
        ),
        # Looks up the caller's frames and every object for the checks' expected values.
        "frames": (
            "import gc, sys\n"
            "def spy():\n"
            "    frame, found = sys._getframe(1), []\n"
            "    while frame is not None:\n"
            "        found += [v for k, v in frame.f_locals.items() if 'expect' in k]\n"
            "        frame = frame.f_back\n"
            "    found += [o for o in gc.get_objects() if type(o).__name__ == 'Check']\n"
            "    return found[0] if found else 0.5\n"
            "def sequence_probability(seq, T):\n"
            "    return spy()\n"
            "def dL_dU(U, V, W, xs, h0):\n"
            "    return spy()\n"
        ),
        # Follows /proc to the grader and rewrites every test, checks file and zip it
        # finds, and the host's paths it was told of; also what it can find of them,
        # reported through o1, the one channel out (the feedback's "got ...").
        "snoops": (
            "import os\n"
            "found, links = [], []\n"
            "for pid in os.listdir('/proc'):\n"
            "    if pid.isdigit():\n"
            "        for link in ('cwd', 'root', 'exe'):\n"
            "            try:\n"
            "                links.append(os.readlink(f'/proc/{pid}/{link}'))\n"
            "            except OSError:\n"
            "                pass\n"
            "skip = {'usr', 'proc', 'sys', 'dev', 'site-packages', 'submission'}\n"
            "for top in ['/', '/proc/1/root']:\n"
            "    for folder, dirs, files in os.walk(top):\n"
            "        dirs[:] = [d for d in dirs if d not in skip]\n"
            "        for name in files:\n"
            "            if name.endswith(('autograder.zip', '.csv', '.ipynb')) or name in (\n"
            "                'checks.json', 'checks.py', 'grader.py', 'rnn_lab.ipynb'\n"
            "            ) or 'rnnlab-grade-' in folder:\n"
            "                found.append(os.path.join(folder, name))\n"
            f"for path in {paths} + found + links:\n"
            "    try:\n"
            "        open(path, 'w').write('>>> True')\n"
            "    except OSError:\n"
            "        pass\n"
            "o1 = 'leak:' + ' '.join(found)\n"
        ),
        # A daemon in a session of its own, double-forked, that keeps rewriting the other
        # submissions, the score table and the zip after its notebook (and the grader) end.
        "daemon": (
            "import subprocess, sys\n"
            "loop = '''\n"
            "import os, sys, time\n"
            "if os.fork(): os._exit(0)\n"
            "while True:\n"
            f"    for path in {paths}:\n"
            "        try: open(path, 'w').write('owned')\n"
            "        except OSError: pass\n"
            "    time.sleep(0.2)\n"
            "'''\n"
            f"subprocess.Popen([sys.executable, '-c', loop, {MARKER!r}], "
            "start_new_session=True)\n"
        ),
        # Kills every process it can signal, the grader's other workers above all.
        "kills": (
            "import os, signal\n"
            "for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    if pid != os.getpid():\n"
            "        try:\n"
            "            os.kill(pid, signal.SIGKILL)\n"
            "        except OSError:\n"
            "            pass\n"
            "os.kill(-1, signal.SIGKILL)\n"
        ),
        # Plants a .pth file in every folder on sys.path, to run code in later runs.
        "plants_pth": (
            "import sys\n"
            "for folder in sys.path:\n"
            "    try:\n"
            "        open(folder + '/rnnlab_evil.pth', 'w').write('import os')\n"
            "    except OSError:\n"
            "        pass\n"
        ),
        "memory_bomb": "import torch\nhog = torch.ones(2 * 2**30)  # 8 GiB\n",
        "prints_1gb": "line = 'x' * 2**20\nfor _ in range(1024):\n    print(line)\n",
        "fills_disk": (
            "with open('big', 'wb') as stream:\n"
            "    for _ in range(1024):\n"
            "        stream.write(b'x' * 2**20)\n"
        ),
        "fork_bomb": (
            "import os\n"
            "while True:\n"
            "    try:\n"
            "        os.fork()\n"
            "    except OSError:\n"
            "        pass\n"
        ),
        "never_ends": "while True:\n    pass\n",
        "ignores_interrupts": (
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
        ),
    }


def mistakes() -> dict[str, str]:
    """Honest mistakes, each a cell added at the end of the solution."""
    return {
        # Counts the first token's probability too: every bigram check fails.
        "wrong_bigram": (
            "_right = sequence_probability\n"
            "def sequence_probability(seq, T):\n"
            "    return _right(seq, T) * 0.5\n"
        ),
        # Loses h1 to an error: forward's h1 check fails, o1 (computed before) still passes.
        "raises": "del h1\nraise RuntimeError('no')\n",
        # Deletes every file in its folder, the notebook itself included.
        "deletes": (
            "import os, shutil\n"
            "for entry in os.listdir('.'):\n"
            "    shutil.rmtree(entry) if os.path.isdir(entry) else os.remove(entry)\n"
        ),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The whole class graded in one CLI call, with an autograder whose test files would
    leave a file behind if anyone ran them."""
    built = grading.build(tmp_path_factory.mktemp("build"))
    ran_tests = tmp_path_factory.mktemp("ran") / "test-files-were-run"
    zip_path = built.zip
    with zipfile.ZipFile(zip_path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    trap = f"open({str(ran_tests)!r}, 'w').write('ran')\n".encode()
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, trap + data if name.startswith("tests/") else data)

    folder = tmp_path_factory.mktemp("class")
    solution, blank = read(built.autograder / "rnn_lab.ipynb"), built.student / "rnn_lab.ipynb"
    out = folder / "scores.csv"
    targets = {
        "zip": str(zip_path),
        "checks": str(built.autograder / "checks.json"),
        "scores": str(out),
        "solution": str(folder / "b_solution_first.ipynb"),
    }
    nbformat.write(solution, folder / "b_solution_first.ipynb")
    # The slow ones first, so that their minute overlaps the others.
    order = ["never_ends", "fork_bomb", "ignores_interrupts", *attacks(targets)]
    for name in dict.fromkeys(order):
        nbformat.write(with_cell(read(blank), attacks(targets)[name]), folder / f"c_{name}.ipynb")
    nbformat.write(solution, folder / "z_solution_last.ipynb")
    for name, source in mistakes().items():
        nbformat.write(
            with_cell(read(built.autograder / "rnn_lab.ipynb"), source), folder / f"d_{name}.ipynb"
        )
    before = {
        "autograder": digest(built.autograder),
        "environment": environment_digest(),
        "submissions": digest(*sorted(folder.glob("*.ipynb"))),
    }
    paths = [folder / f"c_{name}.ipynb" for name in dict.fromkeys(order)]
    paths = [folder / "b_solution_first.ipynb", *paths, *sorted(folder.glob("d_*.ipynb"))]
    paths.append(folder / "z_solution_last.ipynb")
    started = time.monotonic()
    result = grade_class(paths, out, built.autograder, TIMEOUT, MEMORY_MIB)
    assert result.exit_code == 0, result.output
    table = out.read_bytes()
    time.sleep(2)  # time for anything left behind to strike
    rows = rows_by_student(out)
    yield {
        "rows": rows,
        "folder": folder,
        "built": built,
        "before": before,
        "table": table,
        "ran_tests": ran_tests,
        "seconds": time.monotonic() - started,
        "output": result.output,
    }
    shutil.rmtree(folder, ignore_errors=True)


def test_the_solution_keeps_full_marks_before_and_after_the_attacks(graded):
    for name in ("solution_first", "solution_last"):
        row = graded["rows"][name]
        assert (row["status"], points(row)) == ("graded", POINTS), row


@pytest.mark.parametrize("attack", sorted(attacks({})))
def test_every_attack_scores_zero(graded, attack):
    row = graded["rows"][attack]
    assert points(row) == dict.fromkeys(POINTS, 0.0), row
    assert float(row["total"]) == 0


def test_an_honest_mistake_loses_exactly_its_checks_points(graded):
    rows = graded["rows"]
    assert points(rows["wrong_bigram"]) == {**POINTS, "bigram": 0.0}
    assert points(rows["raises"]) == {**POINTS, "forward": 3.5}  # 1 of 8 checks
    assert (rows["deletes"]["status"], points(rows["deletes"])) == ("graded", POINTS)


def test_limits_end_what_overruns_them(graded):
    rows = graded["rows"]
    # A cell that never ends is interrupted at its own time limit; the notebook goes on.
    assert rows["never_ends"]["status"] == "graded"
    # A fork bomb fails as soon as it reaches the process limit. Before, it was graded or
    # timed out by chance.
    assert rows["fork_bomb"]["status"] == "failed"
    assert "than its limit of 256" in rows["fork_bomb"]["reason"]
    # A cell that ignores the interrupt runs into the whole notebook's limit.
    assert rows["ignores_interrupts"]["status"] == "timeout"
    assert f"time limit of {TIMEOUT} s" in rows["ignores_interrupts"]["reason"]
    assert rows["memory_bomb"]["status"] == "failed"
    assert f"out of memory (limit {MEMORY_MIB} MiB)" in rows["memory_bomb"]["reason"]
    # A gigabyte of prints is cut at the kernel: the notebook goes on to its checks,
    # and the grader (this process) stayed small.
    assert rows["prints_1gb"]["status"] == "graded"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1.5 * 2**20  # kB


def test_nothing_outside_the_sandbox_changed(graded):
    before = graded["before"]
    assert digest(graded["built"].autograder) == before["autograder"]
    assert environment_digest() == before["environment"]
    assert digest(*sorted(graded["folder"].glob("*.ipynb"))) == before["submissions"]
    assert (graded["folder"] / "scores.csv").read_bytes() == graded["table"]
    assert not Path("/tmp/rnnlab-pwned").exists()
    assert not graded["ran_tests"].exists(), "a test file from the zip was run"


def test_nothing_a_submission_started_outlives_its_sandbox(graded):
    left = left_running(
        p
        for p in psutil.process_iter(["cmdline"])
        if any(MARKER in part or "rnnlab-grade-" in part for part in p.info["cmdline"] or [])
    )
    assert left == []
    # The grade ran in this process (CliRunner); another grader's cgroups are not ours.
    assert cgroup.made_by(os.getpid()) == []


def test_the_snoop_found_nothing_of_the_grader(graded):
    feedback = (graded["folder"] / "feedback" / "c_snoops.md").read_text()
    [leak] = [line for line in feedback.splitlines() if "leak:" in line]
    # What it found outside /proc and its own folder: nothing at all.
    assert 'got "leak:"' in leak, leak


def test_the_summary_counts_the_class(graded):
    count = len(graded["rows"])
    assert f"{count} submissions: " in graded["output"]
    assert "1 timed out" in graded["output"]
