"""rnnlab.cli.budgets: each command's sizes refused before the work, in one line that names
the sizes, the estimate and the limit; against hand-worked numbers."""

import pytest

from rnnlab import validation
from rnnlab.cli import budgets
from rnnlab.errors import InvalidValueError


def test_the_largest_graph_drawn_passes_and_one_more_step_is_refused():
    # 6e-9 N³ seconds: N = 2,714 takes 119.9 s, within the 120 s; 2,715 would take 120.1 s.
    assert budgets.MOST_LAID_OUT == 2714
    budgets.check_layout(2714)
    with pytest.raises(InvalidValueError, match=r"N = 2,715 steps .* about 2 min, more than"):
        budgets.check_layout(2715)
    # 6e-9 · 10¹⁸ s = 6e9 s = 1,666,667 h.
    with pytest.raises(InvalidValueError, match=r"N = 1,000,000 steps .* 1,666,667 h, more"):
        budgets.check_layout(10**6)


def test_a_formula_past_the_machines_memory_or_ten_minutes_is_refused(monkeypatch):
    monkeypatch.setattr(validation, "available_memory", lambda: 2 * 10**9)
    # N = 1,000: 1000·1001·1002/6 + 1000·1001 = 168,168,000 factors at 128 B: 21.5 GB.
    with pytest.raises(
        InvalidValueError,
        match=r"the formula for N = 1,000 \(168,168,000 factors\) would need about 21.5 GB "
        r"of memory, more than the 1.0 GB",
    ):
        budgets.check_formula_length(1000)
    monkeypatch.setattr(validation, "available_memory", lambda: 10**12)
    # N = 600: 36,540,800 factors at 3e-5 s: 1,096 s, 18 min.
    with pytest.raises(
        InvalidValueError, match=r"N = 600 \(36,540,800 factors\) would take about 18 min"
    ):
        budgets.check_formula_length(600)
    budgets.check_formula_length(100)


def test_a_training_run_past_the_machines_memory_is_refused(monkeypatch):
    monkeypatch.setattr(validation, "available_memory", lambda: 2 * 10**9)
    # V = 2, H = 10⁴: (2·10⁴ + 10⁸ + 2·10⁴) entries at 192 B, 19.2 GB.
    with pytest.raises(
        InvalidValueError,
        match=r"V = 2 words and H = 10000 hidden units would need about 19.2 GB",
    ):
        budgets.check_training(2, 10**4, 50)
    budgets.check_training(2, 100, 50)


def test_grads_time_is_refused_past_ten_minutes():
    # N = 10⁵, H = 4: 2e-4 · 10⁵ + 2e-8 · 5,000,050,000 · 16 = 20 + 1,600 s: 27 min.
    assert budgets.grad_seconds(10**5, 4) == pytest.approx(20 + 2e-8 * 5_000_050_000 * 16)
    with pytest.raises(InvalidValueError, match=r"would take about 27 min \(the paths method"):
        budgets.check_grad(10**5, 3, 4, 2, "float64")
    budgets.check_grad(100, 3, 4, 2, "float64")


def test_rnnlab_train_refuses_a_hidden_size_past_the_machine(rnnlab):
    result = rnnlab("train", "--hidden-size", "1000000000")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "H = 1000000000 hidden units would need about" in line
