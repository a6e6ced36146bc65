"""Objects the SIP parsers build without their dataclass ``__init__`` (for speed) must be
the objects that ``__init__`` would have built: same fields, same values, equal."""

from __future__ import annotations

import dataclasses

from callvault.sip import parse_message
from callvault.sip.sdp import parse_sdp

OFFER = (
    b"v=0\r\no=- 1000 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    b"a=sendonly\r\n"
    b"m=audio 20000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
    b"m=video 0 RTP/AVP 96\r\nc=IN IP4 192.0.2.9\r\na=recvonly\r\na=label:1\r\n"
)


def _rebuilt(instance: object) -> object:
    """The instance built again by its dataclass ``__init__`` from its own fields."""
    values = {f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)}  # type: ignore[arg-type]
    return type(instance)(**values)


def _assert_as_init_builds(instance: object) -> None:
    again = _rebuilt(instance)
    assert again == instance
    assert vars(again) == vars(instance)
    assert list(vars(instance)) == [f.name for f in dataclasses.fields(instance)]  # type: ignore[arg-type]


def test_sdp_descriptions_are_those_their_init_builds() -> None:
    session = parse_sdp(OFFER)
    _assert_as_init_builds(session)
    assert session.origin is not None
    _assert_as_init_builds(session.origin)
    assert len(session.media) == 2
    for media in session.media:
        _assert_as_init_builds(media)
    assert session.media[0].direction == "sendonly"
    assert session.media[1].connection == "192.0.2.9"


def test_each_description_has_its_own_dicts() -> None:
    first, second = parse_sdp(OFFER), parse_sdp(OFFER)
    assert first == second
    assert first.media[0].rtpmap is not second.media[0].rtpmap
    assert first.media[0].fmtp is not second.media[0].fmtp


def test_sip_messages_are_those_their_init_builds() -> None:
    data = (
        b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
        b"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
        b"Call-ID: abc@192.0.2.1\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nbody"
    )
    message = parse_message(data)
    again = _rebuilt(message)
    assert again == message
    assert again.call_id == message.call_id == "abc@192.0.2.1"  # type: ignore[attr-defined]
    assert again.cseq == message.cseq  # type: ignore[attr-defined]


def test_addresses_are_those_their_init_builds() -> None:
    message = parse_message(
        b'SIP/2.0 200 OK\r\nFrom: "Alice" <sip:alice@example.com>;tag=1;x\r\n'
        b"To: <sip:bob@example.com>\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n"
    )
    for address in (message.from_, message.to):
        assert address is not None
        _assert_as_init_builds(address)
    assert message.from_ is not None and message.from_.tag == "1"
    assert message.from_.params == (("tag", "1"), ("x", None))
