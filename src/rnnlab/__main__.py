"""``python -m rnnlab`` and the ``rnnlab`` command's entry point.

Ctrl-C and SIGTERM are handled (``rnnlab.interrupts``) before the command line's modules
are imported, so that an interruption while they load (typer, rich) is already one line
and exit status 130 or 143 rather than a traceback or a half-imported module. Once the
command is done, a signal ends the process at once (``interrupts.leave``).
"""

from rnnlab import interrupts


def main() -> None:
    handlers = interrupts.install()
    try:
        from rnnlab.cli import main as run_command

        run_command()
    except KeyboardInterrupt:
        interrupts.exit_interrupted()
    finally:
        interrupts.leave(handlers)


if __name__ == "__main__":
    main()
