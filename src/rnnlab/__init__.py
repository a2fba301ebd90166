"""rnnlab: compute, see and check every step of a lab on recurrent neural networks.

Every public name is loaded on first use (PEP 562's module ``__getattr__``), so that
``import rnnlab`` costs nothing: the ``rnnlab`` command's ``--help`` and ``--version``
must not wait for torch, sympy or matplotlib. ``from rnnlab import ElmanRNN`` works as
usual; it imports ``rnnlab.rnn`` (and torch) at that moment.
"""

import importlib
import sys
import types

__version__ = "0.1.0"

# Public name → the module that defines it.
_NAMES = {
    "Activation": "rnnlab.activations",
    "BigramLM": "rnnlab.bigram",
    "sequence_probability": "rnnlab.bigram",
    "Gradients": "rnnlab.bptt",
    "bptt": "rnnlab.bptt",
    "count_paths": "rnnlab.graph_paths",
    "next_token_targets": "rnnlab.bptt",
    "path_contributions": "rnnlab.bptt",
    "paths": "rnnlab.graph_paths",
    "bigram_rnn": "rnnlab.construction",
    "InvalidTypeError": "rnnlab.errors",
    "InvalidValueError": "rnnlab.errors",
    "ElmanRNN": "rnnlab.rnn",
    "Trace": "rnnlab.rnn",
    "explore": "rnnlab.explore",
}
# Submodules reached as attributes: rnnlab.formulas (sympy), rnnlab.graphs (graphviz), ...
_SUBMODULES = ("formulas", "graphs", "lab")

__all__ = sorted([*_NAMES, *_SUBMODULES])


def __getattr__(name: str) -> object:
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value  # once loaded, a plain attribute: no second look-up
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"rnnlab.{name}")
    raise AttributeError(f"module 'rnnlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """This package, keeping its functions where a submodule of the same name is imported.

    ``rnnlab.bptt`` and ``rnnlab.explore`` are functions living in modules of the same
    name. Importing such a module makes the import system set the package's attribute to
    the module, which would hide the function; that one assignment is skipped, so the
    attribute is looked up (and the function found) by ``__getattr__`` above.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _NAMES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
