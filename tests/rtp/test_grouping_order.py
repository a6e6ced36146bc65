"""The radix grouping order is the (window rank, key hash) order, arrival order among equals."""

from __future__ import annotations

import numpy as np
import pytest

from callvault.rtp.grouping import HASH_BITS, hash_order


@pytest.mark.parametrize(("windows", "keys"), [(1, 5), (2, 700), (4, 4000), (60, 3000), (200, 50)])
def test_hash_order_is_the_stable_sort_by_window_and_hash(windows: int, keys: int) -> None:
    rng = np.random.default_rng(windows * 10_000 + keys)
    n = 16_000
    ranks = np.sort(rng.integers(0, windows, n)).astype(np.int64)
    ranks -= ranks[0]
    key_hashes = rng.integers(0, 1 << HASH_BITS, keys, dtype=np.uint64)
    hashes = key_hashes[rng.integers(0, keys, n)]
    order = hash_order(ranks, hashes)
    assert order is not None
    expected = np.lexsort((np.arange(n), hashes, ranks))
    assert np.array_equal(order, expected)


def test_too_many_windows_for_16_bits_are_left_to_the_caller() -> None:
    ranks = np.arange(1000, dtype=np.int64)
    assert hash_order(ranks, np.zeros(1000, dtype=np.uint64)) is None
