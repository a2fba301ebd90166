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

``sentences`` applies the rules with two regular expressions, the reference to read.
``tokenize`` applies them with a compiled loop (rnnlab.bigram.text_kernel) and gives the same
sentences as ``Tokens``: one UTF-8 buffer and the byte span of each token, so that a
bigram model finds token ids without making a Python string per token.
"""

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain
from pathlib import Path

import numpy as np

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


_SEPARATOR = "\x00"


@dataclass(frozen=True, eq=False)
class Tokens(Sequence):
    """Sentences of tokens in one UTF-8 buffer: token t is ``data[starts[t]:ends[t]]``.

    data: (B,) uint8; starts, ends: (T,) int64 byte offsets; lengths: (S,) int64, the
    tokens of each sentence in order. A Sequence of sentences (lists of str), so it goes
    wherever sentences of tokens go; ``BigramLM.estimate`` and ``score`` read its bytes.
    """

    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    lengths: np.ndarray

    @classmethod
    def from_sentences(cls, sentences: Sequence[Sequence[str]]) -> "Tokens":
        """Sentences of str tokens laid end to end in one buffer (their UTF-8 bytes)."""
        if isinstance(sentences, str):
            raise InvalidTypeError("sentences must be a list of token lists, not one string")
        if isinstance(sentences, Tokens):
            return sentences
        try:
            sentences = list(sentences)
        except TypeError:  # not iterable: a number, a 0-d tensor, None
            raise InvalidTypeError(
                f"sentences must be a list of token lists, got {sentences!r}"
            ) from None
        lengths = _lengths(sentences)
        try:
            joined = _SEPARATOR.join(map(_SEPARATOR.join, sentences))
        except TypeError:  # a token that is not a str: name it
            bad = next(t for t in chain.from_iterable(sentences) if not isinstance(t, str))
            raise InvalidTypeError(f"tokens must be strings, got {bad!r}") from None
        data = np.frombuffer(joined.encode("utf-8", "surrogatepass"), dtype=np.uint8)
        from rnnlab.bigram.text_kernel import split_joined

        starts, ends, exact = split_joined(data, ord(_SEPARATOR), lengths)
        if not exact:  # a token holds the separator itself: measure every token instead
            sizes = np.fromiter(
                (len(t.encode("utf-8", "surrogatepass")) for t in chain.from_iterable(sentences)),
                dtype=np.int64,
            )
            # Each piece is followed by one separator, an empty sentence being one piece.
            ends = np.cumsum(sizes + 1) - 1 + np.repeat(np.cumsum(lengths == 0), lengths)
            starts = ends - sizes
        return cls(data, starts, ends, lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, index: "int | slice") -> "list[str] | list[list[str]]":
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # a negative index counts from the end
        first = int(self.lengths[:index].sum())
        return self._words(first, first + int(self.lengths[index]))

    def __iter__(self) -> Iterator[list[str]]:
        offsets = np.concatenate(([0], np.cumsum(self.lengths)))
        for begin, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
            yield self._words(begin, end)

    def token_count(self) -> int:
        """T, the number of tokens."""
        return len(self.starts)

    def words(self, indices: np.ndarray) -> list[str]:
        """The tokens at the given indices, as str."""
        data = self.data.tobytes()
        return [
            data[self.starts[i] : self.ends[i]].decode("utf-8", "surrogatepass")
            for i in indices.tolist()
        ]

    def _words(self, begin: int, end: int) -> list[str]:
        return self.words(np.arange(begin, end))


def tokenize(text: str) -> Tokens:
    """The sentences of ``text`` by the rules above, as ``sentences(text)`` gives them,
    found by a compiled loop over the lower-cased text's UTF-8 bytes."""
    if not isinstance(text, str):
        raise InvalidTypeError(f"text must be a str, got {type(text).__name__}")
    return _tokenize_utf8(bytearray(text.encode("utf-8", "surrogatepass")), text)


def read_tokens(path: "str | os.PathLike[str]") -> Tokens:
    """``tokenize(read_text(path))``; an ASCII file's bytes are used as they are."""
    data = Path(path).read_bytes()
    if data.isascii():
        return _tokenize_utf8(bytearray(data), None)
    text = _decode(path, data)
    return _tokenize_utf8(bytearray(text.encode("utf-8", "surrogatepass")), text)


def _tokenize_utf8(data: bytearray, text: "str | None") -> Tokens:
    """Tokens of UTF-8 bytes (of ``text``, where it is given; ASCII otherwise)."""
    from rnnlab.bigram import text_kernel

    array = np.frombuffer(data, dtype=np.uint8)
    wide = np.unique(text_kernel.wide_code_points(array))
    if all(chr(point).lower() == chr(point) for point in wide.tolist()):
        text_kernel.lower_ascii(array)  # what str.lower does to such a text, in place
    else:
        array = np.frombuffer(text.lower().encode("utf-8", "surrogatepass"), dtype=np.uint8)
        wide = np.unique(text_kernel.wide_code_points(array))
    wide_flags = np.array([_flags(chr(point)) for point in wide.tolist()], dtype=np.uint8)
    flags = text_kernel.byte_flags(array, _ascii_flags(), wide, wide_flags)
    starts, ends, lengths = text_kernel.tokenize(flags)
    return Tokens(array, starts, ends, lengths)


def _flags(character: str) -> int:
    """The kernel's flags of one character, read off the reference's own expressions."""
    from rnnlab.bigram import text_kernel as k

    word = re.fullmatch(r"\w", character) is not None
    space = re.fullmatch(r"\s", character) is not None
    return (
        k.WORD * word
        | k.SPACE * space
        | k.END * (character in ".!?")
        | k.CLOSE * (character in "\"'’”)]")
        | k.JOIN * (character in "'’-")
        | k.NEWLINE * (character == "\n")
        | k.INLINE_SPACE * (character in " \t\r\f\v")
    )


@cache
def _ascii_flags() -> np.ndarray:
    return np.array([_flags(chr(point)) for point in range(128)], dtype=np.uint8)


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


def _lengths(sentences: list) -> np.ndarray:
    """The number of tokens of each sentence, after checking each is a list of tokens."""
    # One pass over the types, not an isinstance call per sentence: this runs on every text.
    for kind in set(map(type, sentences)):
        if issubclass(kind, str) or not issubclass(kind, Sequence):
            index = next(i for i, sentence in enumerate(sentences) if type(sentence) is kind)
            raise InvalidTypeError(
                f"sentence {index + 1} is a {kind.__name__}, expected a list of tokens"
            )
    return np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
