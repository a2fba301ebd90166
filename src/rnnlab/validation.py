"""Checks at the boundary, written once: whole numbers, real numbers, choices, real tensors, sizes.

Each check returns the value it accepted (converted where that helps: a numpy integer
becomes an int) or raises rnnlab's own errors: ``InvalidTypeError`` (a ``TypeError``) for
the wrong kind of thing, ``InvalidValueError`` (a ``ValueError``) for a bad value. The
message names the input and shows the value, so the command line can print it as it is.

``check_memory`` refuses work whose estimated memory is more than this machine can give.
The limit is derived from the machine (the memory available now, as the kernel reports
it), never a fixed constant, so the same call that is refused on a laptop may run on a
server.
"""

import math
import numbers
import operator
import os
from collections.abc import Collection

import torch

from rnnlab.errors import InvalidTypeError, InvalidValueError


def whole_number(name: str, value: object, least: int = 0, most: "int | None" = None) -> int:
    """value as an int, least ≤ value ≤ most; bools and floats are the wrong kind."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} is {value!r}, expected a whole number ≥ {least}")
    number = operator.index(value)
    if number < least:
        raise InvalidValueError(f"{name} is {number}, expected a whole number ≥ {least}")
    if most is not None and number > most:
        raise InvalidValueError(f"{name} is {number}, expected a whole number ≤ {most}")
    return number


def real_number(
    name: str, value: object, positive: bool = False, least: "float | None" = None
) -> float:
    """value as a finite float (> 0 with ``positive``, ≥ ``least`` when given)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} is {value!r}, expected a number")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValueError(f"{name} is {number!r}, expected a finite number")
    if positive and not number > 0:
        raise InvalidValueError(f"{name} is {number!r}, expected a number > 0")
    if least is not None and number < least:
        raise InvalidValueError(f"{name} is {number!r}, expected a number ≥ {least:g}")
    return number


def choice(name: str, value: object, options: Collection[str]) -> str:
    """value, which must be one of the strings in ``options``."""
    known = ", ".join(repr(option) for option in options)
    if not isinstance(value, str):
        raise InvalidTypeError(f"{name} is {value!r}, expected one of {known}")
    if value not in options:
        raise InvalidValueError(f"{name} is {value!r}, expected one of {known}")
    return value


_REAL_DTYPES = frozenset(
    {
        torch.float16,
        torch.bfloat16,
        torch.float32,
        torch.float64,
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
    }
)


def real_tensor(name: str, value: object, finite: bool = True) -> torch.Tensor:
    """value, a tensor of real numbers on a real device (not bool, complex or meta).

    With ``finite`` (the default) a NaN or infinite entry is a bad value too.
    """
    if not isinstance(value, torch.Tensor):
        raise InvalidTypeError(f"{name} is a {type(value).__name__}, expected a tensor")
    if value.dtype not in _REAL_DTYPES:
        raise InvalidTypeError(f"{name} has dtype {value.dtype}, expected real numbers")
    if value.device.type == "meta":
        raise InvalidValueError(f"{name} is on the meta device, which holds no values")
    if finite and value.is_floating_point() and not all_finite(value):
        raise InvalidValueError(f"{name} has a NaN or infinite entry")
    return value


def all_finite(value: torch.Tensor) -> bool:
    """Whether every entry of a floating-point tensor is finite.

    First the sum of the entries, one pass with nothing allocated: it is finite only if
    every entry is (a NaN or ±inf makes it NaN or ±inf). It can also overflow on large
    finite entries, so an infinite or NaN sum is settled by the largest |x|, finite
    unless an entry is infinite, NaN where one is NaN.
    """
    if value.numel() == 0 or math.isfinite(value.detach().sum()):
        return True
    return bool(value.detach().abs().amax() < math.inf)


def available_memory() -> int:
    """Bytes of memory this process can still take: what the kernel says is available now.

    Read from /proc/meminfo (MemAvailable) where there is one, else the physical memory;
    an address-space limit (RLIMIT_AS) set on this process lowers it.
    """
    available = _meminfo_available()
    if available is None:
        available = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            available = min(available, soft)
    except (ImportError, ValueError, OSError):
        pass
    return available


def _meminfo_available() -> "int | None":
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


MEMORY_SHARE = 0.5
"""The share of the available memory one call may plan to take; the rest is headroom."""


def memory_limit() -> int:
    """Bytes one piece of work may be estimated to need: a share of the available memory."""
    return int(available_memory() * MEMORY_SHARE)


def check_memory(what: str, needed: float) -> None:
    """Refuse, before it starts, work estimated to need more memory than the limit.

    ``what`` names the work and its size ("N = 100000000 steps"); ``needed`` is bytes.
    """
    limit = memory_limit()
    if needed > limit:
        raise InvalidValueError(
            f"{what} would need about {format_bytes(needed)} of memory, "
            f"more than the {format_bytes(limit)} this machine can give"
        )


def format_bytes(count: float) -> str:
    """A byte count for people: 512 B, 3.2 MB, 24.3 GB, 1.1e+03 TB."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(count) < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.3g} TB"


ROW_SUM_TOLERANCE = 1e-6
"""How far a row of T may sum from 1: the rounding of a table written with six decimals
(more where T's own dtype rounds more coarsely)."""


def check_stochastic(T: object, name: str = "T", *, show_row: bool = False) -> torch.Tensor:
    """T as a floating tensor, after checking it is square, real, finite, ≥ 0, rows summing to 1.

    Messages count rows and columns from 1, as the lab writes T_ij: row 1 is T[0]. With
    ``show_row`` they show the values of the row at fault too, as a file of the lab's
    numbers writes it: "row 1 of T = [0.5, 0.4] sums to 0.9, expected 1".

    A bigram table, T[i, j] = Pr(v_j | v_i); checked here because the bigram model, its RNN
    construction and the lab's Example all take one.
    """
    if not isinstance(T, torch.Tensor):
        try:
            T = torch.as_tensor(T)
        except (TypeError, ValueError, RuntimeError, OverflowError) as error:
            raise InvalidTypeError(f"{name} must be a matrix of numbers, got {T!r:.80}") from error
    if T.dtype.is_complex or T.dtype == torch.bool:
        raise InvalidTypeError(f"{name} has dtype {T.dtype}, expected real probabilities")
    real_tensor(name, T, finite=False)
    if not T.is_floating_point():
        T = T.to(torch.get_default_dtype())
    if T.ndim != 2 or T.shape[0] != T.shape[1] or T.shape[0] == 0:
        raise InvalidValueError(f"{name} has shape {tuple(T.shape)}, expected a square V × V table")
    _check_rows(T.detach(), name, show_row)
    return T


def _check_rows(T: torch.Tensor, name: str, show_row: bool) -> None:
    """The rule for a stochastic table T (V, V), floating: every entry a probability in
    [0, 1], every row summing to 1 within ROW_SUM_TOLERANCE (more where T's dtype rounds
    more coarsely)."""

    def row(i: int) -> str:
        return f"row {i + 1} of {name}" + (f" = {_show_row(T[i])}" if show_row else "")

    if torch.isnan(T).any():
        i, j = (int(k) for k in torch.isnan(T).nonzero()[0])
        where = f" (in {row(i)})" if show_row else ""
        raise InvalidValueError(f"{name}_({i + 1},{j + 1}) is NaN{where}, expected a probability")
    bad = (T < 0) | (T > 1)
    if bad.any():
        i, j = (int(k) for k in bad.nonzero()[0])
        where = f" (in {row(i)})" if show_row else ""
        raise InvalidValueError(
            f"{name}_({i + 1},{j + 1}) is {T[i, j].item():g}{where}, "
            "expected a probability in [0, 1]"
        )
    sums = T.double().sum(dim=1)
    tolerance = max(ROW_SUM_TOLERANCE, 8 * torch.finfo(T.dtype).eps)
    off = (sums - 1).abs() > tolerance
    if off.any():
        i = int(off.nonzero()[0])
        raise InvalidValueError(f"{row(i)} sums to {sums[i].item():.6g}, expected 1")


def _show_row(row: torch.Tensor) -> str:
    """A row's values as a list, cut short where it is long."""
    text = repr(row.tolist())
    return text if len(text) <= 60 else text[:57] + "…"
