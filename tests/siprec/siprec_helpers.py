"""A real `callvault siprec` process and real SIPp recording clients, over loopback."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from callvault.capture.writer import PcapWriter
from callvault.codecs.g711 import encode_ulaw
from callvault.net.build import udp_frame

SCENARIOS = Path(__file__).parent / "scenarios"
PACKET = 160
PCAP_PORT = 6000
"""The pcap's label-1 stream goes to this port, label 2 to this + 2 (SIPp keeps offsets)."""


def need_sipp() -> str:
    sipp = shutil.which("sipp")
    if sipp is None:
        pytest.skip("sipp (Debian package sip-tester) is not installed")
    return sipp


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def known_audio(seconds: float, seed: int) -> bytes:
    """G.711 µ-law of noise-like speech stand-in, whole packets, no silence codes (0xFF)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 8000) // PACKET * PACKET
    pcm = (rng.normal(0, 2500, n)).clip(-30000, 30000).astype(np.int16)
    codes = np.frombuffer(encode_ulaw(pcm), dtype=np.uint8).copy()
    codes[codes == 0xFF] = 0xFE
    codes[codes == 0x7F] = 0x7E
    return codes.tobytes()


def rtp_pcap(path: Path, streams: list[bytes]) -> None:
    """Stream i's audio as 20 ms PCMU packets to PCAP_PORT + 2i, all starting together."""
    frames: list[tuple[float, bytes]] = []
    for i, audio in enumerate(streams):
        ssrc = 0x5EC0_0001 + i
        for k in range(len(audio) // PACKET):
            header = struct.pack("!BBHII", 0x80, (0x80 if k == 0 else 0) | 0, k + 1,
                                 k * PACKET, ssrc)
            payload = header + audio[k * PACKET:(k + 1) * PACKET]
            frames.append((1000.0 + k * 0.02 + i * 0.0001,
                           udp_frame("127.0.0.1", 7000 + 2 * i, "127.0.0.1",
                                     PCAP_PORT + 2 * i, payload)))
    frames.sort()
    with PcapWriter(path) as w:
        for ts, frame in frames:
            w.write(ts, frame)


def scenario(tmp: Path, name: str, **values: object) -> Path:
    text = (SCENARIOS / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key.upper()}@", str(value))
    out = tmp / name
    out.write_text(text)
    return out


@dataclass
class Srs:
    proc: subprocess.Popen[str]
    port: int
    data_dir: Path
    log: Path

    def stop(self, timeout: float = 20) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.log.read_text()


def start_srs(tmp: Path, *args: str, env: dict[str, str] | None = None,
              db: str | None = None) -> Srs:
    data = tmp / "data"
    log = tmp / "srs.log"
    low = 20000 + (os.getpid() * 64) % 30000
    cmd = [sys.executable, "-m", "callvault", "siprec", "--port", "0", "--rtp-ports",
           f"{low}-{low + 60}", "--data-dir", str(data), *args]
    if db:
        cmd += ["--db", db]
    environment = {**os.environ, **(env or {})}
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True,
                                env=environment)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"recording on udp [^ ]+:(\d+)", log.read_text())
        if found:
            return Srs(proc, int(found[1]), data, log)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("callvault siprec did not start: " + log.read_text())


def run_sipp(tmp: Path, srs_port: int, xml: Path, *extra: str,
             transport: str = "u1", timeout: float = 30) -> subprocess.CompletedProcess[str]:
    sipp = need_sipp()
    kind = socket.SOCK_STREAM if transport.startswith("t") else socket.SOCK_DGRAM
    cmd = [sipp, f"127.0.0.1:{srs_port}", "-sf", str(xml), "-m", "1", "-i", "127.0.0.1",
           "-p", str(free_port(kind)), "-mp", str(free_port()), "-t", transport, "-nostdin",
           "-timeout", f"{int(timeout)}s", "-timeout_error", "-trace_err",
           "-error_file", str(tmp / "sipp_errors.log"), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 10, cwd=tmp)
