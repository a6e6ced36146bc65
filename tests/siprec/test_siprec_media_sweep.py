"""One turn's sweep of the RTP ports reads everything waiting, even more than its recvmmsg
arena holds (a turn late on a busy machine): what stayed in a socket would fall behind the
clock the recorder moves to and be discarded as late. ``swept_at`` is that clock."""

from __future__ import annotations

import socket
import time

import pytest
from tests.siprec.siprec_helpers import free_port

from callvault.net.datagram import AddressTable
from callvault.siprec import media as media_module
from callvault.siprec.media import MediaPorts


@pytest.mark.parametrize("sizes", ["one size", "mixed sizes"])
def test_a_sweep_reads_past_a_full_arena(monkeypatch: pytest.MonkeyPatch, sizes: str) -> None:
    monkeypatch.setattr(media_module, "ARENA", 16)
    low = free_port() & ~1
    media = MediaPorts("127.0.0.1", 30000 + low % 20000, 30000 + low % 20000 + 40,
                       AddressTable())
    if media._arena is None:
        pytest.skip("recvmmsg is Linux-only")
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ports = [media.open() for _ in range(3)]
        sent = []
        for k in range(25):
            for port in ports:
                body = f"{port}:{k:02d}".encode()
                payload = bytes([0x80, 0]) + body * (1 if sizes == "one size" else 1 + k % 5)
                sender.sendto(payload, ("127.0.0.1", port))
                sent.append(payload)
        time.sleep(0.2)
        before = time.time()
        batch = media.drain()
        assert sorted(batch.payload(i) for i in range(len(batch))) == sorted(sent)
        assert before <= media.swept_at <= time.time()
        # each port's datagrams in the order they came
        for port in ports:
            mine = [batch.payload(i) for i in range(len(batch)) if batch.dport[i] == port]
            assert mine == [p for p in sent if p[2:].startswith(f"{port}:".encode())]
        assert len(media.drain()) == 0
    finally:
        media.close_all()
        sender.close()
