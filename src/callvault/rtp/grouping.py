"""Putting a batch's RTP packets in (window, key hash) order with a 16-bit radix sort.

The engine groups packets by (window, stream key) through one stable sort on (window rank,
40-bit hash of the key) (``callvault.engine._group_order``). Sorting 64-bit words costs
some 30 ns a packet; NumPy sorts 16-bit words stably with a radix sort in a few. So the
packets are sorted first by a 16-bit word of the window rank and the hash's top bits, and
then only the packets of buckets shared by several keys are sorted again by the whole hash:
the same order, as both sorts keep arrival order among equals.
"""

from __future__ import annotations

import numpy as np

HASH_BITS = 40
"""Bits of the key hash that order the keys within a window."""
MIN_BUCKET_BITS = 8
"""Fewer hash bits than this left beside the window rank (a batch over more than 256
windows): buckets would hold too many keys, and the caller sorts the whole words instead."""
_WORD_BITS = 16


def hash_order(ranks: np.ndarray, hashes: np.ndarray) -> np.ndarray | None:
    """The stable order by (``ranks``, ``hashes``): window ranks from 0, ascending, and
    hashes below 2**HASH_BITS; None when the ranks leave too few bits for the hash."""
    top_rank = int(ranks[-1])
    bucket_bits = _WORD_BITS - top_rank.bit_length()
    if bucket_bits < MIN_BUCKET_BITS:
        return None
    shift = np.uint64(HASH_BITS - bucket_bits)
    word = (hashes >> shift).astype(np.uint16)
    if top_rank:
        word |= ranks.astype(np.uint16) << np.uint16(bucket_bits)
    order = np.argsort(word, kind="stable")
    by_word = word.take(order)  # take: a third cheaper than indexing with an array
    by_hash = hashes.take(order)
    # packets of one bucket with different hashes: sorted again among themselves
    mixed = (by_word[1:] == by_word[:-1]) & (by_hash[1:] != by_hash[:-1])
    if not mixed.any():
        return order
    shared = np.zeros(word.shape[0], dtype=bool)
    shared[1:] = mixed
    shared[:-1] |= mixed
    bucket_runs = np.flatnonzero(shared)
    # the whole run of each shared bucket (its packets with equal hashes included)
    first = np.searchsorted(by_word, by_word[bucket_runs], side="left")
    last = np.searchsorted(by_word, by_word[bucket_runs], side="right")
    starts, at = np.unique(first, return_index=True)
    ends = last[at]
    lengths = ends - starts
    picked = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    run = np.repeat(np.arange(starts.shape[0], dtype=np.uint64), lengths)
    resort = np.argsort((run << np.uint64(HASH_BITS)) | by_hash[picked], kind="stable")
    order[picked] = order[picked[resort]]
    return order
