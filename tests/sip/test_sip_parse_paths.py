"""parse_message's two ways through a header block: the cached one for blocks of plain
header lines, the careful one for anything else. Both must read a message the same."""

from __future__ import annotations

import pytest

from callvault.errors import ParseError
from callvault.sip import Headers, parse_message
from callvault.sip.message import _header_fields

HEAD = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
    b"v: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2\r\n"
    b"To: <sip:bob@example.com>\r\n"
    b"From: <sip:alice@example.com>;tag=1\r\n"
    b"Call-ID: abc@192.0.2.1\r\n"
    b"CSeq: 1 INVITE\r\n"
)


def _careful(data: bytes) -> Headers:
    """The header fields as the line-by-line reader sees them."""
    head = data[: data.find(b"\r\n\r\n")].decode()
    return Headers(_header_fields(head.partition("\n")[2]))


def test_cached_headers_read_as_the_careful_reader_does() -> None:
    data = HEAD + b"Content-Length: 4\r\n\r\nbody"
    headers = parse_message(data).headers
    careful = _careful(data)
    assert headers == careful
    assert headers.multi_items() == careful.multi_items()
    assert headers.keys() == careful.keys()
    assert headers.keys() == ["Via", "To", "From", "Call-ID", "CSeq", "Content-Length"]
    assert len(headers) == 7
    assert headers.get_list("via") == [
        "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1",
        "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2",
    ]
    assert headers.count("Via") == 2
    assert headers.get("Call-ID") == headers["i"] == "abc@192.0.2.1"


@pytest.mark.parametrize("blank", [b"\n\n", b"\n\r\n"])
def test_an_lf_only_blank_line_ends_the_block_before_a_later_crlf_crlf(blank: bytes) -> None:
    data = HEAD[:-2] + blank + b"body\r\n\r\nmore"
    message = parse_message(data)
    assert message.call_id == "abc@192.0.2.1"
    assert message.body == b"body\r\n\r\nmore"
    assert message.headers.get("cseq") == "1 INVITE"


def test_folded_and_blank_lines_take_the_careful_way() -> None:
    data = HEAD + b"Subject: first\r\n  second\r\n\r\n"
    message = parse_message(data)
    assert message.headers.get("subject") == "first second"
    assert message.cseq is not None and message.cseq.seq == 1


def test_a_refused_line_is_reported_as_before() -> None:
    with pytest.raises(ParseError, match="header line has no colon"):
        parse_message(HEAD + b"no colon here\r\n\r\n")
