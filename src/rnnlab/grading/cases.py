"""What a check is (``Check``, ``Question``), and the helpers that write a case's inputs
as code for a check's expression and its values as plain data."""

from dataclasses import dataclass

import torch

CHECKS_FORMAT = 2
"""The version of checks.json's layout; the grader refuses any other."""


@dataclass(frozen=True)
class Check:
    """One test case: ``expression`` evaluated on the student's names must give ``expected``.

    The expression may use the student's names, ``torch``, ``rnnlab`` and
    ``rerun_cells(inputs, answers)``, which runs the student's answer cells again on other
    inputs (``plain.rerun_cells``). ``expected`` is plain data (``rnnlab.grading.plain``);
    numbers match within ``tolerance`` × |expected| + ``atol``: a relative tolerance sized
    for float32, whose rounding a correct answer computed in float32 carries.
    """

    expression: str
    expected: object
    message: str
    hidden: bool = False
    tolerance: float = 1e-4
    atol: float = 1e-6


@dataclass(frozen=True)
class Question:
    """A question of the notebook, as in its ``# BEGIN QUESTION`` cell.

    An autograded question has checks; a written one (``written``) is graded by hand.
    """

    name: str
    points: float
    checks: tuple[Check, ...] = ()
    written: bool = False

    @property
    def points_per_check(self) -> float:
        return self.points / len(self.checks) if self.checks else 0.0


def typed(tensor: torch.Tensor) -> torch.Tensor:
    """One of the lab's float32 tensors in float64, with the decimals the lab typed.

    (0.6 in float32 is 0.6000000238...; its shortest decimal form, 7 digits, is 0.6.)
    """
    values = [float(f"{value:.7g}") for value in tensor.reshape(-1).tolist()]
    return torch.tensor(values, dtype=torch.float64).reshape(tensor.shape)


def values_of(tensor: torch.Tensor) -> object:
    """A tensor as plain data in float64."""
    return tensor.detach().to(torch.float64).tolist()


def float64_literal(tensor: torch.Tensor, dtype: str = "torch.float64") -> str:
    """Python source that makes this tensor again, digit for digit, in dtype."""
    return f"torch.tensor({values_of(tensor)!r}, dtype={dtype})"


def float32_literal(tensor: torch.Tensor, requires_grad: bool = False) -> str:
    """Python source for this tensor in float32, as the lab types its tensors."""
    grad = ", requires_grad=True" if requires_grad else ""
    return f"torch.tensor({values_of(tensor)!r}{grad})"


def words_of(tensor: torch.Tensor) -> str:
    """A tensor in the few digits it was typed with: [[0.5, -0.4], [-0.6, 0.3]]."""
    return repr(values_of(tensor))


def stochastic(size: int, generator: torch.Generator, floor: float) -> torch.Tensor:
    """A random size × size table whose rows sum to 1, no entry below about floor / size."""
    T = torch.rand(size, size, generator=generator, dtype=torch.float64) + floor
    return T / T.sum(dim=1, keepdim=True)
