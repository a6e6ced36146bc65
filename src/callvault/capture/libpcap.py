"""The fast path for plain pcap files: libpcap (bundled with pcapy-ng) reads the records.

``next_batch(n)`` hands over n packets as one bytes object plus packed (sec, usec, offset,
caplen) records, so the per-packet work stays in C. Where libpcap could deliver something
other than what the pure-Python reader would, it is not used, or is handed over from (the
reader also hands over where the records come in long runs of one length, which the Python
reader takes faster; ``reader.HANDOVER_MEAN_RUN``):
- it stops with an error on a damaged file, and loses the packets of the batch in hand: the
  Python reader goes on from the end of the last batch delivered (for pcap that offset is
  exactly 24 + sum(16 + caplen)), reads those packets again and reports the damage exactly;
- it cuts a record longer than the file's snaplen to the snaplen: any batch with a caplen at
  that limit is handed over unread;
- it converts nanosecond timestamps to microseconds, reinterprets the length fields of files
  before version 2.4, and byte-swaps some link layers' pseudo-headers (USB, NFLOG, CAN) in
  files of the other byte order: such files are never given to it.
"""

from __future__ import annotations

import sys
from collections.abc import Generator

import numpy as np

from callvault.capture.arrays import to_seconds
from callvault.capture.batch import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    PacketBatch,
)
from callvault.capture.pcapfile import (
    FILE_HEADER_LEN,
    MAX_SNAPLEN,
    RECORD_HEADER_LEN,
    PcapHeader,
)

try:
    import pcapy
except ImportError:  # pragma: no cover - pcapy-ng is a dependency; the Python reader stands in
    pcapy = None

PASSED_THROUGH = frozenset(
    {
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        LINKTYPE_LOOP,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_LINUX_SLL2,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
    }
)
"""Link types whose frames libpcap hands over exactly as stored."""
NATIVE_ORDER = "<" if sys.byteorder == "little" else ">"


def available() -> bool:
    return pcapy is not None


def suits(header: PcapHeader) -> bool:
    """Whether libpcap reads this file exactly as the Python reader does."""
    return (
        pcapy is not None
        and header.per_second == 1_000_000
        and header.version == (2, 4)
        and header.byte_order == NATIVE_ORDER
        and header.linktype in PASSED_THROUGH
    )


def read_batches(
    path: str, header: PcapHeader, batch_packets: int
) -> Generator[tuple[PacketBatch, int], None, int]:
    """Yields each batch with the file offset after it; returns the offset where libpcap
    stopped (the end of the file, or where the Python reader must take over).
    """
    pos = FILE_HEADER_LEN
    try:
        handle = pcapy.open_offline(path)
    except pcapy.PcapError:
        return pos
    snaplen = header.snaplen if 0 < header.snaplen < MAX_SNAPLEN else MAX_SNAPLEN
    try:
        while True:
            try:
                blob, meta = handle.next_batch(batch_packets)
            except pcapy.PcapError:
                return pos
            if not meta:
                return pos
            records = np.frombuffer(meta, dtype=np.uint32).reshape(-1, 4).astype(np.int64)
            caplen = records[:, 3]
            if (caplen >= snaplen).any():
                return pos
            pos += RECORD_HEADER_LEN * len(records) + int(caplen.sum())
            ts = to_seconds(records[:, 0], records[:, 1], 1_000_000)
            linktype = np.full(len(records), header.linktype, dtype=np.int64)
            yield (
                PacketBatch(
                    blob,
                    ts,
                    np.ascontiguousarray(records[:, 2]),
                    np.ascontiguousarray(caplen),
                    linktype,
                ),
                pos,
            )
    finally:
        handle.close()
