"""Public names that load on first use: a package's module ``__getattr__`` (PEP 562).

``import rnnlab`` (and so ``rnnlab --help``) then waits for no torch, and the notebook's
test cells, which import only ``rnnlab.grading.plain``, run from the hand-out wheel, which
holds no checks.
"""

import importlib
import sys
from collections.abc import Callable, Mapping


def on_first_use(
    package: str, homes: Mapping[str, str], modules: "Mapping[str, str] | None" = None
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: each name of ``homes`` is
    looked up in its module (name → module) and each of ``modules`` is that module
    itself, imported on first use and a plain attribute from then on."""
    modules = modules or {}
    namespace = sys.modules[package].__dict__

    def attribute(name: str) -> object:
        if name in homes:
            value = getattr(importlib.import_module(homes[name]), name)
        elif name in modules:
            value = importlib.import_module(modules[name])
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted({*namespace, *homes, *modules})

    return attribute, names
