"""The exceptions rnnlab raises for bad input.

They subclass ValueError and TypeError, so ``except ValueError`` works as usual; the
command line catches exactly these and turns them into one line and exit status 2,
while any other exception (a bug) keeps its traceback.
"""


class InvalidValueError(ValueError):
    """An input has the right kind but a wrong value, shape or size."""


class InvalidTypeError(TypeError):
    """An input is the wrong kind of thing."""
