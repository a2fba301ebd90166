"""Ctrl-C and SIGTERM in the ``rnnlab`` command: one line, exit status 130 or 143.

``install()`` makes SIGINT raise KeyboardInterrupt, as Python's own handler does, and
SIGTERM ``Terminated``, a KeyboardInterrupt, so that a scheduler's ``kill`` unwinds the
command as Ctrl-C does: every ``finally`` runs, and temporary files and sandboxes are
cleaned up. Both note the signal, so the command's top level can say which came, even
where Python dropped the exception (raised inside a ``__del__``) and the command ran on.
``held()`` keeps a file's write-and-rename whole: a signal that comes inside it is acted
on once the stretch is over. The start-up of every C extension module is held so while
the handlers are installed.

A signal ignored when the command starts stays ignored, as Python leaves it: a shell
starts a background job (``rnnlab run &`` in a script) with SIGINT ignored, so that the
Ctrl-C meant for the job in front does not end it.
"""

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.machinery import ExtensionFileLoader
from typing import NoReturn

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM came: unwound as Ctrl-C is, reported with exit status 143."""


_received: list[signal.Signals] = []
"""The signals that came since ``install``, in order."""


def install() -> Callable[[], None]:
    """SIGINT raises KeyboardInterrupt and SIGTERM ``Terminated``, each unless it is
    ignored; returns what puts back the handlers there were. Installed again inside its
    own install (``python -m rnnlab`` installs it before ``rnnlab.cli.main`` does), it
    keeps the signals already noted."""
    previous = {number: signal.getsignal(number) for number in _SIGNALS}
    if previous[signal.SIGINT] is not _interrupt:  # not nested in an install of its own
        _received.clear()
    for number, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(number, _interrupt)
    release = _hold_extension_start_ups()

    def restore() -> None:
        _set(previous)
        release()

    return restore


def _hold_extension_start_ups() -> Callable[[], None]:
    """Hold the signals while a C extension module starts up; returns what undoes it.

    An exception raised inside an extension's start-up (any Python code it runs, numpy's
    imports among them) fails the module for good: matplotlib's image module said
    "ImportError: initialization failed", and torch, which imports numpy from its own
    start-up, took the exception for numpy's absence and left numpy half-imported. Held,
    the signal is acted on once the module is made.
    """
    steps = {name: getattr(ExtensionFileLoader, name) for name in ("create_module", "exec_module")}
    if any(getattr(step, "_rnnlab_held", False) for step in steps.values()):
        return lambda: None  # held by an install this one is nested in

    def holding(step: Callable) -> Callable:
        def held_step(self, *arguments):
            with held():
                return step(self, *arguments)

        held_step._rnnlab_held = True  # type: ignore[attr-defined]
        return held_step

    for name, step in steps.items():
        setattr(ExtensionFileLoader, name, holding(step))
    return lambda: [setattr(ExtensionFileLoader, name, step) for name, step in steps.items()]


def received() -> "signal.Signals | None":
    """The first signal that came since ``install`` (None: none)."""
    return _received[0] if _received else None


def exit_interrupted() -> NoReturn:
    """One line on stderr and exit status 130 (Ctrl-C) or 143 (SIGTERM), as shells report
    a process those signals ended; either signal, coming again, is ignored."""
    for number in _SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    number = received() or signal.SIGINT
    word = "terminated" if number == signal.SIGTERM else "interrupted"
    print(f"rnnlab: {word}", file=sys.stderr)
    sys.exit(128 + number)


@contextmanager
def held() -> Iterator[None]:
    """A stretch that a signal waits for, such as writing a file to a temporary name and
    renaming it into place: stopped inside, it would leave the temporary file behind.

    Outside the main thread, where Python runs no signal handler, it changes nothing. A
    signal that is ignored has nothing to wait for, and one whose handler was set outside
    Python (getsignal gives None) is left to it: Python could not put that handler back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    previous = {
        number: signal.signal(number, lambda number, frame: came.append(number))
        for number in _SIGNALS
        if signal.getsignal(number) not in (signal.SIG_IGN, None)
    }
    try:
        yield
    finally:
        _set(previous)
        if came:  # to the handler it would have met: the command's, Python's, or the default
            signal.raise_signal(came[0])


def _interrupt(number: int, frame: object) -> None:
    _received.append(signal.Signals(number))
    raise Terminated if number == signal.SIGTERM else KeyboardInterrupt


def _set(handlers: "dict[int, object]") -> None:
    for number, handler in handlers.items():
        # None: a handler set outside Python, which Python cannot put back.
        signal.signal(number, signal.SIG_DFL if handler is None else handler)
