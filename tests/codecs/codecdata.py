"""Test helpers for the codecs: RTP payloads read by tshark, independent decodes by the ffmpeg
and sox command-line tools, containers those tools read, and a speech-like test signal."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pytest

PCAPS = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "pcaps"


def need_tool(name: str) -> str:
    """The tool's path; skips the test where it is not installed."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install {name}); it is the oracle")
    return path


def need_capture(name: str) -> Path:
    path = PCAPS / name
    if not path.exists():
        pytest.skip(f"test capture {name} not found under {PCAPS}")
    return path


@cache
def _tshark_payloads(path: Path) -> dict[tuple[int, int], list[tuple[int, int, bytes]]]:
    fields = ["rtp.ssrc", "rtp.seq", "rtp.timestamp", "rtp.p_type", "rtp.payload"]
    command = [
        "tshark",
        "-r",
        str(path),
        "-o",
        "rtp.heuristic_rtp:TRUE",
        "-Y",
        "rtp",
        "-T",
        "fields",
    ]
    for field in fields:
        command += ["-e", field]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    streams: dict[tuple[int, int], list[tuple[int, int, bytes]]] = defaultdict(list)
    for line in out.splitlines():
        ssrc, seq, timestamp, pt, payload = (line.split("\t") + [""] * 5)[:5]
        if ssrc and pt:
            packet = (int(seq), int(timestamp), bytes.fromhex(payload.replace(":", "")))
            streams[(int(ssrc, 16), int(pt))].append(packet)
    return dict(streams)


def rtp_payloads(capture: str, payload_type: int) -> dict[int, list[tuple[int, int, bytes]]]:
    """SSRC → (sequence, timestamp, payload) of each RTP packet of ``payload_type``, as tshark
    reads the capture (RTP heuristic on; the payload types come from the capture's SDP)."""
    need_tool("tshark")
    streams = _tshark_payloads(need_capture(capture))
    return {ssrc: packets for (ssrc, pt), packets in streams.items() if pt == payload_type}


def udp_payloads(capture: str) -> list[bytes]:
    """Every UDP payload of the capture, as tshark reads it."""
    need_tool("tshark")
    path = need_capture(capture)
    command = ["tshark", "-r", str(path), "-Y", "udp", "-T", "fields", "-e", "udp.payload"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return [bytes.fromhex(line.replace(":", "")) for line in out.splitlines() if line]


def ffmpeg_decode(data: bytes, input_args: list[str], tmp_path: Path) -> np.ndarray:
    """Mono int16 samples that the ffmpeg CLI decodes from ``data`` (no resampling)."""
    ffmpeg = need_tool("ffmpeg")
    source = tmp_path / "oracle.in"
    source.write_bytes(data)
    command = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", *input_args]
    command += ["-i", str(source), "-f", "s16le", "-ac", "1", "-"]
    result = subprocess.run(command, capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype="<i2").astype(np.int16)


def sox_decode(
    data: bytes, input_args: list[str], tmp_path: Path, suffix: str = ".raw"
) -> np.ndarray:
    """Mono int16 samples that sox decodes from ``data`` (no resampling)."""
    sox = need_tool("sox")
    source = tmp_path / f"oracle{suffix}"
    source.write_bytes(data)
    command = [sox, "-V1", *input_args, str(source), "-t", "raw", "-e", "signed", "-b", "16"]
    command += ["-L", "-c", "1", "-"]
    result = subprocess.run(command, capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype="<i2").astype(np.int16)


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """Signal-to-noise ratio of ``test`` against ``reference`` (inf when identical)."""
    signal = np.sum(reference.astype(np.float64) ** 2)
    noise = np.sum((reference.astype(np.float64) - test.astype(np.float64)) ** 2)
    return float("inf") if noise == 0 else 10 * np.log10(signal / noise)


def speech_like(seconds: float, rate: int, seed: int = 7) -> np.ndarray:
    """A voiced, syllabic test signal: a gliding harmonic series shaped by three formants,
    with pauses (so codecs with DTX send SID frames), about -20 dBFS when voiced."""
    random = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    signal = np.zeros_like(t)
    for harmonic in range(1, int(rate / 2 / 160)):
        frequency = harmonic * f0
        gain = sum(np.exp(-(((frequency - f) / 150) ** 2)) for f in (700, 1200, 2600))
        signal += gain * np.sin(harmonic * phase) * (frequency < rate / 2)
    syllables = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 0.5
    syllables[(t % 2.0) > 1.4] = 0  # 0.6 s pauses
    signal = signal / np.max(np.abs(signal)) * syllables + 0.002 * random.standard_normal(t.size)
    return np.clip(signal * 8000, -32768, 32767).astype(np.int16)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """A mono 16-bit WAV file."""
    data = samples.astype("<i2").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + b"data" + struct.pack("<I", len(data)) + data


# Ogg Opus (RFC 7845), so that ffmpeg reads the same Opus packets as the decoder under test.

_OGG_CRC = []
for _byte in range(256):
    _crc = _byte << 24
    for _ in range(8):
        _crc = ((_crc << 1) ^ 0x04C11DB7) if _crc & 0x80000000 else _crc << 1
    _OGG_CRC.append(_crc & 0xFFFFFFFF)


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[(crc >> 24) ^ byte]
    return crc


def _ogg_page(packet: bytes, granule: int, sequence: int, flags: int) -> bytes:
    lacing = [255] * (len(packet) // 255) + [len(packet) % 255]
    header = b"OggS" + struct.pack("<BBqIII", 0, flags, granule, 0x0CA11, sequence, 0)
    page = header + bytes([len(lacing)]) + bytes(lacing) + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


OPUS_FRAME_SAMPLES = [480, 960, 1920, 2880] * 3 + [480, 960] * 2 + [120, 240, 480, 960] * 4
"""Samples at 48 kHz of one frame for each TOC config 0-31 (RFC 6716 §3.1 table 2)."""


def opus_packet_samples(packet: bytes) -> int:
    """Duration of an Opus packet at 48 kHz from its TOC and frame count (RFC 6716 §3.1-3.2)."""
    toc = packet[0]
    frames = {0: 1, 1: 2, 2: 2}.get(toc & 0x03) or packet[1] & 0x3F
    return OPUS_FRAME_SAMPLES[toc >> 3] * frames


def ogg_opus(packets: list[bytes]) -> bytes:
    """A mono Ogg Opus file holding ``packets``, one per page, with no pre-skip."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 0, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 8) + b"callvault"[:8] + struct.pack("<I", 0)
    pages = [_ogg_page(head, 0, 0, 0x02), _ogg_page(tags, 0, 1, 0)]
    granule = 0
    for index, packet in enumerate(packets):
        granule += opus_packet_samples(packet)
        flags = 0x04 if index == len(packets) - 1 else 0
        pages.append(_ogg_page(packet, granule, index + 2, flags))
    return b"".join(pages)
