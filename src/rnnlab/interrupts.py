"""Ctrl-C and SIGTERM in the ``rnnlab`` command: KeyboardInterrupt, never where it is lost.

Python's own handler raises KeyboardInterrupt wherever the program is. Sent in the
command's first seconds, Ctrl-C so left numpy half-imported (the command then ended in
a RecursionError), broke a numba dispatcher (SystemError) or an llvmlite object (a
traceback from its ``__del__``), or was raised in a callback whose exceptions Python
ignores (a ``__del__``, importlib's lock clean-up, llvmlite's ctypes callbacks) and the
command carried on to exit status 0. Of 60 tries in the first half-second on a busy
machine, 10 went one of those ways.

``install()`` sets a handler for SIGINT and SIGTERM that raises KeyboardInterrupt at
once, unless the program is inside code that does not survive it (``FRAGILE``: Python's
imports, numba and its compiler llvmlite) or inside a ``held()`` stretch (a file being
written and renamed into place): then it notes the signal and looks again every
``RETRY`` seconds (SIGALRM). An interrupt that Python would ignore, it raises
again the same way. SIGTERM (``kill``, a scheduler's limit) becomes KeyboardInterrupt
too, so that files and sandboxes are cleaned up as they are after Ctrl-C;
``exit_interrupted()`` says which came.
"""

import functools
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import NoReturn

RETRY = 0.05
"""Seconds between two looks at whether the program has left fragile code."""
FRAGILE = ("<frozen importlib", f"{os.sep}llvmlite{os.sep}", f"{os.sep}numba{os.sep}")
"""Where code runs that an interrupt leaves broken: a part of its file's name."""


@dataclass
class _Interrupt:
    """The signal that came (None: none yet), and what has become of it."""

    signal: "signal.Signals | None" = None
    raised: bool = False
    """Whether its KeyboardInterrupt is out (and not lost since)."""
    holding: int = 0
    """How many ``held()`` stretches are under way."""
    exiting: bool = False
    """Whether ``exit_interrupted`` has run: nothing more is raised."""

    def reset(self) -> None:
        self.signal, self.raised, self.holding, self.exiting = None, False, 0, False


_interrupt = _Interrupt()
_UNRAISABLE = -1
"""``install``'s key for the ``sys.unraisablehook`` it replaced."""


def install() -> dict[int, object]:
    """Handle SIGINT and SIGTERM as above; the handlers they had, for ``restore``.

    Installed already (``python -m rnnlab`` installs it before ``rnnlab.cli.main`` does),
    it changes nothing and returns nothing to restore.
    """
    names = (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)
    if signal.getsignal(signal.SIGINT) is _handle:
        return {}
    _interrupt.reset()
    previous = {name: signal.getsignal(name) for name in names}
    previous[_UNRAISABLE] = sys.unraisablehook
    for name in names:
        signal.signal(name, _handle)
    sys.unraisablehook = functools.partial(_unraisable, sys.unraisablehook)
    return previous


def restore(previous: dict[int, object]) -> None:
    """Put back the handlers ``install`` replaced (those Python can put back)."""
    if not previous:
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    sys.unraisablehook = previous[_UNRAISABLE]
    for name, handler in previous.items():
        # None: a handler set outside Python, which Python cannot put back.
        if name != _UNRAISABLE and handler is not None:
            signal.signal(name, handler)
    _interrupt.reset()


def leave(previous: dict[int, object]) -> None:
    """The command's work is over and the process ends: from here SIGINT and SIGTERM end
    it at once, as the operating system does for any program, rather than raise
    KeyboardInterrupt into Python's shutdown (an "Exception ignored" traceback from an
    atexit callback). After ``exit_interrupted`` they stay ignored. The unraisable hook
    stays, to keep the complaints of objects an interrupt left half-made quiet."""
    if not previous:
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    for name in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(name) is _handle:
            signal.signal(name, signal.SIG_DFL)


@contextmanager
def held() -> Iterator[None]:
    """A stretch of work an interrupt waits for, such as writing a file to a temporary
    name and renaming it into place: stopped inside, it would leave the temporary file.
    It has effect where ``install`` set the handler (the command line)."""
    _interrupt.holding += 1
    try:
        yield
    finally:
        _interrupt.holding -= 1


def pending() -> bool:
    """Whether a signal came whose KeyboardInterrupt is still held back: the command
    finished its work inside fragile code (numba loading its kernels) before the next
    look. It was interrupted all the same, and says so."""
    return _interrupt.signal is not None and not _interrupt.raised


def exit_interrupted() -> NoReturn:
    """One line on stderr and exit status 130 (Ctrl-C) or 143 (SIGTERM), as shells report
    a process those signals ended; either signal, coming again, is ignored."""
    _interrupt.exiting = True
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stopped_by = _interrupt.signal or signal.SIGINT
    word = "terminated" if stopped_by == signal.SIGTERM else "interrupted"
    print(f"rnnlab: {word}", file=sys.stderr)
    sys.exit(128 + stopped_by)


def _handle(number: int, frame: "FrameType | None") -> None:
    if _interrupt.exiting:
        return
    if number != signal.SIGALRM and _interrupt.signal is None:
        _interrupt.signal = signal.Signals(number)
    if _interrupt.signal is None:  # an alarm that was not ours to answer
        return
    if _interrupt.holding or _in_fragile_code(frame):
        signal.setitimer(signal.ITIMER_REAL, RETRY)
        return
    _interrupt.raised = True
    raise KeyboardInterrupt


def _unraisable(
    hook: "Callable[[sys.UnraisableHookArgs], object]", unraisable: "sys.UnraisableHookArgs"
) -> None:
    """An exception Python ignores (raised in a ``__del__`` or a callback).

    The interrupt itself is raised again shortly, from where it is not lost. Once it is
    out, any other is dropped: an object it left half-made complaining as it is
    collected (pyparsing's ``Forward.__del__``, "no attribute 'expr'", after Ctrl-C in
    ``rnnlab train``). Otherwise it goes on to ``hook``.
    """
    swallowed = unraisable.exc_type is KeyboardInterrupt and _interrupt.signal is not None
    if swallowed and not _interrupt.exiting:
        _interrupt.raised = False
        signal.setitimer(signal.ITIMER_REAL, RETRY)
    elif not (_interrupt.raised or _interrupt.exiting):
        hook(unraisable)


def _in_fragile_code(frame: "FrameType | None") -> bool:
    """Whether the main thread, at ``frame``, runs code named in FRAGILE."""
    while frame is not None:
        if any(part in frame.f_code.co_filename for part in FRAGILE):
            return True
        frame = frame.f_back
    return False
