"""The ``rnnlab`` command: one Typer app, one module per group of commands.

``rnnlab run`` (run.py) carries out the lab on its worked example; the other modules
add commands that do the same for a user's own inputs. Bad input, reported by the
library as InvalidValueError or InvalidTypeError, and a file that cannot be read or
written (OSError) become one line on stderr and exit status 2; any other exception is a
bug and keeps its traceback. Ctrl-C, at any moment, is one line and exit status 130;
SIGTERM is handled as Ctrl-C is and ends with exit status 143 (``rnnlab.interrupts``).

Start-up is kept short (``rnnlab --help`` and ``--version`` well under a second): a
command's module is imported only when that command runs (or shows its own help), and
the modules import torch, matplotlib, sympy and rnnlab's math modules inside the
commands. ``rnnlab --help`` lists the commands from COMMANDS below.
"""

import importlib
import signal
import sys

import typer
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

import rnnlab
from rnnlab import interrupts
from rnnlab.cli import help_text
from rnnlab.errors import InvalidTypeError, InvalidValueError
from rnnlab.extras import MissingExtraError

help_text.apply()

INTERRUPTED = 128 + signal.SIGINT
"""Exit status after Ctrl-C, as shells report a process ended by SIGINT: 130."""

# Every command: the module of rnnlab.cli that defines it, and the line `rnnlab --help`
# shows for it (test_cli checks each against the command's own help). In the order a
# student meets them in the lab.
COMMANDS = {
    "run": (
        "run",
        "Carry out the whole lab and print each section's results (worked example by default).",
    ),
    "example": (
        "example",
        "Write the lab's worked example as a commented file for `rnnlab run --example FILE`.",
    ),
    "graph": (
        "graph",
        "Draw the unrolled RNN of N steps and, up to 30 steps, autograd's graph of its loss.",
    ),
    "grad": (
        "grad",
        "dL/dU, dL/dV, dL/dW, dL/dh0 three ways, and the paths: random, --lab or --example FILE.",
    ),
    "formula": (
        "formula",
        "dL/dU (or dL/dV, dL/dW) for a sequence of length N, in the lab's notation.",
    ),
    "bigram": ("bigram", "Bigram language models of plain-text files: fit, score, sample, prob."),
    "train": (
        "train",
        "Train an RNN on sequences sampled from a bigram model and compare it with T.",
    ),
    "notebook": (
        "notebook",
        "The lab as an autograded notebook: build the student and autograder versions, grade.",
    ),
}


class _LoadedWhenRun(TyperGroup):
    """The commands, each module imported only when its command is run.

    Listing them (``rnnlab --help``) shows COMMANDS' lines without importing anything;
    running one imports its module, which adds its commands to ``app``, and Typer then
    turns those into Click commands.
    """

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: typer.Context, name: str) -> "TyperCommand | None":
        if name in self.commands:
            return self.commands[name]
        if name in COMMANDS:  # listed, not loaded: its line of help is all that is asked
            return TyperCommand(name, help=COMMANDS[name][1])
        return None

    def resolve_command(
        self, ctx: typer.Context, args: list[str]
    ) -> "tuple[str | None, TyperCommand | None, list[str]]":
        if args and args[0] in COMMANDS and args[0] not in self.commands:
            importlib.import_module(f"rnnlab.cli.{COMMANDS[args[0]][0]}")
            self.commands.update(typer.main.get_command(app).commands)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=_LoadedWhenRun,
    help="Compute, see and check every step of a lab on recurrent neural networks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        print(f"rnnlab {rnnlab.__version__}")
        raise typer.Exit()


@app.callback()
def _commands(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print rnnlab's version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """rnnlab: the lab on recurrent neural networks as software. Start with `rnnlab run`."""


def main() -> None:
    """Entry point of the ``rnnlab`` command.

    Typer runs outside its standalone mode so that its own usage errors (an unknown
    option, a value of the wrong type) come back here and are reported like every other
    bad input: one line on stderr, exit status 2, instead of a framed box. Ctrl-C while
    this module loads is caught by ``rnnlab.__main__.main``, which calls this one.
    """
    restore = interrupts.install()
    try:
        _run()
    finally:  # for a caller in the same process (the tests): their handlers back
        restore()


def _run() -> None:
    try:
        status = app(standalone_mode=False)
    except KeyboardInterrupt:  # outside a command: while Typer builds or parses
        interrupts.exit_interrupted()
    except (InvalidValueError, InvalidTypeError, OSError, MissingExtraError) as error:
        # OSError: a file that cannot be read or written, which the user can fix;
        # MissingExtraError: an extra of rnnlab to install.
        _fail(str(error))
    except typer.Abort:
        print("rnnlab: aborted", file=sys.stderr)
        sys.exit(1)
    except TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":
            # `rnnlab` alone: Typer's rich help has already gone to stdout.
            sys.exit(2)
        _fail(" ".join(error.format_message().split()))
    # Typer's answer to a KeyboardInterrupt inside a command is status 130, said silently;
    # a signal whose exception Python dropped (raised in a __del__) is still reported.
    if status == INTERRUPTED or interrupts.received() is not None:
        interrupts.exit_interrupted()
    sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str) -> None:
    print(f"rnnlab: error: {one_line(message)}", file=sys.stderr)
    sys.exit(2)


def one_line(message: str) -> str:
    """message on one line: a line break or other control character a user typed into a
    file name or argument is shown escaped (\\r, \\n) rather than breaking the line."""
    return "".join(
        character if character.isprintable() else character.encode("unicode_escape").decode()
        for character in message
    )
