"""The frame builders: checksums, fragmentation, and what tshark makes of the frames."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callvault.capture.batch import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_LOOP,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
)
from callvault.net import build
from callvault.net.numbers import IPPROTO_GRE, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_SYN

SIP = b"OPTIONS sip:x@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n"


@given(st.binary(max_size=200))
def test_checksum_of_data_with_its_checksum_is_zero(data: bytes) -> None:
    data += b"\x00" * (len(data) % 2)
    summed = data + struct.pack("!H", build.checksum(data))
    assert build.checksum(summed) == 0


def test_checksum_known_value() -> None:
    # RFC 1071 section 3 example: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d
    assert build.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


def test_ipv4_header_checksum_verifies() -> None:
    packet = build.ipv4("192.0.2.1", "198.51.100.2", IPPROTO_UDP, b"x", options=b"\x01\x01\x01\x01")
    assert build.checksum(packet[:24]) == 0
    assert build.checksum(build.udp_frame("10.0.0.1", 1, "10.0.0.2", 2, b"abc")[14:34]) == 0


def test_fragment_ipv4_keeps_offsets_flags_and_bytes() -> None:
    packet = build.ipv4(
        "10.0.0.1", "10.0.0.2", IPPROTO_UDP, build.udp(1, 2, bytes(range(250)) * 4), ident=77
    )
    fragments = build.fragment_ipv4(packet, 300)
    assert all(len(f) <= 300 for f in fragments)
    flags = [struct.unpack_from("!H", f, 6)[0] for f in fragments]
    assert [bool(f & 0x2000) for f in flags] == [True] * (len(fragments) - 1) + [False]
    assert [(f & 0x1FFF) * 8 for f in flags] == [i * 280 for i in range(len(fragments))]
    assert b"".join(f[20:] for f in fragments) == packet[20:]
    assert all(build.checksum(f[:20]) == 0 for f in fragments)


def test_fragment_ipv6_puts_a_fragment_header_in_each() -> None:
    packet = build.ipv6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, build.udp(1, 2, bytes(3000)))
    fragments = build.fragment_ipv6(packet, 1280, ident=5)
    assert all(len(f) <= 1280 and f[6] == 44 for f in fragments)
    assert b"".join(f[48:] for f in fragments) == packet[40:]


def test_ipv6_udp_gets_its_mandatory_checksum() -> None:
    packet = build.ipv6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, build.udp(1, 2, SIP))
    pseudo = packet[8:40] + struct.pack("!IxxxB", len(packet) - 40, IPPROTO_UDP)
    assert packet[46:48] != b"\x00\x00"
    assert build.checksum(pseudo + packet[40:]) == 0


def test_websocket_frame_lengths_and_mask() -> None:
    assert build.websocket_frame(b"hi") == b"\x81\x02hi"
    assert build.websocket_frame(b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert build.websocket_frame(b"x" * 65536, opcode=2)[:10] == b"\x82\x7f" + (65536).to_bytes(
        8, "big"
    )
    masked = build.websocket_frame(b"Hello", mask=b"\x37\xfa\x21\x3d")
    assert masked == bytes.fromhex("818537fa213d7f9f4d5158")  # RFC 6455 section 5.7


def _pcap(path: Path, frames: list[bytes], linktype: int) -> None:
    records = b"".join(struct.pack("<IIII", 1, i, len(f), len(f)) + f for i, f in enumerate(frames))
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype) + records)


def _tshark(path: Path, *fields: str) -> list[list[str]]:
    command = ["tshark", "-r", str(path), "-o", "ip.check_checksum:TRUE", "-T", "fields"]
    out = subprocess.run(
        [*command, *(a for f in fields for a in ("-e", f))],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split("\t") for line in out.stdout.splitlines()]


V4 = build.ipv4("192.0.2.1", "192.0.2.2", IPPROTO_UDP, build.udp(5060, 5060, SIP))
V6 = build.ipv6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, build.udp(5060, 5060, SIP))
TCP_V4 = build.ipv4(
    "192.0.2.1", "192.0.2.2", IPPROTO_TCP, build.tcp(1, 5060, 10, 0, TCP_SYN | TCP_ACK)
)
FRAMES_BY_LINK = {
    LINKTYPE_ETHERNET: [
        (build.link(V4), "eth:ethertype:ip:udp:sip"),
        (build.link(V6, vlans=(10,)), "eth:ethertype:vlan:ethertype:ipv6:udp:sip"),
        (
            build.link(V4, vlans=(10, 20)),
            "eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:udp:sip",
        ),
        (build.ethernet(build.pppoe(V4), ethertype=0x8864), "eth:ethertype:pppoes:ppp:ip:udp:sip"),
        (build.ethernet(build.mpls(V4, [100]), ethertype=0x8847), "eth:ethertype:mpls:ip:udp:sip"),
        (build.link(build.ip_in_ip("10.0.0.1", "10.0.0.2", V6)), "eth:ethertype:ip:ipv6:udp:sip"),
        (
            build.link(
                build.ipv4(
                    "10.0.0.1", "10.0.0.2", IPPROTO_GRE, build.gre(V4, 0x0800, key=5, sequence=1)
                )
            ),
            "eth:ethertype:ip:gre:ip:udp:sip",
        ),
        (
            build.link(
                build.ipv4("10.0.0.1", "10.0.0.2", IPPROTO_GRE, build.erspan2(build.link(V4)))
            ),
            "eth:ethertype:ip:gre:erspan:eth:ethertype:ip:udp:sip",
        ),
        (
            build.link(
                build.ipv4("10.0.0.1", "10.0.0.2", IPPROTO_GRE, build.erspan3(build.link(V4)))
            ),
            "eth:ethertype:ip:gre:erspan:eth:ethertype:ip:udp:sip",
        ),
        (
            build.udp_frame("10.0.0.1", 1, "10.0.0.2", 4789, build.vxlan(build.link(V4))),
            "eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:udp:sip",
        ),
        (build.link(TCP_V4), "eth:ethertype:ip:tcp"),
    ],
    LINKTYPE_LINUX_SLL: [(build.link(V4, LINKTYPE_LINUX_SLL), "sll:ethertype:ip:udp:sip")],
    LINKTYPE_LINUX_SLL2: [(build.link(V6, LINKTYPE_LINUX_SLL2), "sll:ethertype:ipv6:udp:sip")],
    LINKTYPE_NULL: [(build.link(V4, LINKTYPE_NULL), "null:ip:udp:sip")],
    LINKTYPE_LOOP: [(build.link(V4, LINKTYPE_LOOP), "null:ip:udp:sip")],  # tshark calls it null
    LINKTYPE_RAW: [(V6, "raw:ipv6:udp:sip")],
}


@pytest.mark.tshark
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
@pytest.mark.parametrize("linktype", sorted(FRAMES_BY_LINK))
def test_tshark_reads_built_frames_as_intended(tmp_path: Path, linktype: int) -> None:
    frames = FRAMES_BY_LINK[linktype]
    path = tmp_path / "built.pcap"
    _pcap(path, [f for f, _ in frames], linktype)
    rows = _tshark(path, "frame.protocols", "ip.checksum.status", "_ws.expert.message")
    assert [row[0] for row in rows] == [protocols for _, protocols in frames]
    for row in rows:
        assert set(row[1].split(",")) <= {"", "1"}  # 1: good
        assert "checksum" not in row[2].lower() and "malformed" not in row[2].lower()


@pytest.mark.tshark
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_reassembles_built_fragments(tmp_path: Path) -> None:
    v4 = build.ipv4(
        "192.0.2.1", "192.0.2.2", IPPROTO_UDP, build.udp(5060, 5060, SIP + bytes(3000)), ident=9
    )
    v6 = build.ipv6(
        "2001:db8::1", "2001:db8::2", IPPROTO_UDP, build.udp(5060, 5060, SIP + bytes(3000))
    )
    frames = [build.link(f) for f in build.fragment_ipv4(v4, 1500) + build.fragment_ipv6(v6, 1280)]
    path = tmp_path / "fragments.pcap"
    _pcap(path, frames, LINKTYPE_ETHERNET)
    rows = _tshark(path, "udp.length")
    assert [row[0] for row in rows] == ["", "", "3064", "", "", "3064"]
