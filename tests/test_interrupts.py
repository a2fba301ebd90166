"""Ctrl-C where Python's own handler loses it: mid-import, and inside a ``__del__``.

Each case runs in a new Python that sends SIGINT to itself at the awkward moment, so
the timing is exact; ``test_cli`` sends it to the command from outside."""

import subprocess
import sys

import pytest

IN_AN_IMPORT = """
import os, signal, sys, time
sys.path.insert(0, sys.argv[1])
open(os.path.join(sys.argv[1], "slow.py"), "w").write(
    "import os, signal, time\\n"
    "os.kill(os.getpid(), signal.SIGINT)\\n"
    "for _ in range(20):\\n"
    "    time.sleep(0.01)\\n"
    "WHOLE = True\\n"
)
{install}
try:
    import slow
    for _ in range(200):  # the interrupt comes within interrupts.RETRY of the import's end
        time.sleep(0.01)
    print("not interrupted")
except KeyboardInterrupt:
    print("whole" if getattr(sys.modules.get("slow"), "WHOLE", False) else "half-imported")
"""

IN_A_DEL = """
import os, signal, time
{install}
class Doomed:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
try:
    Doomed()
    for _ in range(200):
        time.sleep(0.01)
    print("lost")
except KeyboardInterrupt:
    print("raised after the __del__")
"""

OURS = "from rnnlab import interrupts; interrupts.install()"


def run(program: str, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", program, *arguments], capture_output=True, text=True, timeout=60
    )
    return result.stdout.strip()


@pytest.mark.parametrize(("install", "expected"), [("", "half-imported"), (OURS, "whole")])
def test_an_interrupt_during_an_import_waits_for_the_module_to_be_whole(
    tmp_path, install, expected
):
    # Python's own handler (install "") stops the module half-way: what numpy did.
    assert run(IN_AN_IMPORT.format(install=install), str(tmp_path)) == expected


@pytest.mark.parametrize(
    ("install", "expected"), [("", "lost"), (OURS, "raised after the __del__")]
)
def test_an_interrupt_inside_a_del_is_raised_again_not_lost(install, expected):
    # Python prints "Exception ignored in ... __del__" and carries on: the command ran to
    # its end and exited 0 after Ctrl-C.
    assert run(IN_A_DEL.format(install=install)) == expected


def test_an_interrupt_held_back_until_the_work_ended_is_still_pending(tmp_path):
    # `bigram fit` spent its last seconds loading numba's kernels (held back), then ended
    # before the next look and exited 0: the Ctrl-C was lost.
    program = (
        IN_AN_IMPORT.split("{install}")[0]
        + OURS
        + "\nimport slow\nprint(interrupts.pending(), slow.WHOLE)\n"
    )
    assert run(program, str(tmp_path)) == "True True"


IN_A_HELD_STRETCH = """
import os, signal, time
from rnnlab import interrupts
{install}
finished = False
try:
    with interrupts.held():
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(20):
            time.sleep(0.01)
        finished = True
    for _ in range(200):
        time.sleep(0.01)
    print("not interrupted")
except KeyboardInterrupt:
    print("after the stretch" if finished else "inside the stretch")
"""


@pytest.mark.parametrize(("install", "expected"), [("", "inside"), (OURS, "after")])
def test_an_interrupt_waits_for_a_held_stretch_such_as_a_file_being_written(install, expected):
    # The interrupt fuzzer stopped `bigram fit` between making a temporary file and
    # noting its name: `.model.npz.*.tmp` stayed behind.
    assert run(IN_A_HELD_STRETCH.format(install=install)) == f"{expected} the stretch"


HALF_MADE = """
import os, signal, time
{install}
class Half:
    def __init__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        self.part = 1
    def __del__(self):
        self.part
try:
    Half()
except KeyboardInterrupt:
    print("interrupted")
"""


@pytest.mark.parametrize(("install", "noisy"), [("", True), (OURS, False)])
def test_an_object_the_interrupt_left_half_made_does_not_complain(install, noisy):
    # After Ctrl-C in `rnnlab train`, pyparsing's half-made Forward printed "Exception
    # ignored in: ... Forward.__del__ ... no attribute 'expr'" above "rnnlab: interrupted".
    result = subprocess.run(
        [sys.executable, "-c", HALF_MADE.format(install=install)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "interrupted"
    assert ("Exception ignored" in result.stderr) == noisy, result.stderr
