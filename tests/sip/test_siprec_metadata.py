"""RFC 7865 metadata: participants, stream labels and who sends what; hostile XML refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callvault.errors import ParseError
from callvault.sip.message import parse_message
from callvault.sip.siprec import METADATA_TYPE, parse_metadata

DATA = Path(__file__).resolve().parents[1] / "data" / "sip" / "invite_siprec_multipart.sip"


def test_metadata_of_a_siprec_invite() -> None:
    message = parse_message(DATA.read_bytes())
    metadata = parse_metadata(message.find_body(METADATA_TYPE))
    assert [(p.aor, p.name) for p in metadata.participants] == [
        ("sip:alice@example.test", "Alice Caller"), ("sip:desk@example.test", "Support Desk")]
    assert metadata.sender_index("1") == 0 and metadata.sender_index("2") == 1
    assert metadata.sender_index("3") is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<recording", "not well-formed"),
        (b"<other xmlns='urn:ietf:params:xml:ns:recording:1'/>", "without a <recording> root"),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
         b"<recording xmlns='urn:ietf:params:xml:ns:recording:1'>&a;</recording>", "not well-formed"),
    ],
)
def test_bad_metadata_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_metadata(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_parse_errors(data: bytes) -> None:
    try:
        parse_metadata(data)
    except ParseError:
        pass
