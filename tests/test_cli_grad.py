"""``rnnlab grad`` and ``rnnlab formula``: what they print, and one line + status 2 on bad input."""

import re

import pytest

from rnnlab.cli.formula import formula
from rnnlab.cli.grad import grad


def test_grad_prints_the_three_methods_agreeing_and_the_paths(capsys):
    grad(length=4, input_size=2, hidden_size=3, output_size=2, sigma="sigmoid", top=3)
    printed = capsys.readouterr().out
    assert "dL/dU (3×2)" in printed and "dL/dh0 (3)" in printed
    header = re.search(r"entry\s*┃\s*reverse\s*┃\s*paths\s*┃\s*autograd", printed)
    assert header is not None
    differences = re.findall(r"vs \w+: ([0-9.e+-]+)", printed)
    assert len(differences) == 3 and all(float(value) < 1e-12 for value in differences)
    assert "N(N + 1)/2 = 10" in printed
    assert "The 3 largest terms of dL/dU" in printed


def test_grad_with_cross_entropy_in_float32(capsys):
    grad(length=3, sigma="relu", loss="cross_entropy", dtype="float32", output_size=4)
    printed = capsys.readouterr().out
    assert "loss = cross_entropy" in printed and "float32" in printed
    differences = re.findall(r"vs \w+: ([0-9.e+-]+)", printed)
    assert all(float(value) < 1e-4 for value in differences)


def test_formula_prints_text_or_latex(capsys):
    formula(2)
    # One term a line, each a path (k, t): (1, 1), (1, 2), (2, 2).
    assert capsys.readouterr().out.rstrip("\n").splitlines() == [
        "dL/dU = ∂L/∂o_1 · ∂o_1/∂h_1 · ∂h_1/∂U",
        "      + ∂L/∂o_2 · ∂o_2/∂h_2 · ∂h_2/∂h_1 · ∂h_1/∂U",
        "      + ∂L/∂o_2 · ∂o_2/∂h_2 · ∂h_2/∂U",
    ]
    formula(1, latex=True, wrt="W")
    assert capsys.readouterr().out.strip() == (
        r"\frac{\partial L}{\partial \mathbf{W}} = "
        r"\frac{\partial L}{\partial o_{1}} \frac{\partial o_{1}}{\partial \mathbf{W}}"
    )


def test_formula_prints_one_term_a_line_at_any_width(rnnlab, monkeypatch):
    for columns in ("30", "300"):
        monkeypatch.setenv("COLUMNS", columns)
        lines = rnnlab("formula", "3").stdout.rstrip("\n").splitlines()
        # N = 3 has 3 · 4 / 2 = 6 paths; the longest, (1, 3), has 7 factors.
        assert len(lines) == 6 and lines[0].startswith("dL/dU = ∂L/∂o_1 ")
        assert lines[3] == "      + ∂L/∂o_3 · ∂o_3/∂h_3 · ∂h_3/∂h_2 · ∂h_2/∂h_1 · ∂h_1/∂U"


def test_formula_general_prints_the_sums_and_the_product(rnnlab):
    lines = rnnlab("formula", "--general").stdout.rstrip("\n").splitlines()
    assert lines == [
        "dL/dU = Σ_(t=1…N) Σ_(k=1…t) ∂L/∂o_t · ∂o_t/∂h_t",
        "      · (Π_(j=k+1…t) ∂h_j/∂h_(j-1)) · ∂h_k/∂U",
    ]
    latex = rnnlab("formula", "--general", "--latex", "--wrt", "W").stdout.strip()
    assert latex.startswith(r"\frac{\partial L}{\partial \mathbf{W}} = \sum_{t=1}^{N}")
    both = rnnlab("formula", "3", "--general")
    assert both.returncode == 2 and "N or --general" in both.stderr
    assert "N or --general" in rnnlab("formula").stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["formula", "0"], "N = 0: a sequence needs at least one step"),
        (["grad", "--sigma", "softplus"], "unknown sigma 'softplus'; known: relu, identity"),
    ],
)
def test_bad_input_is_one_line_and_status_2(arguments, message, rnnlab_process):
    result = rnnlab_process(*arguments)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_grad_on_the_labs_numbers(rnnlab):
    result = rnnlab("grad", "--lab")
    assert result.returncode == 0, result.stderr
    # Section 3's scalar RNN: dL/dU = −0.851179 (tests/test_lab_backward.py by hand).
    assert "-0.851179" in result.stdout
    # Section 1's RNN, x2 the target of o1 = [0.13, −0.07]: L = 0.17² + 0.47² = 0.2498,
    # dL/dh1 = Wᵀ · 2(o1 − x2) = [0.12, −0.504], so dL/dU = [[0, 0.12], [0, −0.504]].
    assert "L = 0.2498" in result.stdout
    rows = re.findall(r"\((\d), (\d)\)\s*│\s*(-?[\d.]+)\s*│", result.stdout)
    assert ("1", "2", "0.12") in rows and ("2", "2", "-0.504") in rows


def test_grad_on_a_users_file(rnnlab, tmp_path):
    # σ = identity, U = 2, V = 0.5, W = 1, x = 1, 0: h1 = 2, o1 = 2, L = 4, dL/dU = 4.
    path = tmp_path / "mine.toml"
    path.write_text('sigma = "identity"\n[scalar]\nU = 2.0\nV = 0.5\nW = 1.0\nxs = [1.0, 0.0]\n')
    result = rnnlab("grad", "--example", str(path))
    assert result.returncode == 0, result.stderr
    assert "L = 4\n" in result.stdout
    assert re.search(r"\(1, 1\)\s*│\s*4\s*│\s*4\s*│\s*4\s*│", result.stdout)
    both = rnnlab("grad", "--example", str(path), "--lab")
    assert both.returncode == 2 and "give one or the other" in both.stderr


def test_formula_refuses_a_length_past_the_machines_memory(rnnlab):
    result = rnnlab("formula", "1000000")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "would need about" in result.stderr


def test_formula_refuses_a_length_that_would_take_too_long(rnnlab):
    # N = 600 has 600·601·602/6 + 600·601 = 36,540,800 factors: about 4.7 GB, which fits,
    # but at 3·10⁻⁵ s a factor (2.5 times the time measured) that is 18 min.
    result = rnnlab("formula", "600")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "N = 600 (36,540,800 factors) would take about 18 min" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        # Each once took the machine or gave a traceback; now refused before any work.
        (["-N", "100000000"], "grad with N = 100,000,000, D = 3, H = 4, O = 2 would need about"),
        (["-N", str(10**20)], "N = 100,000,000,000,000,000,000"),
        (["-H", str(10**11)], "H = 100,000,000,000"),
        (["-N", "100000"], "would take about"),
        (["--seed", str(2**70)], f"--seed is {2**70}, expected a whole number ≤"),
    ],
)
def test_sizes_past_the_machine_are_refused_in_one_line(arguments, message, rnnlab):
    result = rnnlab("grad", *arguments)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert message in line and result.stdout == ""
    assert "memory, more than the" in line or "min allowed" in line or "--seed" in line


def test_the_memory_estimate_bounds_what_grad_takes():
    # Measured with /usr/bin/time: N = 20,000 took 329 MB, N = 100,000 under 390 MB, of
    # which about 270 MB is Python and torch themselves; the estimate must stay above.
    from rnnlab.cli.budgets import grad_memory

    assert grad_memory(100_000, 3, 4, 2, 8) > 120e6
    assert grad_memory(5, 3, 10**11, 2, 8) > 10**22 * 8


def test_one_term_is_not_called_terms(capsys):
    grad(length=2, top=1)
    assert "The largest term of dL/dU" in capsys.readouterr().out
