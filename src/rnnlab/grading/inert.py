"""Student-made text, made inert wherever the grader shows or writes it.

A submission's file name, its error messages and its written answers reach an
instructor's terminal, the score table and Markdown files. Shown raw, an escape
sequence would retitle the terminal or move its cursor, a bidi override would reorder
what is read, a lone surrogate would crash the writing, and Markdown would load a remote
image or carry a link. Here each is shown as an escape instead, and Markdown is quoted
as code, which no viewer turns into an image or a link.
"""

import unicodedata

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def escaped(text: str, keep: str = "") -> str:
    """``text`` with every control, format and bidi character, and every lone surrogate,
    written as an escape (``\\x1b``, ``\\u202e``, ``\\ud800``); those in ``keep`` stay."""
    out = []
    for character in text:
        if character in keep:
            out.append(character)
        elif _unsafe(character):
            code = ord(character)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(character)
    return "".join(out)


def _unsafe(character: str) -> bool:
    if character in _BIDI:
        return True
    # Cc: C0 and C1 controls and DEL; Cf: format characters (zero-width, bidi, BOM);
    # Cs: a lone surrogate; Zl/Zp: the line and paragraph separators.
    return unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def line(text: str, limit: int = 2_000) -> str:
    """One line of plain text for a terminal or a CSV cell: escaped, newlines included,
    and cut at ``limit`` characters (a 10 MB line stays a line)."""
    cut = text[:limit]
    return escaped(cut) + ("…" if len(text) > limit else "")


def code_span(text: str, limit: int = 2_000) -> str:
    """``text`` as one Markdown code span: shown as typed, never as a link or an image."""
    shown = line(text, limit)
    fence = "`" * (_longest_run(shown, "`") + 1)
    padding = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{padding}{shown}{padding}{fence}"


def code_block(text: str) -> str:
    """``text`` as a fenced Markdown block: its lines kept, nothing in it rendered."""
    shown = escaped(text, keep="\n\t")
    fence = "~" * max(3, _longest_run(shown, "~") + 1)
    return f"{fence}text\n{shown}\n{fence}"


def _longest_run(text: str, character: str) -> int:
    longest = run = 0
    for each in text:
        run = run + 1 if each == character else 0
        longest = max(longest, run)
    return longest
