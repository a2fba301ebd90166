"""Ctrl-C and SIGTERM: files written whole, SIGTERM unwound as Ctrl-C is, no signal lost.

Each case runs in a new Python that sends the signal to itself at the awkward moment, so
the timing is exact; ``test_cli`` sends it to the command from outside."""

import subprocess
import sys

import pytest

INSTALL = "from rnnlab import interrupts; interrupts.install()"


def run(program: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", program, *arguments], capture_output=True, text=True, timeout=60
    )


# A signal in the middle of a write: right after the first of two renames, or right after
# the temporary file is made, before its name is known to the code that would remove it.
WRITING = """
import os, signal, sys, tempfile
from pathlib import Path
from rnnlab import files
{install}
folder = Path(sys.argv[1])
(folder / "a.txt").write_text("old")
(folder / "b.txt").write_text("old")
real = {{"replace": os.replace, "mkstemp": tempfile.mkstemp}}
def interrupted(name):
    def call(*arguments, **keywords):
        result = real[name](*arguments, **keywords)
        os.kill(os.getpid(), signal.{signal})
        for _ in range(1000):  # the handler runs at the next bytecode: here, or inside
            pass
        return result
    return call
setattr(os if "{moment}" == "replace" else tempfile, "{moment}", interrupted("{moment}"))
try:
    files.write_all_atomic({{folder / "a.txt": "new", folder / "b.txt": "new"}})
    print("not interrupted")
except KeyboardInterrupt as interrupt:
    print(type(interrupt).__name__)
setattr(os if "{moment}" == "replace" else tempfile, "{moment}", real["{moment}"])
print((folder / "a.txt").read_text(), (folder / "b.txt").read_text())
print(sorted(path.name for path in folder.iterdir()))
"""


@pytest.mark.parametrize("moment", ["replace", "mkstemp"])
@pytest.mark.parametrize(
    ("signal", "raised"), [("SIGINT", "KeyboardInterrupt"), ("SIGTERM", "Terminated")]
)
def test_a_signal_during_a_write_waits_until_every_file_is_whole(tmp_path, moment, signal, raised):
    program = WRITING.format(install=INSTALL, signal=signal, moment=moment)
    result = run(program, str(tmp_path))
    # Raised after the writing, never inside it: both files new, no temporary file left.
    assert result.stdout.splitlines() == [raised, "new new", "['a.txt', 'b.txt']"], result.stderr


def test_without_the_hold_the_same_signal_leaves_a_half_done_write(tmp_path, monkeypatch):
    # The check above can fail: with held() doing nothing, the interrupt lands inside the
    # writing, and after the first rename only one of the two files is new.
    program = WRITING.format(
        install=INSTALL + "\nimport contextlib; interrupts.held = contextlib.nullcontext",
        signal="SIGINT",
        moment="replace",
    )
    result = run(program, str(tmp_path))
    assert result.stdout.splitlines()[:2] == ["KeyboardInterrupt", "new old"], result.stderr


TERMINATED = """
import os, signal, time
{install}
try:
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(200):
            time.sleep(0.01)
        print("not terminated")
    finally:
        print("cleaned up")
except KeyboardInterrupt as interrupt:
    print(type(interrupt).__name__)
"""


def test_sigterm_unwinds_as_ctrl_c_does_so_that_every_finally_runs():
    # Python's default for SIGTERM ends the process at once, past every finally: a
    # grader's sandboxes and cgroups outlived it.
    default = run(TERMINATED.format(install=""))
    assert (default.returncode, default.stdout) == (-15, "")
    ours = run(TERMINATED.format(install=INSTALL))
    assert ours.stdout.splitlines() == ["cleaned up", "Terminated"], ours.stderr


IN_A_DEL = """
import os, signal, time
{install}
class Doomed:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
try:
    Doomed()
    for _ in range(100):
        time.sleep(0.01)
    print("ran on", int(interrupts.received()))
except KeyboardInterrupt:
    print("raised")
"""


def test_an_interrupt_python_drops_inside_a_del_is_still_received():
    # Python prints "Exception ignored in ... __del__" and carries on; the command then ran
    # to its end and exited 0 after Ctrl-C. It now asks received() and exits 130.
    result = run(IN_A_DEL.format(install=INSTALL))
    assert result.stdout.strip() == "ran on 2", result.stderr
    assert "KeyboardInterrupt" in result.stderr  # Python's own report of the dropped one


def test_exit_interrupted_says_which_signal_came():
    program = INSTALL + (
        "\nimport os, signal, time\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(1)\n"
        "except KeyboardInterrupt:\n"
        "    interrupts.exit_interrupted()\n"
    )
    result = run(program)
    assert (result.returncode, result.stderr) == (143, "rnnlab: terminated\n")


def test_an_interrupt_python_dropped_before_the_command_started_is_still_received():
    # `rnnlab train` at 0.25 s: the KeyboardInterrupt of a Ctrl-C while rnnlab.cli loaded
    # was dropped, and rnnlab.cli.main's own install forgot it: the command exited 0.
    program = INSTALL + (
        "\nimport os, signal, time\n"
        "class Doomed:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        time.sleep(0.01)\n"
        "Doomed()\n"
        "interrupts.install()\n"
        "print(int(interrupts.received()))\n"
    )
    assert run(program).stdout.strip() == "2"


# Started as a shell starts a background job: SIGINT ignored (and SIGTERM too, or not).
IGNORED_ON_ENTRY = """
import os, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
if {sigterm_ignored}:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
{install}
ignored = [int(n) for n in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(n) == signal.SIG_IGN]
print("ignored", ignored)
try:
    for number in (signal.SIGINT, signal.SIGTERM):
        with interrupts.held():
            os.kill(os.getpid(), number)
            for _ in range(1000):  # the handler runs at the next bytecode
                pass
        print("passed by", int(number), interrupts.received())
except KeyboardInterrupt as interrupt:
    print(type(interrupt).__name__)
"""


@pytest.mark.parametrize(
    ("sigterm_ignored", "expected"),
    [
        (False, ["ignored [2]", "passed by 2 None", "Terminated"]),
        (True, ["ignored [2, 15]", "passed by 2 None", "passed by 15 None"]),
    ],
)
def test_a_signal_ignored_on_entry_stays_ignored(sigterm_ignored, expected):
    # install() took Ctrl-C over even where the process was started ignoring it, so a
    # Ctrl-C meant for the job in front ended an `rnnlab run &` behind it; held() neither
    # waits for an ignored signal nor raises it after.
    program = IGNORED_ON_ENTRY.format(sigterm_ignored=sigterm_ignored, install=INSTALL)
    result = run(program)
    assert result.stdout.splitlines() == expected, result.stderr
