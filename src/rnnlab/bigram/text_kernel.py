"""The tokenizer of rnnlab.bigram.text compiled with numba, over lower-cased text's UTF-8 bytes.

``rnnlab.bigram.text.sentences`` is the reference: two regular expressions a reader can check
against the rules in its docstring. This kernel walks the same text once, code point by
code point, and gives the same tokens and sentences (tests/test_text.py holds the two
against each other, on the Federalist corpus and on non-ASCII text). It returns byte
spans, not strings, so token ids can be found without making a Python string a token.

Every code point gets a set of flags. For ASCII they come from a table; for the other
code points found in a text, from the same regular expressions the reference uses, so
the two agree on what ``\\w`` and ``\\s`` mean for every character.
"""

from collections.abc import Callable

import numpy as np
from numba import njit


def compiled(function: Callable) -> Callable:
    """``numba.njit`` with its machine code cached on disk where a cache folder can be
    written, and compiled afresh in each process where none can (a grading sandbox)."""
    try:
        return njit(cache=True)(function)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return njit(function)


WORD = 1  # \w: a letter, digit or underscore (str.isalnum() or "_")
SPACE = 2  # \s: whitespace (str.isspace())
END = 4  # . ! ?: may end a sentence
CLOSE = 8  # " ' ’ ” ) ]: may follow the sentence end
JOIN = 16  # ' ’ -: joins two runs of word characters into one word
NEWLINE = 32  # \n
INLINE_SPACE = 64  # [ \t\r\f\v]: may stand between the two newlines of a blank line
CONTINUED = 128  # a byte after the first of its code point's UTF-8 bytes


@compiled
def _code_point(data, i):
    """The code point starting at byte i of UTF-8 data, and the byte after it."""
    lead = data[i]
    if lead < 0x80:
        return np.int64(lead), i + 1
    if lead < 0xE0:
        return (np.int64(lead & 0x1F) << 6) | np.int64(data[i + 1] & 0x3F), i + 2
    if lead < 0xF0:
        value = (np.int64(lead & 0x0F) << 12) | (np.int64(data[i + 1] & 0x3F) << 6)
        return value | np.int64(data[i + 2] & 0x3F), i + 3
    value = (np.int64(lead & 0x07) << 18) | (np.int64(data[i + 1] & 0x3F) << 12)
    value |= np.int64(data[i + 2] & 0x3F) << 6
    return value | np.int64(data[i + 3] & 0x3F), i + 4


@compiled
def wide_code_points(data):
    """Every code point ≥ 128 in UTF-8 data, in order, with repeats (int64)."""
    found = np.empty(len(data), dtype=np.int64)
    count, i = 0, 0
    while i < len(data):
        if data[i] < 0x80:
            i += 1
            continue
        point, i = _code_point(data, i)
        found[count] = point
        count += 1
    return found[:count]


@compiled
def lower_ascii(data):
    """A-Z to a-z in place: str.lower for a text whose other characters it leaves alone."""
    for i in range(len(data)):
        if 65 <= data[i] <= 90:
            data[i] += 32


@compiled
def byte_flags(data, ascii_flags, wide_points, wide_flags):
    """The flags of each byte of UTF-8 data: its code point's at the code point's first
    byte, CONTINUED at the others. wide_points: sorted, every code point ≥ 128 in data."""
    flags = np.empty(len(data), dtype=np.uint8)
    i = 0
    while i < len(data):
        if data[i] < 0x80:
            flags[i] = ascii_flags[data[i]]
            i += 1
            continue
        point, after = _code_point(data, i)
        flags[i] = wide_flags[np.searchsorted(wide_points, point)]
        flags[i + 1 : after] = CONTINUED
        i = after
    return flags


@compiled
def tokenize(flags):
    """Token spans and sentence lengths of lower-cased UTF-8 text, from its byte_flags.

    Returns starts, ends (T,): token t is data[starts[t]:ends[t]]; lengths (S,): the
    tokens of each sentence, none 0. The rules are those of rnnlab.bigram.text.
    """
    n = len(flags)
    starts = np.empty(n, dtype=np.int64)
    ends = np.empty(n, dtype=np.int64)
    lengths = np.empty(n, dtype=np.int64)
    tokens, sentences, in_sentence = 0, 0, 0
    before, last = 0, 0  # the flags of the two code points before byte i
    i = 0
    while i < n:
        first = flags[i]
        if first & SPACE:
            # A run of whitespace ends a sentence after . ! ? (and one closer) or when
            # it holds a blank line: "\n", inline spaces only, "\n".
            ends_sentence = (last & END) != 0 or ((last & CLOSE) != 0 and (before & END) != 0)
            newline = False
            while i < n and flags[i] & (SPACE | CONTINUED):
                if flags[i] & NEWLINE:
                    ends_sentence = ends_sentence or newline
                    newline = True
                elif not flags[i] & (INLINE_SPACE | CONTINUED):
                    newline = False
                i += 1
            if ends_sentence and in_sentence:
                lengths[sentences] = in_sentence
                sentences += 1
                in_sentence = 0
            before, last = 0, 0
            continue
        starts[tokens] = i
        before, last = last, first
        i += 1
        while i < n and flags[i] == CONTINUED:
            i += 1
        # A word: word characters, and a joiner (' ’ -) only where a word character follows.
        while first & WORD and i < n:
            following = flags[i]
            if following == CONTINUED:
                i += 1
            elif following & WORD:
                before, last = last, following
                i += 1
            elif following & JOIN:
                j = i + 1
                while j < n and flags[j] == CONTINUED:
                    j += 1
                if j == n or not flags[j] & WORD:
                    break
                before, last = last, following
                i = j
            else:
                break
        ends[tokens] = i
        tokens += 1
        in_sentence += 1
    if in_sentence:
        lengths[sentences] = in_sentence
        sentences += 1
    return starts[:tokens].copy(), ends[:tokens].copy(), lengths[:sentences].copy()


@compiled
def split_joined(data, separator, lengths):
    """Token spans of sentences joined by a separator byte, an empty sentence as one empty
    piece: starts, ends (T,) with T = lengths.sum(), and whether the pieces used up the
    data exactly (not so where a token holds the separator itself)."""
    starts = np.empty(lengths.sum(), dtype=np.int64)
    ends = np.empty(len(starts), dtype=np.int64)
    i, token = 0, 0
    for length in lengths:
        for _ in range(max(length, 1)):
            j = i
            while j < len(data) and data[j] != separator:
                j += 1
            if length:
                starts[token] = i
                ends[token] = j
                token += 1
            i = j + 1
    return starts, ends, i == len(data) + 1
