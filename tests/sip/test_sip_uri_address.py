"""SipUri, Address, Via and CSeq parsing (RFC 3261 §19.1, §20.10, §20.42, §20.16; RFC 3966)."""

from __future__ import annotations

import pytest

from callvault.errors import ParseError
from callvault.sip import (
    Address,
    CSeq,
    SipUri,
    parse_address,
    parse_address_list,
    parse_cseq,
    parse_uri,
    parse_via,
    parse_via_list,
)


def test_full_sip_uri() -> None:
    uri = parse_uri("sips:alice:secret@atlanta.example.com:5061;transport=TCP;lr?subject=x&h=1")
    assert uri == SipUri(
        scheme="sips",
        user="alice",
        password="secret",
        host="atlanta.example.com",
        port=5061,
        params=(("transport", "TCP"), ("lr", None)),
        headers=(("subject", "x"), ("h", "1")),
    )
    assert uri.transport == "tcp" and uri.param("LR") == "" and uri.param("maddr") is None
    assert uri.host_port == "atlanta.example.com:5061"
    assert uri.aor == "sips:alice@atlanta.example.com"
    assert str(uri) == "sips:alice:secret@atlanta.example.com:5061;transport=TCP;lr?subject=x&h=1"


def test_ipv6_host_keeps_brackets() -> None:
    uri = parse_uri("sip:bob@[2001:db8::1]:5070;transport=udp")
    assert (uri.host, uri.port, uri.host_port) == ("[2001:db8::1]", 5070, "[2001:db8::1]:5070")
    assert str(uri) == "sip:bob@[2001:db8::1]:5070;transport=udp"


def test_host_only_uri_and_scheme_case() -> None:
    uri = parse_uri("SIP:127.0.0.1:5080")
    assert (uri.scheme, uri.user, uri.host, uri.port) == ("sip", None, "127.0.0.1", 5080)


def test_tel_uri() -> None:
    uri = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert (uri.scheme, uri.user, uri.host) == ("tel", "+1-201-555-0123", "")
    assert uri.param("phone-context") == "example.com"
    assert str(uri) == "tel:+1-201-555-0123;phone-context=example.com"
    assert uri.aor == "tel:+1-201-555-0123"


@pytest.mark.parametrize("text", ["urn:service:sos", "http://www.example.com", "isbn:2983792873"])
def test_other_schemes_are_opaque(text: str) -> None:
    uri = parse_uri(text)
    assert uri.opaque == text.split(":", 1)[1] and str(uri) == text and uri.host == ""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "URI has no scheme"),
        ("example.com", "URI has no scheme"),
        ("1sip:a@b", "URI has no scheme"),
        ("sip:", "URI is empty after its scheme"),
        ("sip:a b@c", "URI contains whitespace or a forbidden character"),
        ("sip:<a@b>", "URI contains whitespace or a forbidden character"),
        ("sip:@host", "URI has an empty user part"),
        ("sip:alice@", "URI has no valid host"),
        ("sip:alice@ho$t", "URI has no valid host"),
        ("sip:alice@host:99999", "URI has a bad port"),
        ("sip:alice@host:5x", "URI has a bad port"),
        ("sip:alice@[2001:db8::1", "URI has an unterminated IPv6 reference"),
        ("sip:alice@[zz::1]", "URI has a bad IPv6 reference"),
        ("tel:;x=1", "tel URI has no number"),
        ("sip:" + "a" * 9000, "URI too long"),
    ],
)
def test_bad_uri_reasons(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_uri(text)
    assert str(raised.value) == reason


def test_name_addr_with_quoted_display_name_and_escapes() -> None:
    address = parse_address(
        '"Doe, \\"JD\\" \\\\ John" <sip:jd@example.com;transport=tcp>;tag=7;q=0.5'
    )
    assert address.display_name == 'Doe, "JD" \\ John'
    assert address.uri.transport == "tcp"
    assert address.params == (("tag", "7"), ("q", "0.5"))
    assert address.tag == "7" and address.param("Q") == "0.5"
    assert parse_address(str(address)) == address


def test_name_addr_with_token_display_name() -> None:
    address = parse_address("Alice Smith <sip:alice@example.com>")
    assert (address.display_name, str(address.uri)) == ("Alice Smith", "sip:alice@example.com")
    assert str(address) == "Alice Smith <sip:alice@example.com>"


def test_addr_spec_parameters_belong_to_the_header() -> None:
    """RFC 3261 §20.10: without <>, parameters after the URI are header parameters."""
    address = parse_address("sip:+19725552222@gw1.example.net;unknownparam;tag=x")
    assert address.uri.params == ()
    assert address.params == (("unknownparam", None), ("tag", "x"))
    assert address.display_name is None


def test_empty_tag_is_no_tag() -> None:
    assert parse_address("<sip:a@b>;tag=").tag is None
    assert parse_address("<sip:a@b>").tag is None


def test_quoted_parameter_value_may_hold_separators() -> None:
    address = parse_address('<sip:a@b>;+sip.instance="<urn:uuid:1;2,3>";reg-id=1')
    assert address.param("+sip.instance") == "<urn:uuid:1;2,3>"
    assert address.param("reg-id") == "1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty address"),
        ('"unterminated <sip:a@b>', "unterminated quoted string"),
        ('"Name" sip:a@b', "quoted display name not followed by <"),
        ("Name <sip:a@b", "< without >"),
        ("<sip:a@b> junk", "text after > that is not a parameter"),
        ("<sip:a@b>;=x", "parameter without a name"),
        ("not a uri", "URI has no scheme"),
    ],
)
def test_bad_address_reasons(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_address(text)
    assert str(raised.value) == reason


def test_address_list_splits_outside_quotes_and_brackets() -> None:
    addresses = parse_address_list(
        '"Smith, J" <sip:j@a.example>;q=1, <sip:x@b.example;lr>, sip:y@c.example'
    )
    assert [a.display_name for a in addresses] == ["Smith, J", None, None]
    assert [a.uri.host for a in addresses] == ["a.example", "b.example", "c.example"]
    assert parse_address_list("*") == []


def test_address_class_parse_matches_function() -> None:
    assert Address.parse("<sip:a@b>") == parse_address("<sip:a@b>")


def test_via_with_ipv6_port_and_params() -> None:
    via = parse_via("SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK77;received=192.0.2.4;rport=6000")
    assert (via.protocol, via.transport, via.host, via.port) == (
        "SIP/2.0",
        "TLS",
        "[2001:db8::9]",
        5061,
    )
    assert (via.branch, via.received, via.rport) == ("z9hG4bK77", "192.0.2.4", "6000")
    assert via.sent_by == "[2001:db8::9]:5061"


def test_via_lws_everywhere_and_lower_case_transport() -> None:
    via = parse_via("SIP / 2.0 / udp  host.example.com : 5060 ; branch = z9hG4bK1 ; rport")
    assert (via.transport, via.host, via.port, via.branch, via.rport) == (
        "UDP",
        "host.example.com",
        5060,
        "z9hG4bK1",
        "",
    )


def test_via_list() -> None:
    vias = parse_via_list("SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b:5062;branch=z9hG4bK2")
    assert [(v.transport, v.sent_by) for v in vias] == [("UDP", "a"), ("TCP", "b:5062")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("SIP/2.0 host", "Via is not protocol/version/transport sent-by"),
        ("SIP/2.0/UDP", "Via is not protocol/version/transport sent-by"),
        ("SIP/2.0/UDP host:port", "Via has a bad sent-by"),
        ("SIP/2.0/UDP host:70000", "Via has a bad port"),
    ],
)
def test_bad_via_reasons(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_via(text)
    assert str(raised.value) == reason


def test_cseq() -> None:
    assert parse_cseq("  0009   INVITE ") == CSeq(9, "INVITE")
    assert str(CSeq(2, "BYE")) == "2 BYE"
    for bad in ("INVITE", "1", "x INVITE", "1 INVITE extra", "1" * 65 + " INVITE", "²3 BYE"):
        with pytest.raises(ParseError) as raised:
            parse_cseq(bad)
        assert str(raised.value) == "CSeq is not number and method"


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("sip:9876@fe80:0:0:0:21a:a0ff:fe07:32e0:5060", "[fe80:0:0:0:21a:a0ff:fe07:32e0]", 5060),
        ("sip:4321@fec0:0:0:0:216:d3ff:fe0d:22c", "[fec0:0:0:0:216:d3ff:fe0d:22c]", None),
        ("sip:a@2001:db8::1", "[2001:db8::1]", None),
    ],
)
def test_bare_ipv6_host_is_read_and_bracketed(text: str, host: str, port: int | None) -> None:
    """Some phones omit the brackets RFC 3261 §25.1 requires around IPv6 hosts."""
    uri = parse_uri(text)
    assert (uri.host, uri.port) == (host, port)
    assert parse_uri(str(uri)) == uri


def test_bare_ipv6_that_is_no_address_is_refused() -> None:
    with pytest.raises(ParseError) as raised:
        parse_uri("sip:a@fe80:zz::1:5060")
    assert str(raised.value) == "URI has no valid host"
