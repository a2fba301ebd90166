"""The word types of a model: token ↔ id, and its start, end and unknown-word symbols.

A single sequence of tokens is mapped by a dict; a whole text (rnnlab.bigram.text.Tokens) by a
compiled hash table over the tokens' UTF-8 bytes, built once per vocabulary.
"""

from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np

from rnnlab.bigram.text import Tokens
from rnnlab.errors import InvalidTypeError, InvalidValueError


class Vocabulary:
    """V distinct word types, tokens[i] the word of id i; bos, eos, unk: the symbols in
    use (each one of the tokens) or None."""

    def __init__(
        self,
        tokens: Sequence[str],
        bos: str | None = None,
        eos: str | None = None,
        unk: str | None = None,
        size: int | None = None,
    ) -> None:
        self.tokens = check_tokens(tokens, size)
        self.bos, self.eos, self.unk = check_specials(bos, eos, unk)
        self._index = {token: i for i, token in enumerate(self.tokens)}
        for name, symbol in (("bos", bos), ("eos", eos), ("unk", unk)):
            if symbol is not None and symbol not in self._index:
                raise InvalidValueError(f"{name} {symbol!r} is not in the vocabulary")

    def __len__(self) -> int:
        return len(self.tokens)

    def id(self, symbol: str | None) -> int | None:
        """The id of a symbol, None for None."""
        return None if symbol is None else self._index[symbol]

    def sequence_ids(self, tokens: Sequence[object]) -> np.ndarray:
        """The ids (N,) of one sequence of tokens; unknown words as unk (or an error)."""
        ids = np.fromiter((self._index.get(t, -1) for t in tokens), np.int64, len(tokens))
        for position in np.flatnonzero(ids < 0).tolist():
            token = tokens[position]
            if not isinstance(token, str):
                raise InvalidTypeError(
                    f"tokens must be strings, got {token!r} at position {position + 1}"
                )
        return self._known(ids, lambda where: (tokens[where], f"position {where + 1}"))[0]

    def text_ids(self, text: Tokens) -> tuple[np.ndarray, int]:
        """The ids (T,) of every token of a text, and how many were unknown (as unk)."""
        import rnnlab.bigram.kernels as kernels  # numba, loaded on first use

        ids = kernels.lookup(text.data, text.starts, text.ends, *self._table)
        return self._known(ids, lambda where: _place(text, where))

    def _known(
        self, ids: np.ndarray, place: Callable[[int], tuple[object, str]]
    ) -> tuple[np.ndarray, int]:
        unknown = ids < 0
        count = int(np.count_nonzero(unknown))
        if count and self.unk is None:
            token, where = place(int(np.flatnonzero(unknown)[0]))
            raise InvalidValueError(
                f"unknown token {token!r} at {where}; not in the vocab "
                "(and the model has no unknown-word token)"
            )
        if count:
            ids[unknown] = self._index[self.unk]
        return ids, count

    @cached_property
    def _table(self) -> tuple[np.ndarray, ...]:
        """The words' UTF-8 bytes, their spans, and the hash table's slots and hashes."""
        import rnnlab.bigram.kernels as kernels  # numba, loaded on first use

        encoded = [token.encode("utf-8", "surrogatepass") for token in self.tokens]
        ends = np.cumsum([len(word) for word in encoded], dtype=np.int64)
        starts = ends - np.array([len(word) for word in encoded], dtype=np.int64)
        words = np.frombuffer(b"".join(encoded) or b"\0", dtype=np.uint8)
        slots, hashes = kernels.word_table(words, starts, ends, kernels.capacity(len(encoded)))
        return words, starts, ends, slots, hashes


def _place(text: Tokens, where: int) -> tuple[str, str]:
    """The token at index ``where`` of a text, and where it is (position, sentence)."""
    ends = np.cumsum(text.lengths)
    sentence = int(np.searchsorted(ends, where, side="right"))
    position = where - int(ends[sentence] - text.lengths[sentence])
    token = text.words(np.array([where]))[0]
    return token, f"position {position + 1}" + (
        f" of sentence {sentence + 1}" if len(text) > 1 else ""
    )


def check_tokens(tokens: Sequence[str], size: int | None = None) -> tuple[str, ...]:
    """tokens as a tuple of distinct strings (``size`` of them, where given)."""
    if isinstance(tokens, str):
        raise InvalidTypeError(
            f"vocab is the string {tokens!r:.40}, expected a list of words ({list(tokens[:3])}"
            " would be read letter by letter)"
        )
    try:
        tokens = tuple(tokens)
    except TypeError:
        raise InvalidTypeError(f"vocab must be a list of strings, got {tokens!r:.80}") from None
    for token in tokens:
        if not isinstance(token, str):
            raise InvalidTypeError(f"vocab must be a list of strings, it holds {token!r}")
    if size is not None and len(tokens) != size:
        raise InvalidValueError(f"vocab has {len(tokens)} tokens, expected {size} (the size of T)")
    if not tokens:
        raise InvalidValueError("vocab is empty, expected at least one word")
    if len(set(tokens)) != len(tokens):
        seen: set[str] = set()
        duplicate = next(token for token in tokens if token in seen or seen.add(token))
        raise InvalidValueError(f"vocab lists {duplicate!r} twice")
    return tokens


def check_specials(*symbols: str | None) -> tuple[str | None, ...]:
    """bos, eos and unk: each a non-empty string or None, no two the same."""
    present = [symbol for symbol in symbols if symbol is not None]
    for symbol in present:
        if not isinstance(symbol, str) or symbol == "":
            raise InvalidValueError(
                f"bos, eos and unk must be non-empty strings or None, got {symbol!r}"
            )
    if len(set(present)) != len(present):
        raise InvalidValueError(f"bos, eos and unk must differ, got {present}")
    return symbols
