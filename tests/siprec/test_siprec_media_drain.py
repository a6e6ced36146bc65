"""The RTP ports' bulk read: with recvmmsg (one system call per socket per turn) it hands the
engine exactly what one read per datagram does — payloads, sources, ports, the kernel's
receive times — and paused streams' datagrams are counted and dropped."""

from __future__ import annotations

import socket
import time

import pytest
from tests.siprec.siprec_helpers import free_port

from callvault.net.datagram import AddressTable
from callvault.siprec.media import MediaPorts


def _rows(batch):  # type: ignore[no-untyped-def]
    return sorted((batch.payload(i), int(batch.src[i]), int(batch.sport[i]),
                   int(batch.dst[i]), int(batch.dport[i])) for i in range(len(batch)))


def _load(media: MediaPorts, ports: list[int], senders: list[socket.socket]) -> list[bytes]:
    sent = []
    for k in range(40):
        for i, port in enumerate(ports):
            payload = bytes([0x80, 0]) + f"{port}:{k}:{i}".encode() * (1 + k % 7)
            senders[(k + i) % 2].sendto(payload, ("127.0.0.1", port))
            sent.append(payload)
    time.sleep(0.2)
    return sent


@pytest.mark.parametrize("bulk", [True, False], ids=["recvmmsg", "recvmsg"])
def test_drain_reads_every_datagram_with_its_source_and_time(bulk: bool) -> None:
    low = free_port() & ~1
    media = MediaPorts("127.0.0.1", 30000 + low % 20000, 30000 + low % 20000 + 40,
                       AddressTable())
    if not bulk:
        media._arena = None
    elif media._arena is None:
        pytest.skip("recvmmsg is Linux-only")
    senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    try:
        ports = [media.open() for _ in range(3)]
        media.paused.add(ports[2])
        before = time.time()
        sent = _load(media, ports, senders)
        batch = media.drain()
        after = time.time()
        rows = _rows(batch)
        assert [r[0] for r in rows] == sorted(p for p in sent if
                                              not p[2:].startswith(f"{ports[2]}:".encode()))
        sender_ports = {s.getsockname()[1] for s in senders}
        assert {r[2] for r in rows} == sender_ports
        assert {r[1] for r in rows} == {media.addresses.id_of_text("127.0.0.1")}
        assert {r[4] for r in rows} == set(ports[:2])
        assert media.dropped_paused == 40
        # the kernel's receive times (or, while the kernel is still turning its timestamps
        # on, its read times): never the fallback, which would be ``after`` or later
        assert before <= batch.ts.min() and batch.ts.max() < after
        assert len(media.drain()) == 0  # nothing left
    finally:
        media.close_all()
        for s in senders:
            s.close()
