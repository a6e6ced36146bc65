"""parse_sdp (RFC 4566 / RFC 3264) and the hold rule."""

from __future__ import annotations

import pytest
from sipdata import captured, rfc4475

from callvault.errors import ParseError
from callvault.sip import RtpMap, is_hold, parse_message, parse_sdp, static_payload_name
from callvault.sip.sdp import MAX_MEDIA, MAX_SDP_BYTES

OFFER = b"""v=0\r
o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com\r
s=Call\r
c=IN IP4 192.0.2.10\r
t=0 0\r
a=sendonly\r
m=audio 49170 RTP/SAVP 0 8 97 101\r
a=rtpmap:97 iLBC/8000\r
a=rtpmap:101 telephone-event/8000\r
a=fmtp:101 0-15\r
a=ptime:30\r
a=rtcp:53020 IN IP4 192.0.2.11\r
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r
a=label:caller\r
m=video 51372/2 RTP/AVP 31 96\r
c=IN IP4 224.2.1.1/127\r
a=rtpmap:96 H264/90000\r
a=recvonly\r
m=audio 0 RTP/AVP 18\r
"""


def test_offer_session_and_media_fields() -> None:
    session = parse_sdp(OFFER)
    assert session.origin is not None
    assert (session.origin.username, session.origin.session_version) == ("alice", "2890844527")
    assert (session.session_name, session.connection, session.direction) == (
        "Call",
        "192.0.2.10",
        "sendonly",
    )
    audio, video, rejected = session.media
    assert (audio.kind, audio.port, audio.port_count, audio.proto) == (
        "audio",
        49170,
        1,
        "RTP/SAVP",
    )
    assert audio.formats == (0, 8, 97, 101)
    assert audio.rtpmap == {
        0: RtpMap("PCMU", 8000),
        8: RtpMap("PCMA", 8000),
        97: RtpMap("iLBC", 8000),
        101: RtpMap("telephone-event", 8000),
    }
    assert audio.fmtp == {101: "0-15"}
    assert (audio.ptime, audio.rtcp_port, audio.crypto, audio.label) == (30, 53020, True, "caller")
    assert (audio.connection, audio.direction) == ("192.0.2.10", "sendonly")
    assert (video.port, video.port_count, video.connection, video.direction) == (
        51372,
        2,
        "224.2.1.1",
        "recvonly",
    )
    assert video.rtpmap == {31: RtpMap("H261", 90000), 96: RtpMap("H264", 90000)}
    assert (video.crypto, video.label, video.ptime) == (False, None, None)
    assert (rejected.port, rejected.rtpmap) == (0, {18: RtpMap("G729", 8000)})


def test_direction_defaults_to_sendrecv() -> None:
    session = parse_sdp(b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n")
    assert session.direction == "sendrecv" and session.media[0].direction == "sendrecv"


@pytest.mark.parametrize(
    ("direction", "address", "port", "held"),
    [
        ("sendonly", "192.0.2.1", 4000, True),
        ("inactive", "192.0.2.1", 4000, True),
        ("sendrecv", "0.0.0.0", 4000, True),
        ("sendrecv", "::", 4000, True),
        ("recvonly", "192.0.2.1", 4000, False),
        ("sendrecv", "192.0.2.1", 4000, False),
        ("sendonly", "192.0.2.1", 0, False),
    ],
)
def test_is_hold(direction: str, address: str, port: int, held: bool) -> None:
    family = "IP6" if ":" in address else "IP4"
    body = f"v=0\r\nc=IN {family} {address}\r\nm=audio {port} RTP/AVP 0\r\na={direction}\r\n"
    assert is_hold(parse_sdp(body.encode()).media[0]) is held


def test_lf_only_and_trailing_blanks() -> None:
    session = parse_sdp(
        b"v=0\no=- 1 1 IN IP6 ::1  \ns=-\nc=IN IP6 2001:db8::5\nm=audio 5004 RTP/AVP 9\n\n"
    )
    assert session.origin is not None and session.origin.address == "::1"
    media = session.media[0]
    assert (media.connection, media.rtpmap[9]) == ("2001:db8::5", RtpMap("G722", 8000))


def test_malformed_attributes_are_skipped_not_fatal() -> None:
    body = (
        b"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 96 31\r\n"
        b"a=rtpmap:96\r\na=rtpmap:x opus/48000\r\na=rtpmap:97 opus/abc\r\na=rtpmap:31 LPC\r\n"
        b"a=ptime:lots\r\na=rtcp:port\r\ngarbage line\r\nc=IN IP4\r\n"
    )
    media = parse_sdp(body).media[0]
    assert media.rtpmap == {0: RtpMap("PCMU", 8000), 31: RtpMap("H261", 90000)}
    assert (media.ptime, media.rtcp_port, media.connection) == (None, None, "192.0.2.1")


def test_rfc4475_body_with_rtpmap_lacking_clock_rate() -> None:
    """wsinv's "a=rtpmap:31 LPC" has no clock rate: the static meaning of 31 stands."""
    msg = parse_message(rfc4475("wsinv"))
    audio, video = parse_sdp(msg.body).media
    assert audio.connection == "192.0.2.4"
    assert audio.rtpmap == {0: RtpMap("PCMU", 8000), 12: RtpMap("QCELP", 8000)}
    assert video.rtpmap == {31: RtpMap("H261", 90000)}


def test_captured_siprec_answer_and_fax() -> None:
    fax = parse_sdp(parse_message(captured("reinvite_t38_fax.sip")).body)
    assert fax.media[0].formats == ("t38",) and not fax.media[0].is_rtp
    webrtc = parse_sdp(parse_message(captured("invite_webrtc_savpf.sip")).body)
    assert webrtc.media[0].is_rtp
    assert ("ice-ufrag", "BwhA") in webrtc.media[0].attributes


def test_static_payload_names() -> None:
    assert [static_payload_name(pt) for pt in (0, 3, 4, 8, 9, 13, 18, 34, 96, 2)] == [
        "PCMU/8000",
        "GSM/8000",
        "G723/8000",
        "PCMA/8000",
        "G722/8000",
        "CN/8000",
        "G729/8000",
        "H263/90000",
        None,
        None,
    ]
    assert (
        str(RtpMap("opus", 48000, 2)) == "opus/48000/2" and str(RtpMap("PCMU", 8000)) == "PCMU/8000"
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "SDP does not start with v="),
        (b"\r\n\r\n", "SDP does not start with v="),
        (b"o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", "SDP does not start with v="),
        (b"hello world", "SDP does not start with v="),
        (b"v=0\r\nm=audio\r\n", "m= line has fewer than three fields"),
        (b"v=0\r\nm=audio x RTP/AVP 0\r\n", "m= line has no valid port"),
        (b"v=0\r\nm=audio 70000 RTP/AVP 0\r\n", "m= line has no valid port"),
        (b"v=0\r\nm=audio 4000/x RTP/AVP 0\r\n", "m= line has no valid port"),
        (b"v=0\r\n" + b"m=audio 1 RTP/AVP 0\r\n" * (MAX_MEDIA + 1), "too many m= lines"),
        (b"v=0\r\n" + b"a=x\r\n" * (MAX_SDP_BYTES // 5), "SDP too large"),
    ],
)
def test_refusals(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_sdp(data)
    assert str(raised.value) == reason
