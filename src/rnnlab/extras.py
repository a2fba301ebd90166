"""rnnlab's extras: what only some commands need, and one line saying which to install.

``pip install rnnlab`` gives the library and ``rnnlab run``; ``rnnlab[grading]`` adds what
``rnnlab notebook build`` and ``grade`` run (otter, nbclient, a Jupyter kernel), and
``rnnlab[notebook]`` Jupyter and the sliders of ``rnnlab.explore()``.
"""

import importlib.util

EXTRAS = {
    "grading": ("otter", "nbclient", "nbformat", "ipykernel"),
    "notebook": ("jupyterlab", "ipywidgets"),
}
"""Each extra, by the modules it installs."""


class MissingExtraError(ModuleNotFoundError):
    """A feature needs an extra of rnnlab that is not installed; the message says which."""


def require(extra: str, what: str) -> None:
    """Raise MissingExtraError naming ``extra`` when one of its modules is missing.

    what: the feature that needs it, as the message starts ("rnnlab notebook build").
    """
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(
            f"{what} needs rnnlab's [{extra}] extra, and {missing[0]} is not installed: "
            f"pip install 'rnnlab[{extra}]'",
            name=missing[0],
        )
