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
from typer.exceptions import TyperException

from rnnlab.errors import InvalidTypeError, InvalidValueError

# The order `rnnlab --help` lists the commands in: the lab first, as a student meets it.
_ORDER = ("run", "example", "graph", "grad", "formula", "bigram", "train", "notebook")


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
    """Entry point of the ``rnnlab`` command.

    Typer runs outside its standalone mode so that its own usage errors (an unknown
    option, a value of the wrong type) come back here and are reported like every other
    bad input: one line on stderr, exit status 2, instead of a framed box.
    """
    try:
        status = app(standalone_mode=False)
    except (InvalidValueError, InvalidTypeError, OSError) as error:
        # OSError: a file that cannot be read or written, which the user can fix.
        _fail(str(error))
    except typer.Abort:
        print("rnnlab: aborted", file=sys.stderr)
        sys.exit(1)
    except TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":
            # `rnnlab` alone: Typer's rich help has already gone to stdout.
            sys.exit(2)
        _fail(" ".join(error.format_message().split()))
    sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str) -> None:
    print(f"rnnlab: error: {message}", file=sys.stderr)
    sys.exit(2)


# Each module below adds its commands to ``app`` when imported.
from rnnlab.cli import (  # noqa: E402
    bigram,  # noqa: F401
    example,  # noqa: F401
    grad,  # noqa: F401
    graph,  # noqa: F401
    notebook,  # noqa: F401
    run,  # noqa: F401
    train,  # noqa: F401
)
