"""The boundary checks: the right kind, the right value, and messages that name the value."""

import math

import numpy as np
import pytest
import torch

from rnnlab import validation
from rnnlab.errors import InvalidTypeError, InvalidValueError


def test_whole_number_accepts_ints_and_numpy_integers():
    assert validation.whole_number("N", 3, least=1) == 3
    assert validation.whole_number("N", np.int64(7)) == 7
    assert type(validation.whole_number("N", np.int64(7))) is int


@pytest.mark.parametrize("value", [True, 2.0, "3", None])
def test_whole_number_refuses_other_kinds(value):
    with pytest.raises(InvalidTypeError, match=rf"N is {value!r}, expected a whole number ≥ 1"):
        validation.whole_number("N", value, least=1)


def test_whole_number_bounds_name_the_value():
    with pytest.raises(InvalidValueError, match=r"N is 0, expected a whole number ≥ 1"):
        validation.whole_number("N", 0, least=1)
    with pytest.raises(InvalidValueError, match=r"H is 11, expected a whole number ≤ 10"):
        validation.whole_number("H", 11, most=10)


def test_real_number():
    assert validation.real_number("rate", 1) == 1.0
    with pytest.raises(InvalidValueError, match=r"rate is inf, expected a finite number"):
        validation.real_number("rate", math.inf)
    with pytest.raises(InvalidValueError, match=r"rate is -0.5, expected a number > 0"):
        validation.real_number("rate", -0.5, positive=True)
    with pytest.raises(InvalidTypeError, match=r"rate is '1', expected a number"):
        validation.real_number("rate", "1")


def test_choice_lists_the_options():
    assert validation.choice("loss", "a", ("a", "b")) == "a"
    with pytest.raises(InvalidValueError, match=r"loss is 'c', expected one of 'a', 'b'"):
        validation.choice("loss", "c", ("a", "b"))
    with pytest.raises(InvalidTypeError):
        validation.choice("loss", 1, ("a", "b"))


def test_real_tensor_refuses_bool_complex_meta_and_nan():
    assert validation.real_tensor("T", torch.ones(2)).shape == (2,)
    with pytest.raises(InvalidTypeError, match="T has dtype torch.bool"):
        validation.real_tensor("T", torch.ones(2, dtype=torch.bool))
    with pytest.raises(InvalidTypeError, match="T has dtype torch.complex64"):
        validation.real_tensor("T", torch.ones(2, dtype=torch.complex64))
    with pytest.raises(InvalidValueError, match="meta device"):
        validation.real_tensor("T", torch.ones(2, device="meta"))
    with pytest.raises(InvalidValueError, match="NaN or infinite"):
        validation.real_tensor("T", torch.tensor([1.0, float("nan")]))
    with pytest.raises(InvalidTypeError, match="T is a list"):
        validation.real_tensor("T", [1.0])


def test_memory_limit_follows_the_machine():
    with open("/proc/meminfo") as meminfo:
        available = next(int(line.split()[1]) * 1024 for line in meminfo if "MemAvailable" in line)
    # Read twice a moment apart: allow for what other processes did meanwhile.
    assert abs(validation.available_memory() - available) < 0.2 * available
    validation.check_memory("a small thing", 1000)
    with pytest.raises(InvalidValueError, match=r"N = 10 would need about 1e\+18 TB"):
        validation.check_memory("N = 10", 10**30)


def test_format_bytes():
    assert validation.format_bytes(512) == "512 B"
    assert validation.format_bytes(24.3e9) == "24.3 GB"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_all_finite_agrees_with_torch_isfinite(dtype):
    generator = torch.Generator().manual_seed(0)
    assert validation.all_finite(torch.empty(0, 3, dtype=dtype))
    for bad in (float("nan"), float("inf"), -float("inf"), None):
        for place in (0, 17, 4095):
            value = torch.randn(64, 64, generator=generator).to(dtype) * 1e3
            if bad is not None:
                value.view(-1)[place] = bad
            assert validation.all_finite(value) == bool(torch.isfinite(value).all())


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_all_finite_is_not_fooled_by_a_sum_that_overflows_or_cancels(dtype):
    largest = torch.finfo(dtype).max
    # Finite entries whose sum overflows: still all finite.
    assert validation.all_finite(torch.full((8,), largest, dtype=dtype))
    # +inf and −inf: their sum is NaN, and neither entry is finite.
    assert not validation.all_finite(torch.tensor([float("inf"), -float("inf")], dtype=dtype))
    # An overflowing sum that also holds a NaN, or an inf, is still caught.
    for bad in (float("nan"), float("inf")):
        value = torch.full((8,), largest, dtype=dtype)
        value[5] = bad
        assert not validation.all_finite(value)


def test_check_stochastic_shows_the_row_at_fault_when_asked():
    T = torch.tensor([[0.5, 0.4], [0.3, 0.7]], dtype=torch.float64)
    with pytest.raises(InvalidValueError, match=r"^row 1 of T sums to 0.9, expected 1$"):
        validation.check_stochastic(T)
    with pytest.raises(
        InvalidValueError, match=r"^row 1 of T = \[0.5, 0.4\] sums to 0.9, expected"
    ):
        validation.check_stochastic(T, show_row=True)
    negative = torch.tensor([[0.6, 0.4], [-0.5, 1.5]], dtype=torch.float64)
    with pytest.raises(
        InvalidValueError, match=r"^T_\(2,1\) is -0.5 \(in row 2 of T = \[-0.5, 1.5\]\)"
    ):
        validation.check_stochastic(negative, show_row=True)
    # Rows 1e-7 from 1, as a table written with seven decimals, are within the tolerance.
    thirds = torch.tensor([[0.3333333, 0.6666666]] * 2, dtype=torch.float64)
    assert validation.check_stochastic(thirds, show_row=True) is thirds
