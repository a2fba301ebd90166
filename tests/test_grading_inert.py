"""Student text made inert, the seccomp filter's refusals, and the grader's bounds: the
parts of the sandbox's defences that can be checked without grading a class."""

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlab.grading import feedback, inert, sandbox, seccomp_filter
from rnnlab.grading.checks import Check, Question
from rnnlab.grading.grader import MAX_NOTEBOOK_BYTES, CheckResult, Score, read_submission

HOSTILE = (
    "\x1b]0;owned\x07"  # retitles the terminal
    "\x1b[2J\x1b[H"  # clears it, moves the cursor home
    "\x1b[31mred\x1b[0m"
    "\u202eevil\u202c"  # a right-to-left override
    "\x00nul\rcarriage\x7fdel\u2028line"
    "\ud800"  # a lone surrogate, as JSON lets a student send
)


def test_control_bidi_and_surrogates_are_escaped_and_nothing_else():
    shown = inert.line(HOSTILE)
    assert shown == (
        "\\x1b]0;owned\\x07\\x1b[2J\\x1b[H\\x1b[31mred\\x1b[0m\\u202eevil\\u202c"
        "\\x00nul\\x0dcarriage\\x7fdel\\u2028line\\ud800"
    )
    assert shown.encode("utf-8")  # writable: no lone surrogate left
    for plain in ("dL/dU = −0.1755", "∂L/∂o₁ · ∂o₁/∂h₁", "héllo wörld", "日本語", "tab\tstop"):
        assert inert.escaped(plain, keep="\t") == plain


def test_a_ten_megabyte_line_is_cut_to_one_line():
    shown = inert.line("x" * 10_000_000 + "\n" + "y")
    assert len(shown) == 2_001 and shown.endswith("…") and "\n" not in shown


def test_markdown_from_a_student_renders_as_code_never_as_a_link_or_an_image():
    hostile = "![track](http://evil.example/p.png) [click](javascript:alert(1)) <img src=x> ```"
    span = inert.code_span(hostile)
    assert span.startswith("````") and span.endswith("````")  # longer than its ``` run
    assert span.count("````") == 2
    block = inert.code_block("~~~\n" + hostile + "\n# heading\n~~~~")
    fence = block.splitlines()[0].removesuffix("text")
    assert fence == "~~~~~" and block.splitlines()[-1] == fence  # longer than any run inside
    assert "\n# heading\n" in block  # a line of the block, not a heading of the file


def score_with(reason: str, detail: str, written: str) -> Score:
    question = Question("q", 1.0, (Check("f()", 1.0, "f() should be 1"),))
    result = CheckResult("q", question.checks[0], False, detail)
    path = Path("sub\x1b[31m\u202e.ipynb")
    return Score(path, {"q": 0.0}, {"q": 1.0}, "graded", reason, (result,), 0.0, (written,))


def test_no_student_text_crashes_the_writing_or_reaches_it_raw(tmp_path):
    question = Question("q", 1.0, (Check("f()", 1.0, "f() should be 1"),))
    essay = Question("essay", 1.0, written=True)
    big = "z" * 10_000_000
    score = score_with(HOSTILE + big, HOSTILE + big, HOSTILE + "\n" + big[:20_000])
    feedback.write_all([score], [question, essay], tmp_path / "scores.csv", tmp_path)
    written = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 4  # the table, feedback, written/ and instructor.md
    for data in written:
        text = data.decode("utf-8")  # valid UTF-8: no surrogate got through
        assert "\x1b" not in text and "\u202e" not in text and "\x00" not in text
        assert "\x07" not in text and "\r" not in text
        assert len(text) < 100_000  # the 10 MB lines were cut
    [name] = [p.name for p in (tmp_path / "feedback").iterdir()]
    assert name == "sub\\x1b[31m\\u202e.md"


def test_the_summary_prints_a_hostile_reason_escaped(capsys):
    from rnnlab.cli.notebook import print_summary

    print_summary([score_with(HOSTILE, "got 2", "")])
    out = capsys.readouterr().out
    assert "\x1b]0;" not in out and "\u202e" not in out and "\x07" not in out
    assert "\\x1b" in out and "\\u202e" in out


def test_a_notebook_over_the_limit_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "big.ipynb"
    cell = '{"cell_type": "markdown", "metadata": {}, "source": ""},'
    path.write_text('{"cells": [' + cell * (MAX_NOTEBOOK_BYTES // len(cell) + 1) + "]}")
    assert path.stat().st_size > MAX_NOTEBOOK_BYTES
    with pytest.raises(ValueError, match="larger than 16 MiB"):
        read_submission(path)


# The filter, run for real: a program under `seccomp_filter.py --exec` tries each call.
PROBE = """
import ctypes, errno, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
numbers = json.loads(sys.argv[1])
out = {}
for name, (number, arguments) in numbers.items():
    result = libc.syscall(number, *arguments)
    out[name] = errno.errorcode.get(ctypes.get_errno(), "0") if result < 0 else "allowed"
print(json.dumps(out))
"""

# x86-64 numbers; a refused call says EPERM before its arguments are looked at.
CALLS = {
    "ptrace": (101, [16, 1, 0, 0]),
    "add_key": (248, [0, 0, 0, 0, -4]),
    "keyctl": (250, [0, -4, 0, 0, 0]),
    "request_key": (249, [0, 0, 0, 0]),
    "unshare": (272, [0x10000000]),
    "mount": (165, [0, 0, 0, 0, 0]),
    "setns": (308, [0, 0]),
    "bpf": (321, [0, 0, 0]),
    "perf_event_open": (298, [0, 0, -1, -1, 0]),
    "kexec_load": (246, [0, 0, 0, 0]),
    "init_module": (175, [0, 0, 0]),
    "io_uring_setup": (425, [1, 0]),
    "clone_newuser": (56, [0x10000000 | 17, 0, 0, 0, 0]),
    "clone3": (435, [0, 0]),
    "getpid": (39, []),
}


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the call numbers are x86-64's")
def test_the_filter_refuses_dockers_list_and_allows_the_rest():
    sandbox.seccomp_program()  # NoSandboxError, failing the test, without python3-seccomp
    done = subprocess.run(
        [sandbox.SYSTEM_PYTHON, "-I", seccomp_filter.__file__, "--exec", sys.executable, "-c",
         PROBE, json.dumps(CALLS)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    refused = {name: "EPERM" for name in CALLS if name not in ("clone3", "getpid")}
    assert seen == {**refused, "clone3": "ENOSYS", "getpid": "allowed"}


def test_the_denied_list_holds_dockers_dangerous_calls():
    for name in (
        "keyctl",
        "add_key",
        "request_key",
        "ptrace",
        "perf_event_open",
        "bpf",
        "mount",
        "unshare",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "setns",
        "pivot_root",
        "umount2",
        "open_by_handle_at",
        "process_vm_readv",
        "process_vm_writev",
        "userfaultfd",
        "reboot",
        "swapon",
    ):
        assert name in seccomp_filter.DENIED, name  # fmt: skip
