"""The rnnlab command, run as a user runs it: in a subprocess."""

import json
import os
import re
import signal
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory, rnnlab_process):
    out = tmp_path_factory.mktemp("run") / "out"
    result = rnnlab_process("run", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return result, out


def test_run_prints_the_labs_numbers(lab_run):
    result, _ = lab_run
    for name, value in (
        ("o1", "[0.13, -0.07]"),
        ("o2", "[0.143, 0.199]"),
        ("h1", "[0.6, 0.1]"),
        ("h2", "[0.43, 0.57]"),
        ("seq1", "aaaaaabbaa │ 0.0039191"),  # 0.6⁶ · 0.4 · 0.7 · 0.3 = 0.003919104
        ("seq2", "babbbbabbb │ 0.00242021"),  # 0.3² · 0.4² · 0.7⁵ = 0.002420208
    ):
        assert re.search(rf"│ {name}\s*│ {re.escape(value)}", result.stdout), name
    assert "Outputs equal the rows of T: yes" in result.stdout


def test_run_writes_its_numbers(lab_run):
    _, out = lab_run
    results = json.loads((out / "results.json").read_text())
    assert results["forward"]["values"]["o1"] == pytest.approx([0.13, -0.07], rel=1e-12)
    seq1 = results["bigram"]["sequences"][0]["probability"]
    assert seq1 == pytest.approx(0.6**6 * 0.4 * 0.7 * 0.3, rel=1e-12)
    # dL/dU of the scalar example for N = 1: ∂L/∂o_1 · W · x_1 = 2 (0.015 − 0.6) · 0.3 · 0.5
    assert results["backward"]["cases"][0]["dL_dU"] == pytest.approx(-0.1755, rel=1e-12)
    assert not list(out.glob(".*.tmp")), "a temporary file was left behind"


def test_ctrl_c_during_run_is_one_line_and_status_130(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from rnnlab.cli import main; main()",
            "run",
            "--out",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    process.stdout.readline()  # the run is printing: the lab is answered, files come next
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130
    assert stderr.count("\n") == 1 and stderr.startswith("rnnlab: interrupted")
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


def test_help_reads_well(rnnlab):
    result = rnnlab("--help")
    assert result.returncode == 0 and "run" in result.stdout
    result = rnnlab("run", "--help")
    assert result.returncode == 0 and "--out" in result.stdout


def test_an_unwritable_output_is_one_line_and_status_2(tmp_path, rnnlab_process):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = rnnlab_process("run", "--out", str(blocker / "out"))
    assert result.returncode == 2
    assert result.stderr.startswith("rnnlab: error:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["grad", "-N", "x"], "Invalid value for '--length'"),
        (["run", "--bogus"], "No such option: --bogus"),
        (["graph", "3", "--highlight", "²,1"], "--highlight"),
    ],
)
def test_usage_errors_are_one_line_and_status_2(rnnlab, arguments, message):
    result = rnnlab(*arguments)
    assert result.returncode == 2
    assert result.stderr.startswith("rnnlab: error:") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
