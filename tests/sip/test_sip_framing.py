"""SipStreamFramer: SIP over TCP cut by Content-Length (RFC 3261 §18.3)."""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict

import pytest
from sipdata import SHARED_TESTDATA, captured, rfc4475

from callvault.sip import SipStreamFramer, parse_message
from callvault.sip.framing import MAX_HEADER_BYTES, MAX_LINE_BYTES

INVITE = captured("invite_sdp_video_dtmfsipinfo.sip")
INFO = captured("info_dtmf_relay_dtmfsipinfo.sip")
OK = b"SIP/2.0 200 OK\r\nCSeq: 7 INFO\r\nl: 0\r\n\r\n"


def _feed_all(framer: SipStreamFramer, chunks: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out


def test_several_messages_in_one_segment() -> None:
    framer = SipStreamFramer()
    assert framer.feed(INVITE + INFO + OK) == [INVITE, INFO, OK]
    assert framer.buffered == 0 and not framer.drops


def test_one_message_over_many_segments() -> None:
    framer = SipStreamFramer()
    out = _feed_all(framer, [INVITE[i : i + 7] for i in range(0, len(INVITE), 7)])
    assert out == [INVITE]


def test_message_completes_only_with_its_last_body_byte() -> None:
    framer = SipStreamFramer()
    assert framer.feed(INFO[:-1]) == []
    assert framer.buffered == len(INFO) - 1
    assert framer.feed(INFO[-1:] + OK[:10]) == [INFO]
    assert framer.feed(OK[10:]) == [OK]


def test_crlf_keepalives_are_skipped() -> None:
    framer = SipStreamFramer()
    assert framer.feed(b"\r\n\r\n" + OK + b"\r\n" + b"\r\n\r\n" + OK) == [OK, OK]
    assert framer.feed(b"\r\n\r\n") == [] and framer.buffered == 0


def test_lf_only_stream() -> None:
    message = OK.replace(b"\r\n", b"\n")
    assert SipStreamFramer().feed(message + message) == [message, message]


def test_missing_content_length_drops_that_message_and_recovers() -> None:
    no_length = b"BYE sip:a@b SIP/2.0\r\nCSeq: 2 BYE\r\n\r\nstray body line\r\n"
    framer = SipStreamFramer()
    assert framer.feed(no_length + OK) == [OK]
    assert framer.drops == {"missing Content-Length": 1}


@pytest.mark.parametrize(
    ("lengths", "reason"),
    [
        (b"Content-Length: 5\r\nl: 6\r\n", "conflicting Content-Length"),
        (b"Content-Length: -1\r\n", "bad Content-Length"),
        (b"Content-Length: 99999999999\r\n", "bad Content-Length"),
    ],
)
def test_unusable_content_length(lengths: bytes, reason: str) -> None:
    bad = b"INFO sip:a@b SIP/2.0\r\n" + lengths + b"\r\nhello\r\n"
    framer = SipStreamFramer()
    assert framer.feed(bad + OK) == [OK]
    assert framer.drops == {reason: 1}


def test_resync_after_a_gap_skips_to_the_next_start_line() -> None:
    framer = SipStreamFramer()
    assert framer.feed(INVITE[:300]) == []
    framer.resync()  # segments lost: the rest of this INVITE never arrives
    assert framer.feed(INVITE[700:] + INFO) == [INFO]
    assert framer.skipped_bytes == 300 + len(INVITE) - 700


def test_unsynced_start_mid_stream() -> None:
    framer = SipStreamFramer(synced=False)
    assert _feed_all(framer, [INVITE[500:620], INVITE[620:], OK]) == [OK]


def test_reset_takes_the_next_byte_as_a_message_start() -> None:
    framer = SipStreamFramer()
    framer.feed(INVITE[:100])
    framer.reset()
    assert framer.buffered == 0 and framer.feed(OK) == [OK]


def test_oversized_header_block_is_dropped_and_buffer_stays_bounded() -> None:
    framer = SipStreamFramer()
    framer.feed(b"INVITE sip:a@b SIP/2.0\r\nX-Pad: ")
    for _ in range(MAX_HEADER_BYTES // 4096 + 2):
        framer.feed(b"p" * 4096)
    assert framer.drops["header block too large"] == 1
    assert framer.buffered <= MAX_LINE_BYTES
    assert framer.feed(b"\r\n\r\n" + OK) == [OK]


def test_non_sip_stream_is_skipped_with_bounded_memory() -> None:
    """TLS records or anything else: nothing comes out, nothing piles up."""
    framer = SipStreamFramer()
    noise = bytes(range(256)) * 64
    assert _feed_all(framer, [noise] * 20) == []
    assert framer.buffered <= MAX_LINE_BYTES
    assert framer.skipped_bytes >= 20 * len(noise) - MAX_LINE_BYTES
    assert framer.feed(b"\n" + OK) == [OK]


def test_rfc4475_messages_on_a_stream() -> None:
    """Every RFC 4475 message that has a usable Content-Length frames to exactly itself."""
    names = ["wsinv", "esc01", "longreq", "mpart01", "unreason", "noreason", "transports"]
    stream = b"".join(rfc4475(n) for n in names)
    out = SipStreamFramer().feed(stream)
    assert out == [rfc4475(n) for n in names]
    assert parse_message(out[0]).call_id == "wsinv.ndaksdj@192.0.2.1"


def _tcp_payloads(path: str) -> dict[tuple[str, str], list[bytes]]:
    rows = subprocess.run(
        [
            "tshark", "-r", path, "-d", "tcp.port==6060,sip", "-Y",
            "tcp.len > 0 && !tcp.analysis.retransmission", "-T", "fields",
            "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.payload",
        ],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.splitlines()  # fmt: skip
    segments: dict[tuple[str, str], list[bytes]] = defaultdict(list)
    for row in rows:
        stream, port, payload = row.split("\t")
        segments[(stream, port)].append(bytes.fromhex(payload.replace(":", "")))
    return segments


def _tshark_sip_count(path: str) -> int:
    rows = subprocess.run(
        [
            "tshark", "-r", path, "-d", "tcp.port==6060,sip", "-Y", "sip",
            "-T", "fields", "-e", "sip.CSeq",
        ],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.splitlines()  # fmt: skip
    return sum(len(r.split(",")) for r in rows)


@pytest.mark.testdata
@pytest.mark.tshark
@pytest.mark.parametrize(
    "capture",
    [
        "generated/sipp_loopback_tcp_call.pcap",
        "pcaps/sip_ipv4_tcp_fragmented.pcap",
        "pcaps/sip-over-tcp.pcap",
    ],
)
def test_captured_tcp_streams_frame_like_tshark(capture: str) -> None:
    path = SHARED_TESTDATA / capture
    if not path.exists():
        pytest.skip("shared test data absent")
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    framed: list[bytes] = []
    for segments in _tcp_payloads(str(path)).values():
        framer = SipStreamFramer()
        framed += _feed_all(framer, segments)
        assert not framer.drops and framer.buffered == 0
    assert len(framed) == _tshark_sip_count(str(path))
    for message in framed:
        assert parse_message(message).size == len(message)
