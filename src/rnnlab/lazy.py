"""Packages whose public names load on first use (PEP 562's module ``__getattr__``).

``rnnlab.graphs`` uses it so that ``make_dot`` needs only what the student wheel holds;
``rnnlab.grading`` so that a notebook's test cells, which import only
``rnnlab.grading.plain``, run from the hand-out wheel, which holds no checks.

A public name may be a function living in a submodule of the same name
(``rnnlab.grading.build``, ``rnnlab.grading.grade``). Importing such a submodule makes
the import system set the package's attribute to the module, which would hide the
function; the package's class skips that one assignment, so the function is found by
``__getattr__`` instead.
"""

import importlib
import sys
import types
from collections.abc import Callable, Mapping


def load_on_first_use(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Make ``package``'s names (name → module that defines it) load on first use.

    Returns the ``__getattr__`` and ``__dir__`` for the package to bind at its top level.
    """
    namespace = sys.modules[package].__dict__

    def attribute(name: str) -> object:
        if name in homes:
            value = getattr(importlib.import_module(homes[name]), name)
            namespace[name] = value  # once loaded, a plain attribute: no second look-up
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def names() -> list[str]:
        return sorted({*namespace, *homes})

    class Package(types.ModuleType):
        def __setattr__(self, name: str, value: object) -> None:
            if name in homes and isinstance(value, types.ModuleType):
                return
            super().__setattr__(name, value)

    sys.modules[package].__class__ = Package
    return attribute, names
