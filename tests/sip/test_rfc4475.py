"""RFC 4475 SIP torture tests, by section number.

Valid messages (§3.1.1) must parse and check clean; invalid ones (§3.1.2) must parse (a passive
recorder keeps what it can) and check_message must name what is wrong; §3.2/§3.3/§3.4 cases
are judged on what a single message can show.
"""

from __future__ import annotations

import pytest
from sipdata import rfc4475

from callvault.errors import ParseError
from callvault.sip import SipRequest, SipResponse, check_message, parse_message, parse_sdp

VALID = [
    ("3.1.1.1", "wsinv"),
    ("3.1.1.2", "intmeth"),
    ("3.1.1.3", "esc01"),
    ("3.1.1.4", "escnull"),
    ("3.1.1.5", "esc02"),
    ("3.1.1.6", "lwsdisp"),
    ("3.1.1.7", "longreq"),
    ("3.1.1.8", "dblreq"),
    ("3.1.1.9", "semiuri"),
    ("3.1.1.10", "transports"),
    ("3.1.1.11", "mpart01"),
    ("3.1.1.12", "unreason"),
    ("3.1.1.13", "noreason"),
]

INVALID = [
    ("3.1.2.1", "badinv01", ["Contact has an empty parameter", "Via has an empty parameter"]),
    ("3.1.2.2", "clerr", ["Content-Length 9999 exceeds the 154 bytes of body"]),
    ("3.1.2.3", "ncl", ["Content-Length -999 is not a non-negative integer"]),
    (
        "3.1.2.4",
        "scalar02",
        [
            "CSeq number 36893488147419103232 exceeds 2**31-1",
            "Max-Forwards 300 exceeds 255",
            "Contact expires 280297596632815 exceeds 2**32-1",
            "Expires " + "1" + "0" * 100 + " exceeds 2**32-1",
        ],
    ),
    (
        "3.1.2.5",
        "scalarlg",
        [
            "CSeq number 9292394834772304023312 exceeds 2**31-1",
            "Retry-After 949302838503028349304023988 exceeds 2**32-1",
            "Warning code 1812 is not three digits",
        ],
    ),
    ("3.1.2.6", "quotbal", ["To: unterminated quoted string"]),
    ("3.1.2.7", "ltgtruri", ["Request-URI is enclosed in <>"]),
    ("3.1.2.8", "lwsruri", ["Request-URI contains whitespace"]),
    ("3.1.2.9", "lwsstart", ["request line has more than single spaces"]),
    ("3.1.2.10", "trws", ["request line ends with whitespace"]),
    ("3.1.2.11", "escruri", ["Request-URI must not contain headers (RFC 3261 §19.1.1)"]),
    ("3.1.2.12", "baddate", ["Date Fri, 01 Jan 2010 16:00:00 EST is not in GMT (RFC 3261 §20.17)"]),
    ("3.1.2.13", "regbadct", ["Contact URI with headers must be enclosed in <>"]),
    ("3.1.2.14", "badaspec", ["To has whitespace inside <>"]),
    (
        "3.1.2.15",
        "baddn",
        [
            "From display name 'Bell, Alexander' must be quoted",
            "To display name 'Watson, Thomas' must be quoted",
        ],
    ),
    ("3.1.2.16", "badvers", ["unknown SIP version SIP/7.0", "unknown SIP version SIP/7.0 in Via"]),
    ("3.1.2.17", "mismatch01", ["CSeq method INVITE does not match request method OPTIONS"]),
    ("3.1.2.18", "mismatch02", ["CSeq method INVITE does not match request method NEWMETHOD"]),
    ("3.1.2.19", "bigcode", ["response code 4294967301 out of range"]),
]

SINGLE_MESSAGE_SEMANTICS = [
    ("3.2.1", "badbranch", ["Via branch is only the magic cookie z9hG4bK"]),
    (
        "3.3.1",
        "insuf",
        [
            "missing required header To",
            "missing required header From",
            "missing required header Call-ID",
            "missing required header Max-Forwards",
        ],
    ),
    (
        "3.3.8",
        "multi01",
        [
            "2 Call-ID headers where one is allowed",
            "2 CSeq headers where one is allowed",
            "2 From headers where one is allowed",
            "2 To headers where one is allowed",
            "2 Max-Forwards headers where one is allowed",
        ],
    ),
    ("3.3.9", "mcl01", ["2 Content-Length headers where one is allowed"]),
    (
        "3.4.1",
        "inv2543",
        ["missing required header Max-Forwards", "From has no tag (RFC 3261 §8.1.1.3)"],
    ),
]

# Well-formed messages whose problem is for a UA or proxy to act on (416, 420, 415, 483 ...):
# nothing in the message itself is wrong, so check_message must stay quiet.
APPLICATION_LAYER = [
    ("3.3.2", "unkscm"),
    ("3.3.3", "novelsc"),
    ("3.3.4", "unksm2"),
    ("3.3.5", "bext01"),
    ("3.3.6", "invut"),
    ("3.3.7", "regaut01"),
    ("3.3.10", "bcast"),
    ("3.3.11", "zeromf"),
    ("3.3.12", "cparam01"),
    ("3.3.13", "cparam02"),
    ("3.3.14", "regescrt"),
    ("3.3.15", "sdp01"),
]


def _ids(cases: list[tuple]) -> list[str]:  # type: ignore[type-arg]
    return [f"{c[0]}-{c[1]}" for c in cases]


@pytest.mark.parametrize(("section", "name"), VALID, ids=_ids(VALID))
def test_valid_message_parses_and_checks_clean(section: str, name: str) -> None:
    data = rfc4475(name)
    msg = parse_message(data, strict=True)
    assert check_message(msg) == []
    assert msg.call_id
    assert msg.cseq is not None
    assert msg.from_ is not None and msg.from_.tag
    if name != "dblreq":
        assert msg.size == len(data)


@pytest.mark.parametrize(("section", "name", "reasons"), INVALID, ids=_ids(INVALID))
def test_invalid_message_is_reported_with_its_reason(
    section: str, name: str, reasons: list[str]
) -> None:
    msg = parse_message(rfc4475(name))
    problems = check_message(msg)
    for reason in reasons:
        assert reason in problems
    with pytest.raises(ParseError) as raised:
        parse_message(rfc4475(name), strict=True)
    assert str(raised.value) == problems[0]


@pytest.mark.parametrize(
    ("section", "name", "reasons"), SINGLE_MESSAGE_SEMANTICS, ids=_ids(SINGLE_MESSAGE_SEMANTICS)
)
def test_semantic_case_reports_exactly(section: str, name: str, reasons: list[str]) -> None:
    assert check_message(parse_message(rfc4475(name))) == reasons


@pytest.mark.parametrize(("section", "name"), APPLICATION_LAYER, ids=_ids(APPLICATION_LAYER))
def test_application_layer_case_is_a_well_formed_message(section: str, name: str) -> None:
    msg = parse_message(rfc4475(name))
    assert check_message(msg) == []
    assert msg.size == len(rfc4475(name))


# ---- what the valid messages must parse into ------------------------------------------------


def test_3_1_1_1_short_tortuous_invite() -> None:
    msg = parse_message(rfc4475("wsinv"))
    assert isinstance(msg, SipRequest)
    assert (msg.method, msg.uri_text) == (
        "INVITE",
        "sip:vivekg@chair-dnrc.example.com;unknownparam",
    )
    assert msg.uri is not None and msg.uri.params == (("unknownparam", None),)
    assert msg.to is not None and str(msg.to.uri) == "sip:vivekg@chair-dnrc.example.com"
    assert msg.to.tag == "1918181833n"
    assert msg.from_ is not None and msg.from_.display_name == 'J Rosenberg \\"'
    assert msg.from_.tag == "98asjd8"
    assert msg.max_forwards == 68
    assert (msg.cseq.seq, msg.cseq.method) == (9, "INVITE")  # type: ignore[union-attr]
    assert [(v.transport, v.sent_by, v.branch) for v in msg.via] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert msg.headers.get("Subject") == ""
    assert msg.headers["newfangledheader"] == "newfangled value continued newfangled value"
    assert msg.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    contact = msg.contact
    assert contact is not None and contact.display_name == 'Quoted string ""'
    assert contact.params == (("newparam", "newvalue"), ("secondparam", None), ("q", "0.33"))
    assert msg.content_length == 150 and len(msg.body) == 150
    assert [m.kind for m in parse_sdp(msg.body).media] == ["audio", "video"]


def test_3_1_1_2_wide_range_of_valid_characters() -> None:
    msg = parse_message(rfc4475("intmeth"))
    assert isinstance(msg, SipRequest)
    assert msg.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert msg.uri is not None
    assert msg.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert msg.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert msg.uri.host == "example.com"
    assert msg.to is not None and msg.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert msg.from_ is not None and msg.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert msg.from_.param("fromParam''~+*_!.-%") == "работающий"
    assert msg.from_.tag == "_token~1'+`*%!-."
    assert msg.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert msg.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"


def test_3_1_1_3_escapes_are_kept_as_written() -> None:
    msg = parse_message(rfc4475("esc01"))
    assert isinstance(msg, SipRequest) and msg.uri is not None
    assert (msg.uri.user, msg.uri.host) == ("sips%3Auser%40example.com", "example.net")
    assert msg.call_id == "esc01.239409asdfakjkn23onasd0-3234"  # compact "i"
    assert msg.media_type == "application/sdp"  # compact "C"
    assert msg.contact is not None
    assert msg.contact.uri.params == (("%6C%72", None), ("n%61me", "v%61lue%25%34%31"))


def test_3_1_1_4_escaped_nulls() -> None:
    msg = parse_message(rfc4475("escnull"))
    assert [c.uri.user for c in msg.contacts] == ["%00", "%00%00"]
    assert msg.content_length == 0  # "L:0"


def test_3_1_1_5_percent_that_is_not_an_escape() -> None:
    msg = parse_message(rfc4475("esc02"))
    assert isinstance(msg, SipRequest) and msg.method == "RE%47IST%45R"
    assert [c.uri.user for c in msg.contacts] == ["alias1", "alias3"]
    assert msg.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"
    assert msg.to is not None and msg.to.display_name == "%Z%45"


def test_3_1_1_6_no_lws_before_angle_bracket() -> None:
    msg = parse_message(rfc4475("lwsdisp"))
    assert msg.from_ is not None and msg.from_.display_name == "caller"
    assert str(msg.from_.uri) == "sip:caller@example.com"


def test_3_1_1_7_long_values() -> None:
    msg = parse_message(rfc4475("longreq"))
    assert len(msg.via) == 34
    assert msg.via[-1].branch == "very" + "long" * 50 + "branchvalue"
    assert msg.to is not None and msg.to.uri.port == 6000
    assert msg.from_ is not None and msg.from_.tag == "12" + "982" * 50 + "424"
    assert msg.call_id == "longreq.one" + "really" * 20 + "longcallid"
    assert msg.contact is not None and msg.contact.uri.user == "amazinglylongcallername" * 5


def test_3_1_1_8_trailing_octets_in_a_datagram_are_not_the_message() -> None:
    data = rfc4475("dblreq")
    msg = parse_message(data)
    assert isinstance(msg, SipRequest) and msg.method == "REGISTER"
    assert msg.body == b""
    assert msg.size == data.index(b"\r\n\r\n") + 4 < len(data)


def test_3_1_1_9_semicolon_in_uri_user_part() -> None:
    msg = parse_message(rfc4475("semiuri"))
    assert isinstance(msg, SipRequest) and msg.uri is not None
    assert (msg.uri.user, msg.uri.host, msg.uri.params) == (
        "user;par=u%40example.net",
        "example.com",
        (),
    )
    assert msg.headers.get_list("Accept", split_commas=True) == [
        "application/sdp",
        "application/pkcs7-mime",
        "multipart/mixed",
        "multipart/signed",
        "message/sip",
        "message/sipfrag",
    ]


def test_3_1_1_10_varied_and_unknown_transports() -> None:
    msg = parse_message(rfc4475("transports"))
    assert [v.transport for v in msg.via] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def test_3_1_1_11_multipart_with_binary_part() -> None:
    msg = parse_message(rfc4475("mpart01"))
    parts = msg.body_parts()
    assert [p.media_type for p in parts] == ["text/plain", "application/octet-stream"]
    assert parts[0].data == b"Hello"
    binary = parts[1].data
    assert binary.startswith(b"\x30\x82\x01\x52") and binary.endswith(b"\xd0\x05")
    # DER SEQUENCE 30 82 01 52 is 4 + 0x152 bytes; the RFC's line break adds a CRLF after byte 8
    assert b"\x00" in binary and len(binary) == 4 + 0x152 + 2
    assert msg.find_body("text/plain") == b"Hello"
    assert msg.find_body("application/sdp") is None


def test_3_1_1_12_unusual_reason_phrase() -> None:
    msg = parse_message(rfc4475("unreason"))
    assert isinstance(msg, SipResponse) and msg.status == 200
    assert msg.reason_phrase == "= 2**3 * 5**2 но сто девяносто девять - простое"


def test_3_1_1_13_empty_reason_phrase() -> None:
    msg = parse_message(rfc4475("noreason"))
    assert isinstance(msg, SipResponse)
    assert (msg.status, msg.reason_phrase, msg.start_line) == (100, "", "SIP/2.0 100 ")


def test_3_1_2_values_stay_readable_for_the_recorder() -> None:
    """Invalid but understandable messages still yield what a call record needs."""
    quotbal = parse_message(rfc4475("quotbal"))
    assert quotbal.to is None and quotbal.from_ is not None and quotbal.call_id == "quotbal.aksdj"
    badaspec = parse_message(rfc4475("badaspec"))
    assert badaspec.to is not None and str(badaspec.to.uri) == "sip:t.watson@example.org"
    baddn = parse_message(rfc4475("baddn"))
    assert baddn.from_ is not None and baddn.from_.display_name == "Bell, Alexander"
    clerr = parse_message(rfc4475("clerr"))
    assert clerr.content_length == 9999 and len(clerr.body) == 154
    ncl = parse_message(rfc4475("ncl"))
    assert ncl.content_length is None and len(ncl.body) == 152
    bigcode = parse_message(rfc4475("bigcode"))
    assert isinstance(bigcode, SipResponse) and bigcode.status == 4294967301
    lwsruri = parse_message(rfc4475("lwsruri"))
    assert isinstance(lwsruri, SipRequest) and lwsruri.uri is None
    assert lwsruri.uri_text == "sip:user@example.com; lr"


def test_3_3_9_conflicting_content_lengths_leave_the_body_undelimited() -> None:
    msg = parse_message(rfc4475("mcl01"))
    assert msg.content_length is None
    assert msg.body.startswith(b"There's no way to know")
