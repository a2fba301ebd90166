"""Help in plain words: what kind of value an option takes, as a word a newcomer reads.

Typer names a value by its Python type (``<bool>``, ``<list[str]>``, ``<int range>
[x>=1]``) and an argument in braces (``{text}``). Here every command's help says instead
INTEGER, NUMBER, TEXT, FILE, FOLDER or PATH (or the choices, or the metavar a command
sets), nothing for a flag, and names an argument in capitals: ``rnnlab bigram fit TEXT``.
Applied once, when rnnlab.cli is imported, so every command, present and future, reads
the same.
"""

from typer import core

_WORDS = {"int": "INTEGER", "float": "NUMBER", "str": "TEXT", "bool": "BOOLEAN", "Path": "PATH"}
_PATHS = {"file": "FILE", "dir": "FOLDER", "directory": "FOLDER"}


def _kind(parameter, ctx) -> str:
    """The word for the kind of value ``parameter`` takes; empty for a flag."""
    if getattr(parameter, "is_flag", False):
        return ""
    described = parameter.type_descriptor
    if described.is_choice:
        return "|".join(str(choice) for choice in described.choices or ())
    if described.is_path:
        return _PATHS.get(str(described.path_type), "PATH")
    annotation = described.annotation
    while getattr(annotation, "__args__", None) and getattr(annotation, "__origin__", None):
        annotation = annotation.__args__[0]  # list[str] → str
    return _WORDS.get(getattr(annotation, "__name__", ""), "VALUE")


def _usage_name(argument) -> str:
    """An argument on the usage line: TEXT, [PATH], TOKENS..."""
    name = argument.display_name_raw
    name = name if argument.required else f"[{name}]"
    return name + ("..." if argument.nargs != 1 else "")


def apply() -> None:
    """Install the plain words on Typer's parameters (where this Typer has them)."""
    if hasattr(core._TyperParameter, "display_type"):
        core._TyperParameter.display_type = _kind
    for parameter in (core.TyperOption, core.TyperArgument):
        if hasattr(parameter, "_get_number_range_help_str"):
            # "[x>=1]": the command's error names the least value when one is given
            parameter._get_number_range_help_str = lambda self: None
    if hasattr(core.TyperArgument, "_usage_display_name"):
        core.TyperArgument._usage_display_name = _usage_name
    if hasattr(core.TyperArgument, "display_name_raw"):  # help, usage and errors
        core.TyperArgument.display_name_raw = property(
            lambda argument: (argument.metavar or argument.name).upper()
        )
