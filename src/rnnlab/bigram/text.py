"""Plain text into sentences of tokens: the small, fixed tokenizer of the bigram commands.

The rules, applied in this order:

1. The text is lower-cased (``str.lower``), so "The" and "the" are one word type.
2. A sentence ends after ".", "!" or "?" (and one closing quote or bracket right
   after it) when whitespace follows, and at every blank line, so a heading or a
   paragraph without a final full stop is a sentence of its own.
3. Inside a sentence a token is either a word — a run of letters, digits or
   underscores, keeping an apostrophe or hyphen between two such runs ("don't",
   "well-known") — or any other single character that is not whitespace (".", ",",
   "—", "$").

So no token holds whitespace, and a sentence joined by single spaces is one line of the
usual one-sentence-per-line format that KenLM and NLTK read. Abbreviations such as
"No. 1" end a sentence early; the rules trade that for being short and predictable.

``sentences`` applies the rules with two regular expressions.
"""

import os
import re
from pathlib import Path

from rnnlab.errors import InvalidTypeError, InvalidValueError

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'’”)\]]))\s+|" + _BLANK_LINE.pattern)
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")


def sentences(text: str) -> list[list[str]]:
    """The sentences of ``text``, each a list of tokens, by the rules above; none is empty."""
    if not isinstance(text, str):
        raise InvalidTypeError(f"text must be a str, got {type(text).__name__}")
    pieces = (_TOKEN.findall(piece) for piece in _SENTENCE_BREAK.split(text.lower()))
    return [tokens for tokens in pieces if tokens]


def read_text(path: "str | os.PathLike[str]") -> str:
    """The contents of a UTF-8 text file, without a leading byte-order mark.

    Bytes that are not UTF-8 raise InvalidValueError naming the file and the byte offset.
    """
    return _decode(path, Path(path).read_bytes())


def _decode(path: "str | os.PathLike[str]", data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidValueError(
            f"{path} is not UTF-8 text: byte {error.start} (0x{data[error.start]:02x}) "
            f"cannot be decoded ({error.reason})"
        ) from None
    return text.removeprefix("\ufeff")
