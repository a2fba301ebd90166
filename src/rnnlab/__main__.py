"""``python -m rnnlab`` and the ``rnnlab`` command's entry point.

The command line's modules are imported inside ``main``, so that Ctrl-C while they load
(typer, rich) is already one line and exit status 130 rather than a traceback.
"""

import signal
import sys


def main() -> None:
    try:
        from rnnlab.cli import main as run_command

        run_command()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("rnnlab: interrupted", file=sys.stderr)
        sys.exit(128 + signal.SIGINT)


if __name__ == "__main__":
    main()
