"""Property tests: every SIP-layer parser raises nothing but ParseError, on any input.

Inputs are random bytes/text and real messages (RFC 4475, captures) with random damage:
flipped bytes, cut ranges, inserted separators, truncation. Round trips are checked where a
value can be written back (URIs, addresses, framed streams).
"""

from __future__ import annotations

from contextlib import suppress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sipdata import CAPTURED, RFC4475

from callvault.errors import ParseError
from callvault.sip import (
    Address,
    Headers,
    SipRequest,
    SipStreamFramer,
    SipUri,
    check_message,
    parse_address,
    parse_address_list,
    parse_cseq,
    parse_dtmf_info,
    parse_message,
    parse_sdp,
    parse_uri,
    parse_via_list,
)
from callvault.sip.framing import MAX_BODY_BYTES, MAX_HEADER_BYTES
from callvault.sip.headers import COMPACT_FORMS

SEEDS = [p.read_bytes() for p in sorted(RFC4475.glob("*.dat"))] + [
    p.read_bytes() for p in sorted(CAPTURED.glob("*.sip"))
]
FRAMEABLE = [
    s
    for s, m in ((s, parse_message(s)) for s in SEEDS)
    if m.content_length == len(m.body) and m.size == len(s)
]
"""Seeds that are exactly one message delimited by its Content-Length."""
SDP_SEEDS = [b for b in (parse_message(s).find_body() for s in SEEDS[-10:]) if b]

SPLICES = [
    b"\r\n", b"\n", b"\r\n ", b" ", b":", b";", b",", b"=", b"<", b">", b'"', b"\\", b"@", b"?",
    b"/", b"[", b"]", b"%", b"\x00", b"\xff", b"--", b"SIP/2.0", b"sip:", b"tel:",
    b"Content-Length: 3\r\n", b"l: 99999999999\r\n", b"boundary=", b"99999999999999999999",
    b"m=audio 1 RTP/AVP 0\r\n", b"a=rtpmap:", b"c=IN IP4 ",
]  # fmt: skip

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A real message with up to 8 random edits."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 8))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 3))
        if kind == 0 and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif kind == 1:
            del data[pos : pos + draw(st.integers(1, 40))]
        elif kind == 2:
            data[pos:pos] = draw(st.sampled_from(SPLICES))
        else:
            del data[pos:]
    return bytes(data)


def _exercise(data: bytes) -> None:
    """Parses ``data`` and touches everything the correlator may touch."""
    try:
        msg = parse_message(data)
    except ParseError:
        return
    assert 0 < msg.size <= len(data)
    assert data[msg.size - len(msg.body) : msg.size] == msg.body
    for name in (
        "call_id", "cseq", "from_", "to", "contacts", "contact", "via", "max_forwards",
        "user_agent", "server", "reason", "content_type", "media_type", "refer_to", "referred_by",
    ):  # fmt: skip
        getattr(msg, name)
    if isinstance(msg, SipRequest):
        _ = msg.uri
    assert all(isinstance(p, str) for p in check_message(msg))
    for call in (msg.body_parts, msg.find_body):
        with suppress(ParseError):
            call()
    with suppress(ParseError):
        parse_dtmf_info(msg.content_type or "", msg.body)


@SETTINGS
@given(st.binary(max_size=600))
def test_parse_message_random_bytes(data: bytes) -> None:
    _exercise(data)


@SETTINGS
@given(st.binary(max_size=300).map(lambda tail: b"INVITE sip:a@b SIP/2.0\r\n" + tail))
def test_parse_message_random_headers(data: bytes) -> None:
    _exercise(data)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged(SEEDS))
def test_parse_message_damaged_real_messages(data: bytes) -> None:
    _exercise(data)


@SETTINGS
@given(st.sampled_from(FRAMEABLE), st.binary(max_size=100))
def test_trailing_bytes_do_not_change_a_delimited_message(data: bytes, tail: bytes) -> None:
    alone, padded = parse_message(data), parse_message(data + tail)
    assert (padded.size, padded.body, padded.headers) == (alone.size, alone.body, alone.headers)


@SETTINGS
@given(st.sampled_from(SEEDS[-10:]))
def test_lf_only_line_ends_read_the_same_headers(data: bytes) -> None:
    head = data[: data.index(b"\r\n\r\n") + 4]
    crlf, lf = parse_message(head), parse_message(head.replace(b"\r\n", b"\n"))
    assert crlf.headers == lf.headers and crlf.start_line == lf.start_line


@SETTINGS
@given(
    st.sampled_from(sorted(COMPACT_FORMS.items())),
    st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r\n"), max_size=20),
)
def test_compact_and_full_names_are_one_header(pair: tuple[str, str], value: str) -> None:
    letter, name = pair
    headers = Headers([(letter, value), (name.upper(), "second")])
    assert headers.get_list(name) == headers.get_list(letter) == [value, "second"]


# ---- URIs and addresses ----------------------------------------------------------------------

TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!*_+~'%",
    min_size=1,
    max_size=12,
)
HOST = st.one_of(
    st.from_regex(r"[a-z][a-z0-9\-]{0,10}(\.[a-z][a-z0-9]{0,6}){0,3}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
)
PARAMS = st.lists(st.tuples(TOKEN, st.one_of(st.none(), TOKEN)), max_size=4).map(tuple)


@st.composite
def sip_uris(draw: st.DrawFn) -> SipUri:
    user = draw(st.one_of(st.none(), TOKEN))
    return SipUri(
        scheme=draw(st.sampled_from(["sip", "sips"])),
        user=user,
        password=draw(TOKEN) if user is not None and draw(st.booleans()) else None,
        host=draw(HOST),
        port=draw(st.one_of(st.none(), st.integers(0, 65535))),
        params=draw(PARAMS),
        headers=tuple(draw(st.lists(st.tuples(TOKEN, TOKEN), max_size=3))),
    )


@SETTINGS
@given(sip_uris())
def test_generated_uri_round_trips(uri: SipUri) -> None:
    assert parse_uri(str(uri)) == uri


@SETTINGS
@given(sip_uris(), st.one_of(st.none(), st.text(max_size=20)), PARAMS)
def test_generated_address_round_trips(
    uri: SipUri, display: str | None, params: tuple[tuple[str, str | None], ...]
) -> None:
    address = Address(display, uri, params)
    assert parse_address(str(address)) == address


@SETTINGS
@given(st.text(max_size=200))
def test_uri_and_address_parsers_on_random_text(text: str) -> None:
    for parse in (parse_uri, parse_address, parse_address_list, parse_via_list, parse_cseq):
        try:
            parsed = parse(text)
        except ParseError:
            continue
        if parse is parse_uri:
            assert parse_uri(str(parsed)) == parsed
        if parse is parse_address:
            assert parse_address(str(parsed)) == parsed


# ---- SDP, framing, DTMF ----------------------------------------------------------------------


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), damaged(SDP_SEEDS)))
def test_parse_sdp_only_raises_parse_error(data: bytes) -> None:
    try:
        session = parse_sdp(data)
    except ParseError:
        return
    for media in session.media:
        assert 0 <= media.port <= 65535 and media.port_count >= 0
        assert all(0 <= pt <= 127 for pt in media.rtpmap)
        assert media.direction in ("sendrecv", "sendonly", "recvonly", "inactive")


@SETTINGS
@given(
    st.lists(st.sampled_from(FRAMEABLE), min_size=1, max_size=5),
    st.lists(st.integers(1, 400), min_size=1, max_size=40),
    st.sampled_from([b"", b"\r\n", b"\r\n\r\n"]),
)
def test_framer_reassembles_any_segmentation(
    messages: list[bytes], cuts: list[int], keepalive: bytes
) -> None:
    stream = b"".join(keepalive + m for m in messages)
    framer = SipStreamFramer()
    out: list[bytes] = []
    pos = 0
    for size in cuts * (len(stream) // sum(cuts) + 1):
        out += framer.feed(stream[pos : pos + size])
        pos += size
        if pos >= len(stream):
            break
    assert out == messages and framer.buffered == 0 and not framer.drops


@SETTINGS
@given(st.lists(st.binary(max_size=3000), max_size=30), st.booleans())
def test_framer_on_garbage_stays_bounded(chunks: list[bytes], synced: bool) -> None:
    framer = SipStreamFramer(synced=synced)
    for chunk in chunks:
        for message in framer.feed(chunk):
            assert isinstance(message, bytes)
        assert framer.buffered <= MAX_HEADER_BYTES + 4 + MAX_BODY_BYTES + len(chunk)


@SETTINGS
@given(st.sampled_from(FRAMEABLE), damaged(FRAMEABLE))
def test_framer_recovers_after_damage(good: bytes, bad: bytes) -> None:
    """Whatever garbage precedes it, a message after a gap is framed once resynchronised."""
    framer = SipStreamFramer()
    framer.feed(bad)
    framer.resync()
    assert framer.feed(b"\r\n" + good) == [good]


@SETTINGS
@given(st.text(max_size=40), st.binary(max_size=200))
def test_parse_dtmf_info_random(content_type: str, body: bytes) -> None:
    for kind in (content_type, "application/dtmf-relay", "application/dtmf"):
        try:
            info = parse_dtmf_info(kind, body)
        except ParseError:
            continue
        assert info is None or info.digit in set("0123456789*#ABCD") | {"flash"}
