"""What the live-capture tests share: SIPp on loopback (uac plays known RTP, uas echoes it)."""

from __future__ import annotations

import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from callvault.capture.writer import PcapWriter
from callvault.journal import Journal
from callvault.net.build import udp_frame

SCENARIO = Path(__file__).parent / "scenarios" / "uac_pcap.xml"
PACKETS = 50
"""RTP packets SIPp plays (20 ms PCMU each: one second)."""
SSRC = 0x1234


def payload(k: int) -> bytes:
    """Packet k's 160 µ-law bytes: a pattern the recording must hold exactly."""
    return bytes((k * 7 + i) % 254 for i in range(160))


def free_udp_ports(n: int) -> list[int]:
    """n free even UDP ports whose next port is free too (RTP's RTCP companion)."""
    found: list[int] = []
    while len(found) < n:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port % 2 == 0 and port + 1 < 65536 and port not in found:
            found.append(port)
    return found


@dataclass
class Loop:
    """Ports of one SIPp pair and the capture around them."""

    uac_port: int
    uas_port: int
    uac_media: int
    uas_media: int
    tmp: Path

    @property
    def bpf(self) -> str:
        ports = (self.uac_port, self.uas_port, self.uac_media, self.uas_media)
        return "udp and (" + " or ".join(f"port {p}" for p in ports) + ")"

    def scenario(self, pause_ms: int) -> Path:
        pcap = self.tmp / "rtp.pcap"
        if not pcap.exists():
            with PcapWriter(pcap) as w:
                for k in range(PACKETS):
                    header = struct.pack("!BBHII", 0x80, 0x80 if k == 0 else 0, k + 1, k * 160,
                                         SSRC)
                    w.write(1000.0 + k * 0.02,
                            udp_frame("127.0.0.1", 7000, "127.0.0.1", 6000, header + payload(k)))
        text = SCENARIO.read_text().replace("@PCAP@", str(pcap))
        out = self.tmp / f"uac_{pause_ms}.xml"
        out.write_text(text.replace("@PAUSE_MS@", str(pause_ms)))
        return out

    def uas(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(self.uas_port), "-mp",
             str(self.uas_media), "-rtp_echo", "-nostdin", "-timeout", "20s"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, cwd=self.tmp,
        )

    def uac(self, pause_ms: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["sipp", f"127.0.0.1:{self.uas_port}", "-sf", str(self.scenario(pause_ms)), "-m", "1",
             "-i", "127.0.0.1", "-p", str(self.uac_port), "-mp", str(self.uac_media), "-nostdin",
             "-timeout", "15s", "-timeout_error"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.tmp,
        )


def wait_for(predicate, timeout: float, what: str, log: Path | None = None):  # type: ignore[no-untyped-def]
    """The predicate's first true value within ``timeout`` seconds; else fail, showing the
    recorder's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    shown = f":\n{log.read_text()}" if log is not None else ""
    raise AssertionError(f"timed out waiting for {what}{shown}")


def journal_calls(db: str) -> list:  # type: ignore[type-arg]
    with Journal.open(db) as journal:
        return journal.list_calls()


