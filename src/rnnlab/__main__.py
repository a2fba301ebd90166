"""``python -m rnnlab`` and the ``rnnlab`` command's entry point.

Ctrl-C and SIGTERM are handled (``rnnlab.interrupts``) before the command line's modules
are imported, so that an interruption while they load (typer, rich) is already one line
and exit status 130 or 143. Once the command is done, either signal ends the process at
once, as it ends any program, rather than raise KeyboardInterrupt into Python's shutdown.
"""

import contextlib
import os
import signal
import sys

from rnnlab import interrupts


def main() -> None:
    interrupts.install()
    try:
        try:
            from rnnlab.cli import main as run_command

            run_command()
        except KeyboardInterrupt:
            interrupts.exit_interrupted()
    except SystemExit as exit:
        if interrupts.received() is None:
            raise
        # Interrupted, and unwound: the process ends here, as the signal would end it.
        # In Python's shut-down, objects the interrupt left half-made complain as they are
        # collected, and a KeyboardInterrupt that left a C extension's code makes Python
        # end itself by SIGINT, after the line that says so.
        for stream in (sys.stdout, sys.stderr):
            # A closed pipe or stream: nothing more can be said.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(exit.code if isinstance(exit.code, int) else 1)
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(number) is not signal.SIG_IGN:
                signal.signal(number, signal.SIG_DFL)


if __name__ == "__main__":
    main()
