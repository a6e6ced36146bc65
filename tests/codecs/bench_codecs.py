"""Decode speed of every codec, in times real time on one core (not a test: run it directly).

    .venv/bin/python tests/codecs/bench_codecs.py

Each codec decodes 60 s of 20 ms payloads (30 ms for iLBC, G.723.1), one ``decode`` call per
payload as a recorder makes them; G.711 and G.722 also through ``decode_many``. Payloads come
from PyAV's encoders where it has one, else random frames (decoding cost barely depends on
the bits). Prints the best of several runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from codecdata import speech_like

from callvault.codecs import decoder_for
from callvault.codecs.g711 import encode_alaw

SECONDS = 60.0
RANDOM = np.random.default_rng(11)


def encoded(codec: str, rate: int, frame: int, bit_rate: int, **options: str) -> list[bytes]:
    """60 s of the speech-like signal through one of PyAV's encoders, a packet per frame."""
    speech = speech_like(SECONDS, rate)
    encoder = av.CodecContext.create(codec, "w")
    encoder.sample_rate, encoder.layout, encoder.format = rate, "mono", "s16"
    encoder.bit_rate = bit_rate
    if codec == "libopus":
        encoder.options = {"frame_duration": "20", "application": "voip", **options}
    elif options:
        encoder.options = options
    packets = []
    for start in range(0, speech.size - frame + 1, frame):
        chunk = av.AudioFrame.from_ndarray(
            speech[start : start + frame].reshape(1, -1), format="s16", layout="mono"
        )
        chunk.sample_rate, chunk.pts = rate, start
        packets += [bytes(p) for p in encoder.encode(chunk)]
    return packets + [bytes(p) for p in encoder.encode(None)]


def random_frames(count: int, size: int, first: int | None = None) -> list[bytes]:
    frames = RANDOM.integers(0, 256, (count, size), dtype=np.uint8)
    if first is not None:
        frames[:, 0] = first
    return [bytes(f) for f in frames]


def _cut(data: bytes, size: int, count: int) -> list[bytes]:
    return [data[i * size : (i + 1) * size] for i in range(count)]


def amr_octet_aligned(storage_frames: list[bytes]) -> list[bytes]:
    """One storage-format frame per RTP payload, octet-aligned: CMR octet, then the frame."""
    return [b"\xf0" + frame for frame in storage_frames]


def cases() -> dict[str, tuple[tuple[str, int, int, str | None], list[bytes]]]:
    frames_20ms = int(SECONDS * 50)
    speech8 = speech_like(SECONDS, 8000)
    return {
        "PCMA": (("PCMA", 8000, 1, None), [encode_alaw(c) for c in np.split(speech8, frames_20ms)]),
        "G722": (("G722", 8000, 1, None), encoded("g722", 16000, 320, 64000)),
        "G726-32": (
            ("G726-32", 8000, 1, None),
            _cut(b"".join(encoded("g726le", 8000, 160, 32000)), 80, frames_20ms),
        ),
        "G729": (
            ("G729", 8000, 1, None),
            [b"".join(random_frames(2, 10)) for _ in range(frames_20ms)],
        ),
        "G723 (6.3k, 30 ms)": (("G723", 8000, 1, None), random_frames(2000, 24, first=0x00)),
        "GSM": (("GSM", 8000, 1, None), random_frames(frames_20ms, 33, first=0xD0)),
        "iLBC (30 ms)": (("iLBC", 8000, 1, "mode=30"), random_frames(2000, 50)),
        "AMR 12.2k": (
            ("AMR", 8000, 1, "octet-align=1"),
            amr_octet_aligned(encoded("libopencore_amrnb", 8000, 160, 12200)),
        ),
        "AMR-WB 23.85k": (
            ("AMR-WB", 16000, 1, "octet-align=1"),
            [b"\xf0\x44" + f for f in random_frames(frames_20ms, 60)],
        ),
        "opus 24k voip": (("opus", 48000, 2, None), encoded("libopus", 48000, 960, 24000)),
        "opus 64k audio": (
            ("opus", 48000, 2, None),
            encoded("libopus", 48000, 960, 64000, application="audio"),
        ),
        "L16/16000": (("L16", 16000, 1, None), random_frames(frames_20ms, 640)),
    }


def best(run: Callable[[], object], repeat: int = 5) -> float:
    run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    print(f"{'codec':22s} {'payloads':>8s} {'audio s':>8s} {'per call':>12s} {'decode_many':>12s}")
    for label, (fmt, payloads) in cases().items():
        probe = decoder_for(*fmt)
        assert probe is not None
        audio = probe.decode_many(payloads).size / probe.sample_rate

        def one_by_one(fmt=fmt, payloads=payloads) -> None:  # type: ignore[no-untyped-def]
            decoder = decoder_for(*fmt)
            for payload in payloads:
                decoder.decode(payload)  # type: ignore[union-attr]

        def bulk(fmt=fmt, payloads=payloads) -> None:  # type: ignore[no-untyped-def]
            decoder_for(*fmt).decode_many(payloads)  # type: ignore[union-attr]

        per_call = audio / best(one_by_one)
        many = audio / best(bulk)
        print(f"{label:22s} {len(payloads):8d} {audio:8.1f} {per_call:10,.0f} x {many:10,.0f} x")


if __name__ == "__main__":
    main()
