"""The rnnlab command, run as a user runs it: in a subprocess."""

import json

import pytest


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory, rnnlab_process):
    out = tmp_path_factory.mktemp("run") / "out"
    result = rnnlab_process("run", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return result, out


def test_run_prints_the_labs_numbers(lab_run):
    result, _ = lab_run
    for expected in (
        "o1 = [0.13, -0.07]",
        "o2 = [0.143, 0.199]",
        "h1 = [0.6, 0.1]",
        "h2 = [0.43, 0.57]",
        "Probability of A: 0.00392",
        "Probability of B: 0.00242",
        "More likely: seq1",
        "Outputs equal the rows of T: yes",
    ):
        assert expected in result.stdout


def test_run_writes_its_numbers(lab_run):
    _, out = lab_run
    results = json.loads((out / "results.json").read_text())
    assert results["forward"]["o1"] == pytest.approx([0.13, -0.07])
    assert results["bigram"]["seq1"] == pytest.approx(0.6**6 * 0.4 * 0.7 * 0.3, rel=1e-6)
    # dL/dU of the scalar example for N = 1: ∂L/∂o_1 · W · x_1 = 2 (0.015 − 0.6) · 0.3 · 0.5
    assert results["backward"]["dL_dU_N1"] == pytest.approx(-0.1755, abs=1e-6)
    assert not list(out.glob(".*.tmp")), "a temporary file was left behind"


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
