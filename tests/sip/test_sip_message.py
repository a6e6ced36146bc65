"""parse_message on real captured messages, and its framing, header and error behaviour."""

from __future__ import annotations

import pytest
from sipdata import CAPTURED, captured

from callvault.errors import ParseError, Truncated
from callvault.sip import (
    Headers,
    SipRequest,
    SipResponse,
    canonical_name,
    check_message,
    is_hold,
    parse_message,
    parse_sdp,
)
from callvault.sip.headers import COMPACT_FORMS
from callvault.sip.message import MAX_HEADER_BYTES, MAX_HEADER_FIELDS

FIXTURES = sorted(p.name for p in CAPTURED.glob("*.sip") if p.name != "invite_bare_ipv6.sip")

MINIMAL = (
    b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:bob@example.com>\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\n"
    b"Call-ID: abc@192.0.2.1\r\n"
    b"CSeq: 1 OPTIONS\r\n"
)


def _with(extra: bytes = b"", body: bytes = b"") -> bytes:
    return MINIMAL + extra + b"\r\n" + body


@pytest.mark.parametrize("name", FIXTURES)
def test_captured_message_parses_whole_and_checks_clean(name: str) -> None:
    data = captured(name)
    msg = parse_message(data, strict=True)
    assert msg.size == len(data)
    assert msg.call_id and msg.cseq is not None and msg.via
    assert msg.from_ is not None and msg.to is not None
    assert check_message(msg) == []


def test_invite_with_audio_and_video_sdp() -> None:
    msg = parse_message(captured("invite_sdp_video_dtmfsipinfo.sip"))
    assert isinstance(msg, SipRequest)
    assert (msg.method, str(msg.uri)) == ("INVITE", "sip:echo@iptel.org")
    assert msg.from_ is not None and msg.from_.display_name == "sam netmon "
    assert msg.to is not None and msg.to.tag is None
    assert msg.user_agent is not None and msg.server is None
    session = parse_sdp(msg.find_body() or b"")
    audio, video = session.media
    assert (audio.kind, audio.port, audio.connection) == ("audio", 5092, "178.45.73.241")
    assert [str(audio.rtpmap[pt]) for pt in audio.formats] == [
        "PCMA/8000",
        "telephone-event/8000",
        "NSE/8000",
    ]
    assert (video.kind, video.formats) == ("video", (119, 31))


def test_siprec_invite_multipart_sdp_and_metadata() -> None:
    msg = parse_message(captured("invite_siprec_multipart.sip"))
    parts = msg.body_parts()
    assert [p.media_type for p in parts] == ["application/sdp", "application/rs-metadata+xml"]
    assert parts[1].headers.get("Content-Disposition") == "recording-session"
    assert parts[1].data.startswith(b"<?xml") and parts[1].data.endswith(b"</recording>")
    assert msg.headers.get("Require") == "siprec"
    assert msg.contact is not None and msg.contact.param("+sip.src") == ""
    sdp = msg.find_body("application/sdp")
    assert sdp == parts[0].data
    media = parse_sdp(sdp).media
    assert [(m.label, m.port, m.direction) for m in media] == [
        ("1", 20000, "sendonly"),
        ("2", 20002, "sendonly"),
    ]


def test_reinvite_to_hold_and_its_answer() -> None:
    offer = parse_message(captured("reinvite_sendonly_hold.sip"))
    answer = parse_message(captured("ok_recvonly_hold.sip"))
    assert isinstance(answer, SipResponse) and answer.status == 200
    assert offer.cseq == answer.cseq and offer.cseq is not None and offer.cseq.seq == 2
    held = parse_sdp(offer.find_body() or b"").media[0]
    reply = parse_sdp(answer.find_body() or b"").media[0]
    assert (held.direction, is_hold(held)) == ("sendonly", True)
    assert (reply.direction, is_hold(reply)) == ("recvonly", False)


def test_info_dtmf_relay() -> None:
    msg = parse_message(captured("info_dtmf_relay_dtmfsipinfo.sip"))
    assert isinstance(msg, SipRequest) and msg.method == "INFO"
    assert msg.content_type == "application/dtmf-relay"
    assert msg.body == b"Signal= 1\r\nDuration= 180\r\n"


def test_refer_with_replaces() -> None:
    msg = parse_message(captured("refer_erspan.sip"))
    assert msg.refer_to is not None
    assert msg.refer_to.uri.user == "20008910"
    assert [name for name, _ in msg.refer_to.uri.headers] == ["Replaces"]
    assert msg.referred_by is not None and msg.referred_by.uri.host == "101.231.48.19"
    assert msg.to is not None and msg.to.display_name == "test"


def test_183_session_progress_with_sdp() -> None:
    msg = parse_message(captured("ringing_183_sdp_websocket.sip"))
    assert isinstance(msg, SipResponse)
    assert (msg.status, msg.reason_phrase) == (183, "Session Progress")
    assert [v.sent_by for v in msg.via] == ["10.243.0.157:5060", "10.243.0.143"]
    media = parse_sdp(msg.find_body() or b"").media[0]
    assert (media.connection, media.port, media.formats) == ("206.147.76.23", 63868, (0, 101))


def test_webrtc_invite() -> None:
    msg = parse_message(captured("invite_webrtc_savpf.sip"))
    assert [v.transport for v in msg.via] == ["UDP", "WSS"]
    assert msg.contact is not None and msg.contact.uri.transport == "ws"
    media = parse_sdp(msg.find_body() or b"").media[0]
    assert (media.proto, media.rtcp_port, media.rtcp_mux) == ("UDP/TLS/RTP/SAVPF", 9, True)
    assert str(media.rtpmap[111]) == "opus/48000/2"


def test_t38_reinvite() -> None:
    msg = parse_message(captured("reinvite_t38_fax.sip"))
    media = parse_sdp(msg.find_body() or b"").media[0]
    assert (media.kind, media.proto, media.formats, media.rtpmap) == (
        "image",
        "udptl",
        ("t38",),
        {},
    )


def test_ipv6_addresses_keep_their_brackets() -> None:
    msg = parse_message(captured("invite_ipv6frag_amr.sip"))
    assert msg.via[0].host == "[fd17:625c:f037:2:a00:27ff:feb9:1521]"
    assert msg.via[0].port == 15060
    assert msg.to is not None and msg.to.uri.port == 5062
    assert parse_sdp(msg.find_body() or b"").media[0].connection == (
        "fd17:625c:f037:2:a00:27ff:feb9:1521"
    )


# ---- framing of one message -------------------------------------------------------------------


def test_body_is_cut_at_content_length_and_size_counts_what_was_used() -> None:
    data = _with(b"Content-Type: text/plain\r\nContent-Length: 5\r\n", b"helloTRAILING")
    msg = parse_message(data)
    assert msg.body == b"hello"
    assert msg.size == len(data) - len(b"TRAILING")


def test_body_is_rest_of_datagram_without_content_length() -> None:
    msg = parse_message(_with(b"Content-Type: text/plain\r\n", b"all of it\r\n"))
    assert msg.body == b"all of it\r\n" and msg.content_length is None


def test_content_length_beyond_the_data_keeps_what_there_is() -> None:
    msg = parse_message(_with(b"Content-Type: text/plain\r\nl: 50\r\n", b"short"))
    assert (msg.body, msg.content_length) == (b"short", 50)
    assert check_message(msg) == ["Content-Length 50 exceeds the 5 bytes of body"]


def test_leading_crlfs_are_skipped_and_counted_in_size() -> None:
    data = b"\r\n\r\n" + _with(b"Content-Length: 0\r\n")
    msg = parse_message(data)
    assert msg.start_line.startswith("OPTIONS ") and msg.size == len(data)


def test_lf_only_line_ends() -> None:
    data = _with(b"Content-Length: 4\r\n", b"body").replace(b"\r\n", b"\n")
    msg = parse_message(data)
    assert msg.body == b"body" and msg.call_id == "abc@192.0.2.1"
    assert check_message(msg) == ["body without Content-Type (RFC 3261 §20.15)"]


def test_folded_header_values_are_unfolded_with_one_space() -> None:
    msg = parse_message(_with(b"Subject: first\r\n  second\r\n\tthird\r\nl: 0\r\n"))
    assert msg.headers.get("s") == "first second third"


def test_repeated_and_comma_joined_headers() -> None:
    extra = b"Supported: timer, 100rel\r\nk: replaces\r\nVia: SIP/2.0/TCP h2;branch=z9hG4bK2\r\n"
    msg = parse_message(_with(extra))
    assert msg.headers.get("Supported") == "timer, 100rel"
    assert msg.headers.get_list("supported") == ["timer, 100rel", "replaces"]
    assert msg.headers.get_list("Supported", split_commas=True) == ["timer", "100rel", "replaces"]
    assert [v.sent_by for v in msg.via] == ["192.0.2.1", "h2"]


@pytest.mark.parametrize(("letter", "name"), sorted(COMPACT_FORMS.items()))
def test_compact_form_reads_as_its_full_name(letter: str, name: str) -> None:
    msg = parse_message(_with(f"{letter.upper()}: compact-{letter}\r\n".encode()))
    assert msg.headers.get(name) == f"compact-{letter}" or name in (
        "call-id",
        "from",
        "to",
        "via",
    )
    assert f"compact-{letter}" in msg.headers.get_list(name)


def test_compact_form_names() -> None:
    assert [canonical_name(n) for n in ("i", "cseq", "V", "x", "y", "n", "X-Custom")] == [
        "Call-ID",
        "CSeq",
        "Via",
        "Session-Expires",
        "Identity",
        "Identity-Info",
        "X-Custom",
    ]


def test_headers_mapping_behaviour() -> None:
    headers = Headers([("Via", "a"), ("v", "b"), ("X-Thing", "1")])
    assert headers.get("VIA") == "a" and headers.count("via") == 2 and len(headers) == 3
    assert headers.get("missing", "default") == "default"
    assert "x-thing" in headers and "other" not in headers
    assert list(headers) == ["Via", "X-Thing"]
    assert headers.multi_items() == [("Via", "a"), ("v", "b"), ("X-Thing", "1")]
    with pytest.raises(KeyError):
        headers["missing"]


def test_malformed_values_make_accessors_none_not_errors() -> None:
    data = (
        b'INVITE sip:b@example.com SIP/2.0\r\nCSeq: one INVITE\r\nFrom: "open <sip:a@x>\r\n'
        b"To: <>\r\nVia: nonsense\r\nContact: <sip:ok@h>, <<<\r\nMax-Forwards: lots\r\n\r\n"
    )
    msg = parse_message(data)
    assert (msg.cseq, msg.from_, msg.to, msg.max_forwards, msg.call_id) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert msg.via == [] and msg.contacts == []


def test_response_reason_phrase_and_status() -> None:
    msg = parse_message(b"SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n")
    assert isinstance(msg, SipResponse)
    assert (msg.status, msg.reason_phrase, msg.version) == (486, "Busy Here", "SIP/2.0")


# ---- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error", "reason"),
    [
        (b"", Truncated, "no SIP start line"),
        (b"\r\n\r\n", Truncated, "no SIP start line"),
        (MINIMAL, Truncated, "header block not terminated"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", ParseError, "not a SIP start line"),
        (b"INVITE sip:a@b\r\n\r\n", ParseError, "not a SIP start line"),
        (b"SIP/2.0 OK 200\r\n\r\n", ParseError, "status code is not a number"),
        (b"IN(VITE sip:a@b SIP/2.0\r\n\r\n", ParseError, "request method is not a token"),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\n\r\n",
            ParseError,
            "header line has no colon",
        ),
        (b"OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", ParseError, "bad header name"),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\n folded: first\r\n\r\n",
            ParseError,
            "continuation line before the first header",
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\n" + b"X: y\r\n" * (MAX_HEADER_FIELDS + 1) + b"\r\n",
            ParseError,
            "too many header fields",
        ),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nX: " + b"y" * MAX_HEADER_BYTES + b"\r\n\r\n",
            ParseError,
            "header block too large",
        ),
    ],
    ids=[
        "empty",
        "only-crlf",
        "no-blank-line",
        "http",
        "no-version",
        "status-not-number",
        "method-not-token",
        "no-colon",
        "space-in-name",
        "leading-continuation",
        "too-many-fields",
        "too-large",
    ],
)
def test_refusals_name_their_reason(data: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as raised:
        parse_message(data)
    assert type(raised.value) is error and str(raised.value) == reason


def test_truncated_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_message(MINIMAL[:40])


# ---- bodies -------------------------------------------------------------------------------------

MULTIPART = (
    b"--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
    b'\r\n--b1\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
    b"--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
    b"--inner\r\nContent-Type: application/pidf+xml\r\n\r\n<presence/>\r\n--inner--\r\n"
    b"\r\n--b1--\r\n"
)


def test_multipart_parts_and_nested_search() -> None:
    data = _with(b"Content-Type: multipart/mixed;boundary=b1\r\n", MULTIPART)
    msg = parse_message(data)
    outer = msg.body_parts()
    assert [p.media_type for p in outer] == ["application/sdp", "multipart/alternative"]
    assert outer[0].data == b"v=0\r\n"
    assert msg.find_body("application/pidf+xml") == b"<presence/>"
    assert msg.find_body("APPLICATION/SDP") == b"v=0\r\n"


def test_single_part_body_and_empty_body() -> None:
    msg = parse_message(_with(b"Content-Type: application/sdp\r\n", b"v=0\r\n"))
    (part,) = msg.body_parts()
    assert (part.media_type, part.data) == ("application/sdp", b"v=0\r\n")
    assert parse_message(_with(b"l: 0\r\n")).body_parts() == []


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        (
            b"multipart/mixed",
            b"--x\r\n\r\nhi\r\n--x--\r\n",
            "multipart body without a usable boundary",
        ),
        (b"multipart/mixed;boundary=x", b"no delimiters", "multipart boundary not found in body"),
        (b"multipart/mixed;boundary=x", b"--x--\r\n", "multipart body without parts"),
        (
            b"multipart/mixed;boundary=x",
            b"--x\r\nContent-Type: text/plain\r\nno end of headers",
            "body part headers not terminated",
        ),
    ],
)
def test_broken_multipart_raises_parse_error(content_type: bytes, body: bytes, reason: str) -> None:
    msg = parse_message(_with(b"Content-Type: " + content_type + b"\r\n", body))
    with pytest.raises(ParseError) as raised:
        msg.find_body("application/sdp")
    assert str(raised.value) == reason


def test_bare_ipv6_message_is_read_and_reported() -> None:
    msg = parse_message(captured("invite_bare_ipv6.sip"))
    assert msg.from_ is not None and msg.from_.uri.host == "[fe80:0:0:0:21a:a0ff:fe07:32e0]"
    assert msg.via[0].sent_by == "[fe80:0:0:0:21a:a0ff:fe07:32e0]:5060"
    assert check_message(msg) == [
        "Request-URI has an IPv6 address without brackets",
        "From has an IPv6 address without brackets",
        "To has an IPv6 address without brackets",
        "Contact has an IPv6 address without brackets",
        "Via has an IPv6 address without brackets",
    ]
