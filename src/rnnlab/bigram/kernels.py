"""Compiled loops (numba) behind the bigram model's bulk paths: token ids from UTF-8 byte
spans, and pair counts.

Each replaces one Python-level loop a token: a dict lookup per token (the ids) or a
sort of every pair (the tally). Hash tables use open addressing with linear probing
over FNV-1a hashes of the token bytes; a slot holds an id or −1.
"""

import numpy as np

from rnnlab.bigram.text_kernel import compiled

_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


@compiled
def _hash(data, start, end):
    value = _FNV_OFFSET
    for i in range(start, end):
        value = (value ^ np.uint64(data[i])) * _FNV_PRIME
    return value


@compiled
def _slot(value, mask):
    return np.int64(value & np.uint64(mask))


@compiled
def _mix(key):
    """A 64-bit integer's bits mixed (MurmurHash3's finaliser), so that nearby pair keys
    land in far-apart slots."""
    value = np.uint64(key)
    value = (value ^ (value >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)
    value = (value ^ (value >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
    return value ^ (value >> np.uint64(33))


@compiled
def _same(data, start, end, other, other_start, other_end):
    if end - start != other_end - other_start:
        return False
    for i in range(end - start):  # noqa: SIM110 — a loop numba compiles
        if data[start + i] != other[other_start + i]:
            return False
    return True


def capacity(count: int) -> int:
    """A power of two at least twice ``count``, so a probe meets an empty slot soon."""
    return 1 << max(4, (2 * count).bit_length())


@compiled
def _insert(slots, hashes, index):
    mask = len(slots) - 1
    slot = _slot(hashes[index], mask)
    while slots[slot] >= 0:
        slot = (slot + 1) & mask
    slots[slot] = index


@compiled
def word_table(words, starts, ends, capacity):
    """The slots of a hash table of the V words words[starts[i]:ends[i]], and their hashes."""
    slots = np.full(capacity, -1, dtype=np.int64)
    hashes = np.empty(len(starts), dtype=np.uint64)
    for index in range(len(starts)):
        hashes[index] = _hash(words, starts[index], ends[index])
        _insert(slots, hashes, index)
    return slots, hashes


@compiled
def lookup(data, starts, ends, words, word_starts, word_ends, slots, hashes):
    """The id of each token data[starts[t]:ends[t]] among the table's words; −1 if absent."""
    mask = len(slots) - 1
    ids = np.empty(len(starts), dtype=np.int64)
    for t in range(len(starts)):
        value = _hash(data, starts[t], ends[t])
        slot = _slot(value, mask)
        found = -1
        while slots[slot] >= 0:
            index = slots[slot]
            if hashes[index] == value and _same(
                data, starts[t], ends[t], words, word_starts[index], word_ends[index]
            ):
                found = index
                break
            slot = (slot + 1) & mask
        ids[t] = found
    return ids


@compiled
def first_ids(data, starts, ends):
    """Each token's id in order of first use, and the first span of each distinct token.

    Returns ids (T,), first (W,): token ids[t] first occurs as token first[ids[t]].
    """
    capacity = 1 << 12
    slots = np.full(capacity, -1, dtype=np.int64)
    hashes = np.empty(64, dtype=np.uint64)
    first = np.empty(64, dtype=np.int64)
    ids = np.empty(len(starts), dtype=np.int64)
    distinct = 0
    for t in range(len(starts)):
        value = _hash(data, starts[t], ends[t])
        mask = capacity - 1
        slot = _slot(value, mask)
        found = -1
        while slots[slot] >= 0:
            index = slots[slot]
            other = first[index]
            if hashes[index] == value and _same(
                data, starts[t], ends[t], data, starts[other], ends[other]
            ):
                found = index
                break
            slot = (slot + 1) & mask
        if found < 0:
            found = distinct
            if distinct == len(first):
                first = np.concatenate((first, np.empty(distinct, dtype=np.int64)))
                hashes = np.concatenate((hashes, np.empty(distinct, dtype=np.uint64)))
            first[distinct] = t
            hashes[distinct] = value
            slots[slot] = distinct
            distinct += 1
            if 2 * distinct > capacity:  # keep the table at most half full
                capacity *= 2
                slots = np.full(capacity, -1, dtype=np.int64)
                for index in range(distinct):
                    _insert(slots, hashes, index)
        ids[t] = found
    return ids, first[:distinct].copy()


@compiled
def count_pairs(contexts, words, V):
    """The distinct pairs as sorted keys c·V + w, and how often each occurs.

    A counting sort groups the words by context (row c); within a row, stamp[w] == c
    marks a word already met there and slot[w] its place, so each pair is counted in
    O(1) and only each row's distinct words are sorted.
    """
    rows = np.zeros(V + 1, dtype=np.int64)
    for context in contexts:
        rows[context + 1] += 1
    for context in range(V):
        rows[context + 1] += rows[context]
    fill = rows[:-1].copy()
    grouped = np.empty(len(words), dtype=np.int64)
    for i in range(len(contexts)):
        grouped[fill[contexts[i]]] = words[i]
        fill[contexts[i]] += 1
    stamp = np.full(V, -1, dtype=np.int64)
    slot = np.empty(V, dtype=np.int64)
    keys = np.empty(len(words), dtype=np.int64)
    counts = np.zeros(len(words), dtype=np.int64)
    distinct = 0
    for context in range(V):
        begin = distinct
        for i in range(rows[context], rows[context + 1]):
            word = grouped[i]
            if stamp[word] != context:
                stamp[word] = context
                slot[word] = distinct
                keys[distinct] = word
                distinct += 1
            counts[slot[word]] += 1
        order = np.argsort(keys[begin:distinct])
        keys[begin:distinct] = keys[begin:distinct][order] + context * V
        counts[begin:distinct] = counts[begin:distinct][order]
    return keys[:distinct].copy(), counts[:distinct].copy()


@compiled
def key_table(keys, capacity):
    """The slots of a hash table of distinct int64 keys: slot → index into keys, or −1."""
    slots = np.full(capacity, -1, dtype=np.int64)
    mask = capacity - 1
    for index in range(len(keys)):
        slot = _slot(_mix(keys[index]), mask)
        while slots[slot] >= 0:
            slot = (slot + 1) & mask
        slots[slot] = index
    return slots


@compiled
def pair_log_probs(keys, slots, pair_logs, rest_logs, contexts, words, V):
    """ln Pr(words[i] | contexts[i]) read off a sparse model: pair_logs[j] where the pair
    c·V + w is keys[j] (found in the hash table ``slots``), else rest_logs[c]."""
    mask = len(slots) - 1
    found = np.empty(len(contexts), dtype=np.float64)
    for i in range(len(contexts)):
        key = contexts[i] * V + words[i]
        slot = _slot(_mix(key), mask)
        found[i] = rest_logs[contexts[i]]
        while slots[slot] >= 0:
            if keys[slots[slot]] == key:
                found[i] = pair_logs[slots[slot]]
                break
            slot = (slot + 1) & mask
    return found


@compiled
def sentence_pairs(ids, lengths, start, end):
    """contexts, words (P,) of every predicted token of sentences laid end to end in ids;
    start, end: the symbols' ids, or −1 for none (see rnnlab.bigram.counts.pairs)."""
    total = len(ids) + 2 * len(lengths)
    contexts = np.empty(total, dtype=np.int64)
    words = np.empty(total, dtype=np.int64)
    count, first = 0, 0
    for length in lengths:
        previous = start
        for t in range(first, first + length):
            if previous >= 0:
                contexts[count] = previous
                words[count] = ids[t]
                count += 1
            previous = ids[t]
        if end >= 0 and previous >= 0 and (length > 0 or start >= 0):
            contexts[count] = previous
            words[count] = end
            count += 1
        first += length
    return contexts[:count].copy(), words[:count].copy()
