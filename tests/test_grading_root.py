"""A class that goes for the host: no root behind the sandbox, nothing of the grader inside.

Each attack was tried on the sandbox of an earlier turn, whose uid 65534 was the host's
root when the grader ran as root, and each worked there: it wrote /proc/sys, left keys
in root's keyrings for the next submission to read, attached to bwrap's PID 1 with
ptrace, read the grader's environment in /proc/1/environ, and forged the answer through
/proc/1/fd/1. Here they are graded in one `rnnlab notebook grade --jobs 2` run beside the
real solution. Each must score 0 while the solution keeps full marks, what each attack
saw comes back as an error's message (the one channel out: the feedback), and the host
must be unchanged afterwards: its sysctl values, its keys, its processes and cgroups.
"""

import json
import os
import resource
from pathlib import Path

import nbformat
import psutil
import pytest

from grading_class import POINTS, grade_class, left_running, points, rows_by_student
from rnnlab import grading
from rnnlab.grading import cgroup, sandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the attacks on root need a grader run as root"),
]

TIMEOUT = 90
MEMORY_MIB = 1536
SECRET = "rnnlab-test-grader-secret-8d1f"  # in the grader's environment, never inside
RATELIMIT = Path("/proc/sys/kernel/printk_ratelimit")
MARKER = "rnnlab-test-forger"


def with_cell(path: Path, source: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    return notebook


# What an attack saw comes back as the message of an error its sequence_probability
# raises: the bigram checks' feedback quotes it ("it raised ValueError: seen:{...}").
REPORT = (
    "import json\n"
    "def sequence_probability(seq, T, _seen=json.dumps(seen)):\n"
    "    raise ValueError('seen:' + _seen)\n"
)

ATTACKS = {
    # Writes a kernel setting, and opens two that would give root (core_pattern) or
    # slow the host (drop_caches), without writing them.
    "sysctl": (
        "import errno, os\n"
        "seen = {}\n"
        "try:\n"
        "    with open('/proc/sys/kernel/printk_ratelimit', 'w') as stream:\n"
        "        stream.write('17')\n"
        "    seen['printk_ratelimit'] = 'written'\n"
        "except OSError as error:\n"
        "    seen['printk_ratelimit'] = errno.errorcode[error.errno]\n"
        "for name in ('kernel/core_pattern', 'vm/drop_caches'):\n"
        "    try:\n"
        "        os.close(os.open('/proc/sys/' + name, os.O_WRONLY))\n"
        "        seen[name] = 'opened'\n"
        "    except OSError as error:\n"
        "        seen[name] = errno.errorcode[error.errno]\n" + REPORT
    ),
    # Leaves a key in the user keyring for another submission, and looks for one.
    "keyring": (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "seen = {}\n"
        "serial = libc.syscall(248, b'user', b'rnnlab-channel', b'answers', 7, -4)\n"
        "seen['add_key'] = os.strerror(ctypes.get_errno()) if serial < 0 else 'added'\n"
        "found = libc.syscall(250, 10, -4, b'user', b'rnnlab-channel', 0)\n"  # KEYCTL_SEARCH
        "seen['keyctl'] = os.strerror(ctypes.get_errno()) if found < 0 else 'found'\n"
        "found = libc.syscall(249, b'user', b'rnnlab-channel', None, 0)\n"
        "seen['request_key'] = os.strerror(ctypes.get_errno()) if found < 0 else 'found'\n" + REPORT
    ),
    # Attaches to bwrap's PID 1 and to its own parent, and makes namespaces of its own.
    "ptrace": (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "seen = {}\n"
        "for pid in (1, os.getppid()):\n"
        "    done = libc.ptrace(16, pid, None, None)\n"  # PTRACE_ATTACH
        "    seen[f'ptrace {pid}'] = os.strerror(ctypes.get_errno()) if done < 0 else 'attached'\n"
        "done = libc.unshare(0x10000000)\n"  # CLONE_NEWUSER
        "seen['unshare'] = os.strerror(ctypes.get_errno()) if done < 0 else 'unshared'\n"
        "done = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)\n"
        "seen['mount'] = os.strerror(ctypes.get_errno()) if done < 0 else 'mounted'\n"
        "seen['uid'] = os.getuid()\n"
        "caps = [l.split() for l in open('/proc/self/status') if l.startswith('Cap')]\n"
        "seen['caps'] = sum(int(v, 16) for k, v in caps if k != 'CapInh:')\n" + REPORT
    ),
    # Reads every process's environment and descriptors that /proc shows it.
    "environ": (
        "import os\n"
        "environ, files = '', []\n"
        "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "for pid in pids:\n"
        "    try:\n"
        "        environ += open(f'/proc/{pid}/environ', 'rb').read().decode()\n"
        "    except OSError:\n"
        "        pass\n"
        "    try:\n"
        "        for fd in os.listdir(f'/proc/{pid}/fd'):\n"
        "            files.append(os.readlink(f'/proc/{pid}/fd/{fd}'))\n"
        "    except OSError:\n"
        "        pass\n"
        "seen = {'secret': 'RNNLAB_TEST_SECRET' in environ, 'pids': len(pids),\n"
        "        'logs': [f for f in files if 'rnnlab-sandbox' in f or 'logs' in f]}\n" + REPORT
    ),
    # The forged answer: a detached process reads every descriptor it can reach for the
    # worker's nonce, stops every process it can, and appends a forged answer to every
    # descriptor it can write, again and again; text to stderr to become the reason.
    "forges": (
        "import subprocess, sys\n"
        "loop = '''\n"
        "import json, os, signal, time\n"
        "forged = {'problem': 'REASON-FORGED', 'results': [{'value': True}] * COUNT}\n"
        "end = time.time() + 80\n"
        "while time.time() < end:\n"
        "    for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
        "        if int(pid) == os.getpid():\n"
        "            continue\n"
        "        try:\n"
        "            fds = os.listdir(f'/proc/{pid}/fd')\n"
        "        except OSError:\n"
        "            continue\n"
        "        for fd in fds:\n"
        "            path = f'/proc/{pid}/fd/{fd}'\n"
        "            try:\n"
        "                text = open(path, 'rb').read(1 << 20).decode(errors='replace')\n"
        "                if 'nonce' in text:\n"
        "                    forged['nonce'] = json.loads(text.splitlines()[0])['nonce']\n"
        "            except (OSError, ValueError, KeyError, IndexError):\n"
        "                pass\n"
        "            try:\n"
        "                with open(path, 'a') as stream:\n"
        "                    stream.write(json.dumps(forged) + '\\\\n')\n"
        "            except OSError:\n"
        "                pass\n"
        "    time.sleep(0.05)\n"
        "'''\n"
        f"subprocess.Popen([sys.executable, '-c', loop, {MARKER!r}], start_new_session=True,\n"
        "                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)\n"
        "import os\n"
        "for pid in [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    try:\n"
        "        os.write(os.open(f'/proc/{pid}/fd/2', os.O_WRONLY), b'REASON-FORGED\\n')\n"
        "    except OSError:\n"
        "        pass\n"
    ),
}


HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\u202eevil\x00\ud800"
ESCAPES = f"def sequence_probability(seq, T):\n    raise ValueError({HOSTILE!r} + 'x' * 10**7)\n"
MARKDOWN = (
    "![tracker](http://evil.example/pixel.png) [click](javascript:alert(1)) "
    "<img src=http://evil.example/x.png> " + HOSTILE
)


def with_answer(path: Path, text: str) -> nbformat.NotebookNode:
    """The notebook with ``text`` as its first written answer and ESCAPES as a cell."""
    notebook = with_cell(path, ESCAPES)
    first = next(c for c in notebook.cells if c.source.startswith("_Type your answer"))
    first.source = text
    return notebook


def attack_count() -> int:
    return sum(len(q.checks) for q in grading.questions() if not q.written)


def key_users() -> dict[str, str]:
    """The host's keys per uid (/proc/key-users): uid -> counts."""
    lines = Path("/proc/key-users").read_text().splitlines()
    return {line.split(":")[0].strip(): line.split(":", 1)[1].split()[1] for line in lines}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    built = grading.build(tmp_path_factory.mktemp("build"))
    folder = tmp_path_factory.mktemp("class")
    solution, blank = built.autograder / "rnn_lab.ipynb", built.student / "rnn_lab.ipynb"
    nbformat.write(nbformat.read(solution, as_version=4), folder / "a_solution.ipynb")
    for name, source in ATTACKS.items():
        source = source.replace("COUNT", str(attack_count()))
        nbformat.write(with_cell(blank, source), folder / f"c_{name}.ipynb")
    # The key reader comes after the key writer, in the same run.
    nbformat.write(with_cell(blank, ATTACKS["keyring"]), folder / "d_keyring_again.ipynb")
    # Student text for the instructor's terminal, CSV and files, in a name and an answer.
    # (JSON escapes the lone surrogate, as a student's file may.)
    hostile = json.dumps(with_answer(blank, MARKDOWN))
    (folder / "e_escapes\x1b[2J\u202e.ipynb").write_text(hostile)
    # Too big to be read: the grader refuses it before it holds it whole.
    empty = {"cell_type": "markdown", "metadata": {}, "source": ""}
    huge = {"cells": [empty] * 400_000, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "e_huge.ipynb").write_text(json.dumps(huge))
    before = {"ratelimit": RATELIMIT.read_text(), "keys": key_users()}
    os.environ["RNNLAB_TEST_SECRET"] = SECRET
    try:
        result = grade_class(
            sorted(folder.glob("*.ipynb")), folder / "scores.csv", built.autograder, TIMEOUT,
            MEMORY_MIB,
        )  # fmt: skip
    finally:
        del os.environ["RNNLAB_TEST_SECRET"]
        if RATELIMIT.read_text() != before["ratelimit"]:  # put back what an attack changed
            RATELIMIT.write_text(before["ratelimit"])
    assert result.exit_code == 0, result.output
    assert (folder / "e_huge.ipynb").stat().st_size > 16 * 2**20
    after = {"ratelimit": RATELIMIT.read_text(), "keys": key_users()}
    return {"folder": folder, "before": before, "after": after, "output": result.output}


def seen(graded, name: str) -> dict:
    """What an attack reported: the error its sequence_probability raised, in its feedback."""
    text = (graded["folder"] / "feedback" / f"c_{name}.md").read_text()
    line = next(line for line in text.splitlines() if "seen:" in line)
    report, _ = json.JSONDecoder().raw_decode(line[line.index("seen:") + 5 :])
    return report


def test_the_solution_keeps_full_marks(graded):
    row = rows_by_student(graded["folder"] / "scores.csv")["solution"]
    assert (row["status"], points(row)) == ("graded", POINTS), row


@pytest.mark.parametrize("name", [*sorted(ATTACKS), "keyring_again"])
def test_every_attack_scores_zero(graded, name):
    row = rows_by_student(graded["folder"] / "scores.csv")[name]
    assert points(row) == dict.fromkeys(POINTS, 0.0), row


def test_no_kernel_setting_can_be_written(graded):
    assert graded["after"]["ratelimit"] == graded["before"]["ratelimit"]
    report = seen(graded, "sysctl")
    assert sorted(report) == ["kernel/core_pattern", "printk_ratelimit", "vm/drop_caches"]
    # Refused by the host's permissions (EACCES) or the read-only /proc/sys (EROFS).
    assert set(report.values()) <= {"EACCES", "EROFS"}, report


def test_no_key_is_made_or_found(graded):
    assert seen(graded, "keyring") == dict.fromkeys(
        ("add_key", "keyctl", "request_key"), "Operation not permitted"
    )
    assert graded["after"]["keys"] == graded["before"]["keys"]


def test_no_process_is_traced_and_no_namespace_made_and_no_capability_held(graded):
    report = seen(graded, "ptrace")
    assert {key: report[key] for key in ("unshare", "mount")} == {
        "unshare": "Operation not permitted",
        "mount": "Operation not permitted",
    }
    traced = [report[k] for k in report if k.startswith("ptrace")]  # PID 1 may be its parent
    assert traced and set(traced) == {"Operation not permitted"}, report
    assert report["uid"] == sandbox.probe().student.uid
    assert report["caps"] == 0  # permitted, effective, bounding and ambient: none


def test_nothing_of_the_graders_environment_or_files_is_seen(graded):
    report = seen(graded, "environ")
    # Its own kernel and the sandbox's init: no worker, no grader, no log file of theirs.
    assert report == {"secret": False, "pids": 2, "logs": []}


def test_the_forged_answer_and_reason_are_refused(graded):
    row = rows_by_student(graded["folder"] / "scores.csv")["forges"]
    assert row["status"] == "graded", row
    assert "REASON-FORGED" not in (graded["folder"] / "scores.csv").read_text()
    assert "REASON-FORGED" not in (graded["folder"] / "feedback" / "c_forges.md").read_text()


def test_nothing_is_left_running_and_no_cgroup_stays(graded):
    # left_running leaves out zombies: the host's init reaps what a killed bwrap left.
    left = left_running(
        p
        for p in psutil.process_iter(["cmdline", "username"])
        if any(MARKER in part for part in p.info["cmdline"] or [])
        or p.info["username"] in (sandbox.STUDENT, sandbox.WORKER)
    )
    assert left == []
    assert cgroup.made_by(os.getpid()) == []


def test_student_text_reaches_the_instructor_inert(graded):
    folder = graded["folder"]
    texts = {"terminal": graded["output"], "scores.csv": (folder / "scores.csv").read_text()}
    for path in [*folder.glob("feedback/*.md"), *folder.glob("written/*.md")]:
        texts[path.name] = path.read_text()  # UTF-8 throughout: no surrogate got through
    for name, text in texts.items():
        for raw in ("\x1b", "\x07", "\u202e", "\x00"):
            assert raw not in text, (name, raw)
    assert "e_escapes\\x1b[2J\\u202e.md" in {p.name for p in folder.glob("feedback/*")}
    [written] = [t for n, t in texts.items() if "evil.example" in t and n.endswith(".md")]
    # The answer is a fenced block of text: no viewer loads its image or follows its link.
    inside = written.split("~~~")[1::2]
    assert all("evil.example" not in part for part in written.split("~~~")[0::2])
    assert any("](javascript:" in part for part in inside)


def test_a_notebook_over_the_limit_is_refused_and_the_grader_stays_small(graded):
    row = rows_by_student(graded["folder"] / "scores.csv")["huge"]
    assert row["status"] == "unreadable" and "larger than 16 MiB" in row["reason"], row
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1.5 * 2**20  # kB
