"""The exceptions rnnlab raises for bad input, and how their messages write shapes.

They subclass ValueError and TypeError, so ``except ValueError`` works as usual; the
command line catches exactly these and turns them into one line and exit status 2,
while any other exception (a bug) keeps its traceback.
"""

from collections.abc import Sequence
from typing import Protocol


class _Shaped(Protocol):
    """Anything with a shape: a torch tensor or a numpy array (no import of either here:
    this module is loaded by the command line before it knows it needs torch)."""

    @property
    def shape(self) -> Sequence[int]: ...


def shape_text(tensor: _Shaped) -> str:
    """A tensor's shape as an error message writes it: (3,) or (2, 5)."""
    dims = tuple(tensor.shape)
    return f"({dims[0]},)" if len(dims) == 1 else str(dims)


class InvalidValueError(ValueError):
    """An input has the right kind but a wrong value, shape or size."""


class InvalidTypeError(TypeError):
    """An input is the wrong kind of thing."""
