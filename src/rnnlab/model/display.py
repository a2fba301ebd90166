"""How a value of the equations shows itself in Jupyter, with no HTML written here.

``Trace``, ``Gradients`` and ``BigramLM`` answer Jupyter's ``_repr_html_`` with
``html(self)``. The drawing belongs to the render layer: the package names the module
that draws (``drawn_in``) when it loads, that module is imported at the first display,
and it registers one function per kind of value (``draws``). A value nobody draws shows
as its repr: ``_repr_html_`` returning None tells Jupyter so.
"""

import importlib
from collections.abc import Callable

_DRAW: dict[type, Callable[[object], str]] = {}
_PENDING: list[str] = []


def drawn_in(module: str) -> None:
    """Name the module whose import registers the drawing functions (imported on first use)."""
    _PENDING.append(module)


def draws(kind: type) -> Callable[[Callable], Callable]:
    """Register the decorated function as the HTML of every value of class ``kind``."""

    def register(draw: Callable) -> Callable:
        _DRAW[kind] = draw
        return draw

    return register


def html(value: object) -> "str | None":
    """The HTML of ``value`` as its registered function draws it, or None if none does."""
    while _PENDING:
        importlib.import_module(_PENDING.pop())
    draw = _DRAW.get(type(value))
    return None if draw is None else draw(value)
