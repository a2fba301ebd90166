"""The word types of a model: token ↔ id, and its start, end and unknown-word symbols.

Tokens are mapped to ids by one dict, whether one sequence or a whole text.
"""

from collections.abc import Callable, Iterable, Sequence
from itertools import chain

import numpy as np

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
        self._index = _Ids(zip(self.tokens, range(len(self.tokens)), strict=True))
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

        def place(where: int) -> tuple[object, str]:
            return tokens[where], f"position {where + 1}"

        ids = self._lookup(tokens, len(tokens), lambda: tokens)
        return self._known(ids, lambda: tokens, place)[0]

    def text_ids(self, sentences: list, lengths: np.ndarray) -> tuple[np.ndarray, int]:
        """The ids (T,) int32 of every token of sentences laid end to end (sentence s
        holding lengths[s] tokens), and how many were unknown (as unk). int32 is the
        dtype of the pair keys of all but the largest vocabularies (counts.key_dtype),
        so the ids go into the keys without a copy."""

        def listed() -> list:
            return list(chain.from_iterable(sentences))

        ids = self._lookup(chain.from_iterable(sentences), int(lengths.sum()), listed, np.int32)

        def place(where: int) -> tuple[object, str]:
            ends = np.cumsum(lengths)
            sentence = int(np.searchsorted(ends, where, side="right"))
            position = where - int(ends[sentence] - lengths[sentence])
            return sentences[sentence][position], f"position {position + 1}" + (
                f" of sentence {sentence + 1}" if len(sentences) > 1 else ""
            )

        return self._known(ids, listed, place)

    def _lookup(
        self,
        tokens: Iterable[object],
        total: int,
        listed: Callable[[], Sequence[object]],
        dtype: type = np.int64,
    ) -> np.ndarray:
        """The id of each of the ``total`` tokens (T,), −1 for a token outside the
        vocabulary; an unhashable token is named. ``listed()``: the tokens as a list, made
        only where one is needed for a message."""
        try:
            # Straight into an array of known length: no list of T Python ints in between.
            ids = np.fromiter(map(self._index.__getitem__, tokens), dtype, total)
        except TypeError:  # an unhashable token (a list)
            check_tokens_are_strings(listed())
            raise
        return ids

    def _known(
        self,
        ids: np.ndarray,
        listed: Callable[[], Sequence[object]],
        place: Callable[[int], tuple[object, str]],
    ) -> tuple[np.ndarray, int]:
        """ids with the unknown tokens (−1) as unk, and how many there were; a token that
        is not a str is named, and so is an unknown word where the model has no unk."""
        if ids.min(initial=0) >= 0:  # one pass, no mask, for the usual text without unknowns
            return ids, 0
        unknown = ids < 0
        every = listed()
        check_tokens_are_strings(every[i] for i in np.flatnonzero(unknown).tolist())
        count = int(np.count_nonzero(unknown))
        if self.unk is None:
            token, where = place(int(np.flatnonzero(unknown)[0]))
            raise InvalidValueError(
                f"unknown token {token!r} at {where}; not in the vocab "
                "(and the model has no unknown-word token)"
            )
        ids[unknown] = self._index[self.unk]
        return ids, count


class _Ids(dict):
    """A dict from token to id whose missing tokens read as −1, so that a whole text is
    looked up in one pass (``map(ids.__getitem__, tokens)``) and the unknown found after."""

    def __missing__(self, token: object) -> int:
        return -1


def check_tokens_are_strings(tokens: Iterable[object]) -> None:
    """Raise InvalidTypeError naming the first token that is not a str."""
    for token in tokens:
        if not isinstance(token, str):
            raise InvalidTypeError(f"tokens must be strings, got {token!r:.80}")


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
