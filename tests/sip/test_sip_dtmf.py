"""DTMF in SIP INFO bodies: application/dtmf-relay and application/dtmf."""

from __future__ import annotations

import pytest
from sipdata import captured

from callvault.errors import ParseError
from callvault.sip import DtmfInfo, parse_dtmf_info, parse_message


def test_captured_info_dtmf_relay() -> None:
    msg = parse_message(captured("info_dtmf_relay_dtmfsipinfo.sip"))
    assert parse_dtmf_info(msg.content_type or "", msg.body) == DtmfInfo("1", 180)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"Signal=5\r\nDuration=160\r\n", DtmfInfo("5", 160)),
        (b"signal = *\nduration = 250", DtmfInfo("*", 250)),
        (b"Signal=#\r\n", DtmfInfo("#", None)),
        (b"Signal=a\r\nDuration=x", DtmfInfo("A", None)),
        (b"Signal=D\r\nDuration=100\r\n", DtmfInfo("D", 100)),
        (b"Signal=10\r\nDuration=100\r\n", DtmfInfo("*", 100)),
        (b"Signal=11\r\n", DtmfInfo("#", None)),
        (b"Signal=12\r\n", DtmfInfo("A", None)),
        (b"Signal=16\r\nDuration=2000\r\n", DtmfInfo("flash", 2000)),
        (b"Signal=!\r\n", DtmfInfo("flash", None)),
        (b"Signal=hf\r\n", DtmfInfo("flash", None)),
    ],
)
def test_dtmf_relay_signals(body: bytes, expected: DtmfInfo) -> None:
    assert parse_dtmf_info("application/dtmf-relay", body) == expected


@pytest.mark.parametrize(
    ("content_type", "body", "digit"),
    [
        ("application/dtmf", b"5", "5"),
        ("application/dtmf", b" 9\r\n", "9"),
        ("Application/DTMF; charset=us-ascii", b"11", "#"),
        ("application/dtmf", b"flash", "flash"),
    ],
)
def test_application_dtmf(content_type: str, body: bytes, digit: str) -> None:
    assert parse_dtmf_info(content_type, body) == DtmfInfo(digit, None)


@pytest.mark.parametrize(
    "content_type", ["application/sdp", "text/plain", "", "application/dtmf-relayx"]
)
def test_other_content_types_are_not_dtmf(content_type: str) -> None:
    assert parse_dtmf_info(content_type, b"Signal=5\r\n") is None


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        ("application/dtmf-relay", b"Duration=100\r\n", "dtmf-relay body has no Signal"),
        ("application/dtmf-relay", b"", "dtmf-relay body has no Signal"),
        ("application/dtmf-relay", b"Signal=17\r\n", "unknown DTMF signal"),
        ("application/dtmf-relay", b"Signal=55\r\n", "unknown DTMF signal"),
        ("application/dtmf", b"", "unknown DTMF signal"),
        ("application/dtmf", b"E", "unknown DTMF signal"),
        ("application/dtmf", b"5" * 2000, "DTMF body too large"),
    ],
)
def test_bad_dtmf_bodies(content_type: str, body: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_dtmf_info(content_type, body)
    assert str(raised.value) == reason
