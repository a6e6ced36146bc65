"""NumPy helpers of the pcap and pcapng readers: field gathers, timestamps, batch assembly."""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from callvault.capture.batch import PREFIX_LEN, PacketBatch
from callvault.errors import CaptureError

EXACT_FLOAT_INT = 1 << 53
"""Integers below this convert to float64 exactly."""


def fields(data: bytes, byte_order: str, width: int) -> np.ndarray:
    """A read-only view with one unsigned ``width``-byte integer starting at every byte of ``data``.

    Indexing it with record offsets gathers a header field of every record at once, whatever
    the records' alignment.
    """
    count = max(len(data) - width + 1, 0)
    dtype = np.dtype(f"{byte_order}u{width}")
    return np.ndarray((count,), dtype=dtype, buffer=data, strides=(1,))


def headers(data: bytes, offsets: np.ndarray, size: int, byte_order: str) -> np.ndarray:
    """The ``size``-byte headers at ``offsets`` as rows of uint32, in one gather (~3x faster
    than a gather per field); a header cut by the end of ``data`` reads as zeros there.
    """
    count = len(data) - size + 1
    if count > 0:
        view = np.ndarray((count,), dtype=f"V{size}", buffer=data, strides=(1,))
        whole = not len(offsets) or int(offsets.max()) < count  # as every pcap record is
        rows = view[offsets if whole else np.minimum(offsets, count - 1)]
        if whole:
            return rows.view(f"{byte_order}u4").reshape(len(offsets), size // 4)
    else:
        rows = np.zeros(len(offsets), dtype=f"V{size}")
    for i in np.flatnonzero(offsets >= count):  # at most the last few
        rows[i] = (data[offsets[i] : offsets[i] + size] + bytes(size))[:size]
    return rows.view(f"{byte_order}u4").reshape(len(offsets), size // 4)


def extend_run(
    data: bytes, pos: int, size: int, left: int, offsets: array, key_at: int, key_width: int
) -> tuple[int, int]:
    """Append the offsets of the records from ``pos`` on that are ``size`` bytes long, as the
    record just before ``pos`` is, with the same ``key_width`` bytes at ``key_at`` (the caplen
    field of a pcap record, the type and length of a pcapng block); at most ``left`` of them.
    Returns the offset after them and how many there were.

    Runs of equal records are common (every G.711 RTP packet of every call has the same
    length), and checking a run with NumPy costs nanoseconds a record instead of the hot loop's
    few hundred. Probes grow from 32 records, so a short run costs little.
    """
    key = int.from_bytes(data[pos - size + key_at : pos - size + key_at + key_width], "little")
    todo = min(left, (len(data) - pos) // size) if size >= 12 else 0
    found, probe = 0, 32
    while todo > 0:
        k = min(probe, todo)
        keys = np.ndarray(
            (k,), dtype=f"<u{key_width}", buffer=data, offset=pos + key_at, strides=(size,)
        )
        differ = keys != key
        run = int(differ.argmax()) if differ.any() else k
        if run:
            offsets.frombytes(np.arange(pos, pos + run * size, size, dtype=np.int64).tobytes())
            pos += run * size
            found += run
            todo -= run
        if run < k:
            break
        probe *= 4
    return pos, found


FIRST_PROBE = 64
"""Records checked by the first probe of a run (``same_key_run``, the pcap walk): a G.711
call's run between two other packets is a few dozen; each later probe is four times longer."""


def same_key_run(
    data: bytes,
    pos: int,
    size: int,
    todo: int,
    key: bytes,
    key_at: int,
    lanes: tuple[int, ...] = (0, 1, 2, 3),
) -> int:
    """How many of the ``todo`` records of ``size`` bytes from ``pos`` on carry ``key`` at
    ``key_at`` (the caplen field of a pcap record), counted from the first; only the key's
    bytes ``lanes`` are compared (all of them by default).

    Each key byte of every record is taken with one strided slice, and ``lstrip`` finds the
    first record where it differs: C loops over the records, a microsecond or two per run
    where NumPy's call overhead alone is several.
    """
    run, probe = 0, FIRST_PROBE
    at = pos + key_at
    while todo > 0:
        k = min(probe, todo)
        found = k
        for i in lanes:
            if not found:
                break
            lane = data[at + i : at + i + (found - 1) * size + 1 : size]
            found -= len(lane.lstrip(key[i : i + 1]))
        run += found
        if found < k:
            break
        at += k * size
        todo -= k
        probe *= 4
    return run


def gather(view: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``view[index]`` as int64, with indexes past the end clipped (callers mask those rows)."""
    if len(view) == 0:
        return np.zeros(len(index), dtype=np.int64)
    return view[np.minimum(index, len(view) - 1)].astype(np.int64)


def to_seconds(sec: np.ndarray, frac: np.ndarray, per_second: np.ndarray | int) -> np.ndarray:
    """float64 seconds of ``sec + frac / per_second``, correctly rounded wherever the integer
    ``sec * per_second + frac`` fits in 53 bits (all microsecond timestamps), so a time reads as
    the same float as the decimal text tshark prints for it.
    """
    if isinstance(per_second, int) and per_second <= 1_000_000 and _u32(sec) and _u32(frac):
        # a classic pcap's fields: sec * per_second + frac < 2**32 * 1,000,001 < 2**53
        total = sec.astype(np.int64)
        total *= per_second
        total += frac
        return total / per_second
    sec = np.asarray(sec, dtype=np.int64)
    frac = np.asarray(frac, dtype=np.int64)
    per_second = np.asarray(per_second, dtype=np.int64)
    for _ in range(6):  # 1500 ns is 1.5 µs: take decimal units as coarse as the value allows
        if not (per_second > 1_000_000).any():
            break
        coarser = (per_second > 1_000_000) & (per_second % 10 == 0) & (frac % 10 == 0)
        per_second = np.where(coarser, per_second // 10, per_second)
        frac = np.where(coarser, frac // 10, frac)
    total = sec * per_second + frac  # wraps where it is not exact; those rows are not used
    exact = (sec >= 0) & (sec <= EXACT_FLOAT_INT // per_second) & (total >= 0)
    exact &= total < EXACT_FLOAT_INT
    if exact.all():
        return total / per_second
    return np.where(exact, total, 0) / per_second + np.where(exact, 0, sec + frac / per_second)


def _u32(values: np.ndarray) -> bool:
    return (
        isinstance(values, np.ndarray) and values.dtype.kind == "u" and values.dtype.itemsize <= 4
    )


@dataclass(slots=True)
class Piece:
    """Packets found in one window of the capture; ``start`` indexes ``data``."""

    data: bytes
    ts: np.ndarray
    start: np.ndarray
    caplen: np.ndarray
    linktype: np.ndarray
    prefix: np.ndarray | None = None
    """As ``PacketBatch.prefix``."""

    def __len__(self) -> int:
        return len(self.ts)


def prefixes(rows: np.ndarray, header_len: int) -> np.ndarray:
    """The frames' first PREFIX_LEN bytes in ``rows``, records gathered by ``headers`` with
    ``header_len + PREFIX_LEN`` bytes each (a view)."""
    return rows.view(np.uint8)[:, header_len : header_len + PREFIX_LEN]


Parsed = tuple[Piece, int, CaptureError | None, int]
"""What a parser makes of a window: its packets, the bytes they use, the error found right
after them, and the size of a record that runs past the window (0 if none)."""


def join(pieces: list[Piece]) -> PacketBatch:
    """One PacketBatch of the pieces' packets in order (their windows back to back)."""
    if len(pieces) == 1:
        p = pieces[0]
        return PacketBatch(p.data, p.ts, p.start, p.caplen, p.linktype, p.prefix)
    shifts = np.cumsum([0] + [len(p.data) for p in pieces[:-1]])
    every_prefix = [p.prefix for p in pieces if p.prefix is not None]
    return PacketBatch(
        data=b"".join(p.data for p in pieces),
        ts=np.concatenate([p.ts for p in pieces]),
        start=np.concatenate([p.start + s for p, s in zip(pieces, shifts, strict=True)]),
        caplen=np.concatenate([p.caplen for p in pieces]),
        linktype=np.concatenate([p.linktype for p in pieces]),
        prefix=np.concatenate(every_prefix) if len(every_prefix) == len(pieces) else None,
    )
