"""Real captures from ../shared/testdata/pcaps; expected numbers read with tshark 4.0.17."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from callvault.net import StreamData, reasons

pytestmark = pytest.mark.testdata

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "pcaps"
Capture = Callable[..., Any]
"""The ``capture`` fixture (conftest.py): decode a test capture, skipping where it is absent."""
_CONTENT_LENGTH = re.compile(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)")


def sip_kind(message: bytes) -> str:
    """ "INVITE", "200", ... of a SIP message; "" for anything else."""
    if message.startswith(b"SIP/2.0 "):
        return message[8:11].decode()
    match = re.match(rb"([A-Z]+) \S+ SIP/2\.0\r\n", message)
    return match.group(1).decode() if match else ""


def sip_kinds(messages: Iterable[bytes]) -> Counter[str]:
    return Counter(kind for kind in map(sip_kind, messages) if kind)


def sip_over_tcp(streams: list[StreamData]) -> list[bytes]:
    """SIP messages cut out of TCP stream data by Content-Length (RFC 3261 section 18.3)."""
    buffers: dict[tuple[int, int, int, int], bytes] = {}
    messages = []
    for chunk in streams:
        if chunk.transport != "tcp":
            continue
        key = (chunk.src, chunk.sport, chunk.dst, chunk.dport)
        buffer = (b"" if chunk.gap_before else buffers.get(key, b"")) + chunk.data
        while True:
            buffer = buffer.lstrip(b"\r\n")
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            length = _CONTENT_LENGTH.search(buffer[:end])
            size = end + 4 + (int(length.group(1)) if length else 0)
            if len(buffer) < size:
                break
            messages.append(buffer[:size])
            buffer = buffer[size:]
        buffers[key] = buffer
    return messages


@pytest.mark.parametrize(
    ("fast_path", "batch_packets"), [(True, 1 << 17), (False, 1 << 17), (True, 3)]
)
def test_ipv6frag_reassembles_the_fragmented_invites(
    capture: Capture, fast_path: bool, batch_packets: int
) -> None:
    """Linux SLL, IPv6/UDP SIP; two INVITEs of 1,6xx bytes come in two fragments each."""
    decoded = capture("ipv6frag.pcap", fast_path=fast_path, batch_packets=batch_packets)
    payloads = decoded.payloads()
    assert len(payloads) == 32  # 34 frames, 4 of them fragments of 2 datagrams
    assert sip_kinds(payloads) == Counter(
        {"INVITE": 2, "ACK": 2, "BYE": 2, "PRACK": 4, "UPDATE": 4, "100": 1, "183": 4, "200": 13}
    )
    invites = [p for p in payloads if p.startswith(b"INVITE")]
    assert all(len(p) > 1232 for p in invites)  # bigger than one fragment could carry
    assert all(p.endswith(b"\r\n") and b"m=audio" in p for p in invites)
    assert decoded.counters == {}
    assert decoded.decoder.addresses.text(int(decoded.datagrams[0].src[0])) == (
        "fd17:625c:f037:2:a00:27ff:feb9:1521"
    )


def test_ipip_sip_over_tcp_inside_ip_in_ip(capture: Capture) -> None:
    decoded = capture("ipip.pcap")
    messages = sip_over_tcp(decoded.streams)
    assert [sip_kind(m) for m in messages] == ["INVITE", "183", "200", "BYE"]
    assert [(s.sport, s.dport) for s in decoded.streams] == [
        (5090, 33093),
        (33093, 5090),
        (33093, 5090),
        (5090, 33093),
    ]
    assert decoded.counters == {}


def test_erspan_sip_datagrams_appear(capture: Capture) -> None:
    """Ethernet / IPv4 / GRE (transparent Ethernet bridging) / Ethernet / IPv4 / UDP / SIP."""
    decoded = capture("erspan_sip_ipv4_udp.pcapng")
    assert len(decoded.payloads()) == 140
    assert Counter(decoded.ports()) == Counter(
        {(5060, 5260): 36, (5260, 5060): 35, (53221, 5260): 28, (5260, 53221): 28,
         (5260, 20917): 7, (20917, 5260): 6}
    )  # fmt: skip
    assert sip_kinds(decoded.payloads()) == Counter(
        {"INVITE": 16, "ACK": 18, "BYE": 6, "REFER": 4, "NOTIFY": 11, "SUBSCRIBE": 12,
         "100": 14, "180": 6, "200": 30, "202": 8, "401": 1, "407": 4, "481": 8, "488": 2}
    )  # fmt: skip
    assert decoded.counters == {}


def test_websocket_messages_carry_sip(capture: Capture) -> None:
    decoded = capture("sip_tcp_websocket.pcap")
    ws = [s for s in decoded.streams if s.transport == "ws"]
    assert [sip_kind(s.data) for s in ws] == [
        "INVITE", "407", "ACK", "INVITE", "100", "180", "183", "200", "ACK", "BYE", "200"
    ]  # fmt: skip
    assert all(s.sport == 8080 or s.dport == 8080 for s in ws)
    assert not [s for s in decoded.streams if s.transport == "tcp"]
    assert len(decoded.payloads()) == 28  # the UDP leg of the same calls
    assert decoded.counters == {reasons.TCP_CONTROL: 16, reasons.WEBSOCKET_CONTROL: 2}


@pytest.mark.parametrize("batch_packets", [1 << 17, 50])
def test_sip_split_across_tcp_segments_on_port_6060(capture: Capture, batch_packets: int) -> None:
    """tshark -d tcp.port==6060,sip finds 406 SIP messages in 1,542 frames."""
    decoded = capture("sip_ipv4_tcp_fragmented.pcap", batch_packets=batch_packets)
    messages = sip_over_tcp(decoded.streams)
    assert len(messages) == 406
    assert sip_kinds(messages) == Counter(
        {"200": 142, "UPDATE": 63, "INVITE": 37, "ACK": 37, "100": 36, "BYE": 34, "180": 33,
         "183": 6, "PRACK": 5, "OPTIONS": 5, "CANCEL": 2, "487": 2, "182": 2, "486": 1, "403": 1}
    )  # fmt: skip
    assert not any(s.gap_before for s in decoded.streams)
    assert decoded.counters == {reasons.TCP_CONTROL: 614}


def test_sip_over_tcp(capture: Capture) -> None:
    decoded = capture("sip-over-tcp.pcap")
    messages = sip_over_tcp(decoded.streams)
    assert [sip_kind(m) for m in messages] == ["INVITE", "100", "180", "200", "ACK", "BYE", "200"]
    assert len(decoded.payloads()) == 68  # RTP and RTCP
    assert decoded.counters == {reasons.TCP_CONTROL: 9}


def test_pppoe_capture(capture: Capture) -> None:
    decoded = capture("DTMFsipinfo.pcap")
    assert sip_kinds(decoded.payloads()) == Counter(
        {"INVITE": 5, "ACK": 5, "CANCEL": 2, "INFO": 4, "100": 5, "200": 11}
    )
    assert decoded.counters == {}


def test_null_link_type_capture(capture: Capture) -> None:
    decoded = capture("h263-over-rtp.pcap")
    payloads = decoded.payloads()
    assert len(payloads) == 49
    assert sip_kinds(payloads) == Counter({"INVITE": 1, "ACK": 1, "100": 1, "200": 1})
    assert sum(p[:1] == b"\x80" for p in payloads) == 45  # RTP version 2
    assert decoded.decoder.addresses.text(int(decoded.datagrams[0].src[0])) == "127.0.0.1"


def test_tls_is_counted_and_nothing_is_handed_up(capture: Capture) -> None:
    decoded = capture("tlssaved.pcap")
    assert decoded.streams == []
    assert decoded.payloads() == []
    assert decoded.counters == {reasons.TLS: 12}


def test_vlan_free_ethernet_capture_goes_all_fast(capture: Capture) -> None:
    fast = capture("sipp-branch-scenario.pcapng")
    slow = capture("sipp-branch-scenario.pcapng", fast_path=False)
    assert fast.payloads() == slow.payloads()
    assert len(fast.payloads()) == 8989


def _tshark_udp(name: str) -> list[tuple[int, int, int]]:
    out = subprocess.run(
        ["tshark", "-r", str(TESTDATA / name), "-Y", "udp", "-T", "fields",
         "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = []
    for line in out.splitlines():
        sport, dport, length = (field.split(",")[-1] for field in line.split("\t"))  # innermost
        rows.append((int(sport), int(dport), int(length) - 8))
    return rows


@pytest.mark.tshark
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in TESTDATA.glob("*") if p.suffix in (".pcap", ".pcapng", ".cap"))
    or ["(no test captures)"],
)
def test_every_udp_datagram_matches_tshark(capture: Capture, name: str) -> None:
    decoded = capture(name)
    ours = [
        (int(d.sport[i]), int(d.dport[i]), int(d.length[i]))
        for d in decoded.datagrams
        for i in range(len(d))
    ]
    assert ours == _tshark_udp(name)
    assert reasons.DECODER_ERROR not in decoded.counters
