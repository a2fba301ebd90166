"""The ``rnnlab`` command: one Typer app, one module per group of commands.

``rnnlab run`` (run.py) carries out the lab on its worked example; the other modules
add commands that do the same for a user's own inputs. Bad input, reported by the
library as InvalidValueError or InvalidTypeError, and a file that cannot be read or
written (OSError) become one line on stderr and exit status 2; any other exception is a
bug and keeps its traceback.
"""

import sys

import typer
from typer.core import TyperGroup

from rnnlab.errors import InvalidTypeError, InvalidValueError

# The order `rnnlab --help` lists the commands in: the lab first, as a student meets it.
_ORDER = ("run", "graph", "grad", "formula", "bigram", "train", "notebook")


class _InLabOrder(TyperGroup):
    def list_commands(self, ctx: typer.Context) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: _ORDER.index(name) if name in _ORDER else len(_ORDER))


app = typer.Typer(
    cls=_InLabOrder,
    help="Compute, see and check every step of a lab on recurrent neural networks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _commands() -> None:
    """rnnlab: the lab on recurrent neural networks as software. Start with `rnnlab run`."""


def main() -> None:
    """Entry point of the ``rnnlab`` command."""
    try:
        app()
    except (InvalidValueError, InvalidTypeError, OSError) as error:
        # OSError: a file that cannot be read or written, which the user can fix.
        print(f"rnnlab: error: {error}", file=sys.stderr)
        sys.exit(2)


# Each module below adds its commands to ``app`` when imported.
from rnnlab.cli import (  # noqa: E402
    bigram,  # noqa: F401
    grad,  # noqa: F401
    graph,  # noqa: F401
    notebook,  # noqa: F401
    run,  # noqa: F401
    train,  # noqa: F401
)
