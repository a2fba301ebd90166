"""``python -m rnnlab`` and the ``rnnlab`` command's entry point.

Ctrl-C and SIGTERM are handled (``rnnlab.interrupts``) before the command line's modules
are imported, so that an interruption while they load (typer, rich) is already one line
and exit status 130 or 143. Once the command is done, either signal ends the process at
once, as it ends any program, rather than raise KeyboardInterrupt into Python's shutdown.
"""

import signal

from rnnlab import interrupts


def main() -> None:
    interrupts.install()
    try:
        from rnnlab.cli import main as run_command

        run_command()
    except KeyboardInterrupt:
        interrupts.exit_interrupted()
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(number) is not signal.SIG_IGN:
                signal.signal(number, signal.SIG_DFL)


if __name__ == "__main__":
    main()
