"""Record times: the shortcut for a classic pcap's 32-bit fields gives the general path's
floats, and record headers read at whole-record offsets are those read one by one."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from callvault.capture.arrays import headers, to_seconds


@pytest.mark.parametrize("per_second", [1, 1000, 1_000_000])
def test_unsigned_32_bit_fields_convert_as_int64_ones_do(per_second: int) -> None:
    rng = np.random.default_rng(per_second)
    sec = rng.integers(0, 2**32, size=5000, dtype=np.uint64).astype(np.uint32)
    frac = rng.integers(0, 2**32, size=5000, dtype=np.uint64).astype(np.uint32)
    frac[::2] %= per_second
    for order in "<>":
        sec_field, frac_field = sec.astype(order + "u4"), frac.astype(order + "u4")
        fast = to_seconds(sec_field, frac_field, per_second)
        general = to_seconds(sec.astype(np.int64), frac.astype(np.int64), per_second)
        np.testing.assert_array_equal(fast, general)


def test_headers_at_whole_and_cut_offsets() -> None:
    data = b"".join(struct.pack("<IIII", i, 2 * i, 3 * i, 4 * i) for i in range(10)) + b"\x07"
    whole = headers(data, np.arange(0, 160, 16), 16, "<")
    assert whole.tolist() == [[i, 2 * i, 3 * i, 4 * i] for i in range(10)]
    cut = headers(data, np.array([144, 152, 160]), 16, "<")
    assert cut[0].tolist() == [9, 18, 27, 36]
    assert cut[1].tolist() == [27, 36, 7, 0]
    assert cut[2].tolist() == [7, 0, 0, 0]
