"""Throughput of NetDecoder and of the frame builder (not a test: run it directly).

    .venv/bin/python tests/net/bench_decode.py

Prints packets per second, best and median of several runs, on one core.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from callvault.capture.batch import PacketBatch
from callvault.net import NetDecoder, build

BATCH = 131072
FRAME_SIZE = 214  # Ethernet + IPv4 + UDP + RTP header + 160 bytes of G.711


def rate(label: str, packets: int, run: Callable[[], object], repeat: int = 7) -> None:
    run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    best, median = packets / min(times) / 1e6, packets / statistics.median(times) / 1e6
    print(f"{label:58s} {best:6.2f} M/s best  {median:6.2f} M/s median")


def udp_batch(n: int, src: str, dst: str, payload_size: int) -> PacketBatch:
    payload = bytes(payload_size)
    return build.packet_batch(
        build.udp_frame(src, 10000 + i % 500, dst, 20000 + i % 500, payload) for i in range(n)
    )


def tcp_batch(n: int) -> PacketBatch:
    message = b"OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    seqs = [1000] * 64
    frames = []
    for i in range(n):
        c = i % 64
        frames.append(build.tcp_frame("10.0.0.1", 40000 + c, "10.0.0.2", 5060, seqs[c], message))
        seqs[c] += len(message)
    return build.packet_batch(frames)


def main() -> None:
    v4 = udp_batch(BATCH, "10.0.0.1", "10.0.0.2", FRAME_SIZE - 42)
    assert len(v4.frame(0)) == FRAME_SIZE
    rate("fast path, Ethernet/IPv4/UDP, 214-byte frames", BATCH, lambda: NetDecoder().decode(v4))
    small = v4.__class__(
        v4.data, v4.ts[:16384], v4.start[:16384], v4.caplen[:16384], v4.linktype[:16384]
    )
    rate(
        "slow path forced, same frames", 16384, lambda: NetDecoder(fast_path=False).decode(small), 3
    )
    v6 = udp_batch(16384, "2001:db8::1", "2001:db8::2", FRAME_SIZE - 62)
    rate("slow path, Ethernet/IPv6/UDP", 16384, lambda: NetDecoder().decode(v6), 3)
    tcp = tcp_batch(16384)
    rate(
        "slow path, TCP segments (64 connections, in order)",
        16384,
        lambda: NetDecoder().decode(tcp),
        3,
    )
    count = 50000
    rate(
        "build.udp_frame (IPv4, Ethernet)",
        count,
        lambda: [
            build.udp_frame("10.0.0.1", 4000, "10.0.0.2", 5000, b"x" * 172) for _ in range(count)
        ],
        3,
    )


if __name__ == "__main__":
    main()
