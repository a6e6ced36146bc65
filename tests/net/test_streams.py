"""What rides on TCP: plain SIP, WebSocket after an HTTP Upgrade, TLS (counted only)."""

from __future__ import annotations

import zlib

import pytest

from callvault.net import NetDecoder, StreamData, build, reasons
from callvault.net.build import websocket_frame, websocket_message
from callvault.net.numbers import TCP_ACK, TCP_FIN, TCP_PSH
from callvault.net.websocket import unmask

CLIENT, SERVER = "192.0.2.10", "192.0.2.20"
UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: sip.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)
SWITCHING = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
)
INVITE = b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid\r\n\r\n"
TRYING = b"SIP/2.0 100 Trying\r\nVia: SIP/2.0/WSS df7jal23ls0d.invalid\r\n\r\n"
MASK = b"\x37\xfa\x21\x3d"


class Connection:
    """Builds the segments of one TCP connection, keeping each side's sequence number."""

    def __init__(self, sport: int = 50000, dport: int = 443) -> None:
        self.sport, self.dport = sport, dport
        self.seq = {False: 1000, True: 90000}

    def send(
        self, payload: bytes, *, reverse: bool = False, flags: int = TCP_ACK | TCP_PSH
    ) -> bytes:
        seq = self.seq[reverse]
        self.seq[reverse] += len(payload)
        if reverse:
            return build.tcp_frame(
                SERVER, self.dport, CLIENT, self.sport, seq, payload, flags=flags
            )
        return build.tcp_frame(CLIENT, self.sport, SERVER, self.dport, seq, payload, flags=flags)


def decode(*frames: bytes) -> tuple[NetDecoder, list[StreamData]]:
    decoder = NetDecoder()
    _, streams = decoder.decode(build.packet_batch(list(frames)))
    return decoder, streams + decoder.flush()


def test_websocket_after_upgrade_hands_up_whole_messages() -> None:
    c = Connection()
    frames = [
        c.send(UPGRADE),
        c.send(SWITCHING, reverse=True),
        c.send(websocket_frame(INVITE, mask=MASK)),
        c.send(websocket_frame(TRYING), reverse=True),
    ]
    decoder, streams = decode(*frames)
    assert [(s.transport, s.data, s.sport) for s in streams] == [
        ("ws", INVITE, 50000),
        ("ws", TRYING, 443),
    ]
    assert decoder.counters.skipped == {reasons.WEBSOCKET_CONTROL: 2}  # the two handshake heads


def test_handshake_and_first_frame_in_one_segment_and_split_headers() -> None:
    c = Connection()
    first = UPGRADE + websocket_frame(INVITE, mask=MASK)
    frames = [c.send(first[:30]), c.send(first[30:100]), c.send(first[100:])]
    _, streams = decode(*frames)
    assert [(s.transport, s.data) for s in streams] == [("ws", INVITE)]


def test_fragmented_message_with_control_frames_between() -> None:
    c = Connection()
    message = INVITE * 5
    frames_bytes = (
        websocket_frame(message[:100], opcode=1, fin=False, mask=MASK)
        + websocket_frame(b"ping", opcode=9, mask=MASK)
        + websocket_frame(message[100:200], opcode=0, fin=False, mask=MASK)
        + websocket_frame(b"", opcode=10, mask=MASK)
        + websocket_frame(message[200:], opcode=0, fin=True, mask=MASK)
    )
    frames = [c.send(UPGRADE)] + [
        c.send(frames_bytes[i : i + 37]) for i in range(0, len(frames_bytes), 37)
    ]
    decoder, streams = decode(*frames)
    assert [(s.transport, s.data) for s in streams] == [("ws", message)]
    assert decoder.counters.skipped == {reasons.WEBSOCKET_CONTROL: 3}  # handshake, ping, pong


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_7_16_and_64_bit_lengths(size: int) -> None:
    c = Connection()
    payload = bytes(i % 251 for i in range(size))
    frame = websocket_message(payload, opcode=2, mask=MASK)
    frames = [c.send(SWITCHING, reverse=True)]
    frames += [c.send(frame[i : i + 1400], reverse=True) for i in range(0, len(frame), 1400)]
    _, streams = decode(*frames)
    assert [s.data for s in streams] == [payload]


def test_message_split_into_many_fragments_by_the_builder() -> None:
    c = Connection()
    frames = [c.send(UPGRADE), c.send(websocket_message(INVITE, mask=MASK, fragment_size=7))]
    _, streams = decode(*frames)
    assert [s.data for s in streams] == [INVITE]


def test_permessage_deflate() -> None:
    c = Connection()
    compressor = zlib.compressobj(wbits=-15)
    messages = [INVITE, TRYING, INVITE]
    body = b""
    for message in messages:
        data = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
        body += websocket_frame(data[:-4], rsv1=True, mask=MASK)
    frames = [c.send(UPGRADE), c.send(body)]
    decoder, streams = decode(*frames)
    assert [s.data for s in streams] == messages
    assert decoder.counters.skipped == {reasons.WEBSOCKET_CONTROL: 1}


def test_bad_deflate_data_is_counted() -> None:
    c = Connection()
    broken = websocket_frame(b"\xff\xff\xff\xff\xff", rsv1=True, mask=MASK)  # reserved block type
    decoder, streams = decode(c.send(UPGRADE), c.send(broken), c.send(websocket_frame(INVITE)))
    assert [s.data for s in streams] == [INVITE]
    assert decoder.counters.skipped == {reasons.WEBSOCKET_CONTROL: 1, reasons.WEBSOCKET_DEFLATE: 1}


def test_broken_frames_are_counted() -> None:
    c = Connection()
    frames = [
        c.send(UPGRADE),
        c.send(websocket_frame(b"lost", opcode=0, mask=MASK)),  # continuation of nothing
        c.send(websocket_frame(b"odd", opcode=3, mask=MASK)),  # reserved opcode
        c.send(websocket_frame(INVITE[:10], fin=False, mask=MASK)),  # interrupted by a new message
        c.send(websocket_frame(INVITE, mask=MASK)),
        c.send(b"\x81\x7f" + (1 << 40).to_bytes(8, "big") + MASK),  # 1 TiB frame
    ]
    decoder, streams = decode(*frames)
    assert [s.data for s in streams] == [INVITE]
    assert decoder.counters.skipped == {
        reasons.WEBSOCKET_CONTROL: 1,
        reasons.WEBSOCKET_BAD: 3,
        reasons.WEBSOCKET_TOO_LARGE: 1,
    }


def test_gap_in_websocket_drops_the_partial_message_and_marks_the_next() -> None:
    c = Connection()
    head = c.send(UPGRADE)
    partial = websocket_frame(INVITE, mask=MASK)
    first = c.send(partial[:20])
    c.seq[False] += len(partial) - 20  # the rest is never captured
    after = c.send(websocket_frame(TRYING, mask=MASK))
    decoder = NetDecoder()
    decoder.decode(build.packet_batch([head, first, after], ts=[1.0, 1.1, 1.2]))
    _, streams = decoder.decode(
        build.packet_batch([build.udp_frame("1.1.1.1", 1, "2.2.2.2", 2, b"x")], ts=[9.0])
    )
    assert [(s.data, s.gap_before) for s in streams] == [(TRYING, True)]
    assert decoder.counters.skipped[reasons.WEBSOCKET_LOST] == 1


def test_plain_http_is_handed_up_as_tcp() -> None:
    c = Connection(dport=80)
    request = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n"
    response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
    _, streams = decode(c.send(request), c.send(response, reverse=True))
    assert [(s.transport, s.data) for s in streams] == [("tcp", request), ("tcp", response)]


def test_tls_is_counted_and_nothing_is_handed_up() -> None:
    c = Connection(dport=5061)
    hello = b"\x16\x03\x01\x00\x05" + bytes(5)
    frames = [
        c.send(hello),
        c.send(hello, reverse=True),
        c.send(b"\x17\x03\x03\x00\x10" + bytes(16)),
    ]
    frames.append(c.send(b"\x17\x03\x03\x00\x10" + bytes(16), flags=TCP_ACK | TCP_FIN))
    decoder, streams = decode(*frames)
    assert streams == []
    assert decoder.counters.skipped == {reasons.TLS: 4}
    assert decoder.tcp_directions == 0


def test_tls_seen_mid_stream_on_any_port() -> None:
    c = Connection(dport=8443)
    decoder, streams = decode(c.send(b"\x17\x03\x03\x01\x00" + bytes(256)))
    assert streams == []
    assert decoder.counters.skipped == {reasons.TLS: 1}


def test_port_5061_without_plaintext_sip_is_tls() -> None:
    c = Connection(dport=5061)
    decoder, streams = decode(c.send(bytes(range(200, 256))))
    assert streams == [] and decoder.counters.skipped == {reasons.TLS: 1}
    c = Connection(dport=5061)
    decoder, streams = decode(c.send(INVITE))
    assert [s.data for s in streams] == [INVITE]


def test_unmask_is_its_own_inverse() -> None:
    data = bytes(range(256)) * 3 + b"xyz"
    assert unmask(unmask(data, MASK), MASK) == data
    assert unmask(b"\x00\x00\x00\x00\x00", MASK) == MASK + MASK[:1]
