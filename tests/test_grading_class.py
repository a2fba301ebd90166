"""The grading tests' own check for what a grade left running (grading_class.left_running)."""

import subprocess
import sys
import time

import psutil

from grading_class import left_running


def matching(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"]) if p.pid == pid]


def test_a_process_this_test_started_counts_until_it_ends():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        [left] = left_running(matching(child.pid))
        assert left["cmdline"][-1] == "import time; time.sleep(60)"
    finally:
        child.kill()
    found = matching(child.pid)  # a zombie, once the kill has landed, until it is waited for
    for _ in range(500):
        if found[0].status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.01)
    assert [p.status() for p in found] == [psutil.STATUS_ZOMBIE]
    assert left_running(found) == []
    child.wait()
    assert left_running(found) == []  # ended since it was found
