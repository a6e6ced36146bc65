"""The recording server's SIP side without sockets: offers answered or refused with a clear
Reason, transactions (retransmissions, 2xx until ACK), re-INVITE/UPDATE changes, digest,
and random or mutated datagrams that never make it fail."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.sip.message import parse_message
from callvault.siprec.digest import DigestAuth
from callvault.siprec.handler import T1, Policy, SipHandler
from callvault.siprec.media import concat
from callvault.siprec.server import _sip_batch

CLIENT = ("127.0.0.1", 5070)
SERVER = ("127.0.0.1", 5060)

METADATA = b"""<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <participant participant_id="p1"><nameID aor="sip:alice@example.com">
    <name>Alice</name></nameID></participant>
  <participant participant_id="p2"><nameID aor="sip:1001@example.com"/></participant>
  <stream stream_id="s1"><label>1</label></stream>
  <stream stream_id="s2"><label>2</label></stream>
  <participantstreamassoc participant_id="p1"><send>s1</send><recv>s2</recv>
  </participantstreamassoc>
  <participantstreamassoc participant_id="p2"><send>s2</send><recv>s1</recv>
  </participantstreamassoc>
</recording>
"""


def sdp(*streams: str, extra: str = "") -> bytes:
    lines = ["v=0", "o=src 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0"]
    if extra:
        lines.append(extra)
    for i, stream in enumerate(streams):
        port, _, attrs = stream.partition(" ")
        lines += [f"m=audio {port} RTP/AVP 0 8", f"a=label:{i + 1}",
                  *(f"a={a}" for a in (attrs or "sendonly").split())]
    return ("\r\n".join(lines) + "\r\n").encode()


def multipart(sdp_body: bytes, xml: bytes = METADATA) -> tuple[str, bytes]:
    body = (b"--b1\r\nContent-Type: application/sdp\r\n\r\n" + sdp_body
            + b"\r\n--b1\r\nContent-Type: application/rs-metadata+xml\r\n"
            b"Content-Disposition: recording-session\r\n\r\n" + xml + b"\r\n--b1--\r\n")
    return "multipart/mixed;boundary=b1", body


def request(method: str, *, cseq: int = 1, to_tag: str | None = None, call_id: str = "c1",
            branch: str | None = None, body: bytes = b"", content_type: str | None = None,
            headers: tuple[str, ...] = ()) -> bytes:
    to = "<sip:srs@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    lines = [
        f"{method} sip:srs@127.0.0.1 SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:5070;branch={branch or f'z9hG4bK{method}{cseq}'};rport",
        "From: <sip:src@127.0.0.1>;tag=src1",
        f"To: {to}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
        "Contact: <sip:src@127.0.0.1:5070>;+sip.src",
        "Max-Forwards: 70",
        *headers,
    ]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def invite(**kw: object) -> bytes:
    content_type, body = multipart(sdp("4000", "4002"))
    return request("INVITE", body=body, content_type=content_type, **kw)  # type: ignore[arg-type]


class Backend:
    def __init__(self) -> None:
        self.next_port = 30000
        self.released: list[int] = []
        self.log: list[tuple] = []
        self.messages: list[bytes] = []

    def open_port(self, address: str, after: int | None = None) -> int:
        self.next_port += 2
        return self.next_port

    def release_port(self, port: int) -> None:
        self.released.append(port)

    def message(self, data, src, dst, transport, ts, conn) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(data)

    def started(self, session, ts) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("started", session.call_id))

    def updated(self, session, ts) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("updated", session.call_id))

    def paused(self, session, stream, paused, ts) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("paused" if paused else "resumed", stream.label))

    def ended(self, session, ts) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("ended", session.call_id))


def handler(policy: Policy | None = None) -> tuple[SipHandler, Backend]:
    backend = Backend()
    return SipHandler(backend, policy), backend


def send(h: SipHandler, data: bytes, now: float = 100.0) -> list:
    return [parse_message(o.data) for o in h.receive(data, CLIENT, SERVER, "udp", now=now)]


def reason(response: object) -> str:
    return response.headers.get("reason") or ""  # type: ignore[attr-defined]


def test_an_offer_is_answered_recvonly_with_its_labels() -> None:
    h, backend = handler()
    trying, ok = send(h, invite())
    assert (trying.status, ok.status) == (100, 200)
    answer = ok.body.decode()
    assert re.findall(r"m=audio (\d+) RTP/AVP 0 8", answer) == ["30002", "30004"]
    assert answer.count("a=recvonly") == 2 and "a=label:1" in answer and "a=label:2" in answer
    assert "+sip.srs" in ok.headers.get("contact") and ok.to.tag
    assert backend.log == [("started", "c1")]
    session = h.sessions["c1"]
    assert [p.name for p in session.metadata.participants] == ["Alice", None]
    assert session.metadata.receives("p1") == "2" and session.metadata.sends("p2") == "2"


@pytest.mark.parametrize(("data", "status", "why"), [
    (request("INVITE", body=sdp("4000")[:40] + b"\r\nm=audio x", content_type="application/sdp"),
     400, "malformed SDP"),
    (request("INVITE"), 488, "no SDP offer"),
    (request("INVITE", body=b"hello", content_type="text/plain"), 415, "unsupported body"),
    (request("INVITE", body=multipart(sdp("4000"), b"<recording")[1],
             content_type="multipart/mixed;boundary=b1"), 400, "malformed recording metadata"),
    (request("INVITE", body=sdp("4000").replace(b"RTP/AVP", b"RTP/SAVP"),
             content_type="application/sdp"), 488, "cannot be recorded"),
    (request("INVITE", body=sdp("0"), content_type="application/sdp"), 488, "no audio stream"),
    (invite(headers=("Require: siprec, 100rel",)), 420, "unsupported extension 100rel"),
    (invite().replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"), 400, "CSeq method"),
    (invite().replace(b"Call-ID: c1\r\n", b""), 400, "lacks Call-ID"),
    (request("INVITE", body=sdp("4000"), content_type="application/sdp").replace(
        b";+sip.src", b""), 488, "not a recording session"),
    (request("MESSAGE"), 405, "not supported"),
    (request("BYE", to_tag="nope"), 481, "no such recording session"),
    (request("CANCEL"), 481, "no INVITE to cancel"),
])
def test_unusable_requests_get_a_4xx_with_a_reason_and_the_server_goes_on(
        data: bytes, status: int, why: str) -> None:
    h, backend = handler()
    (response,) = send(h, data)
    assert response.status == status
    assert why in reason(response)
    assert h.counters.get("internal error") is None
    assert backend.messages == []  # nothing of it reaches the journal
    # the same client records a session right after
    assert [r.status for r in send(h, invite(call_id="c2", branch="z9hG4bKnew"))] == [100, 200]


def test_retransmissions_get_the_same_answer_and_the_200_is_resent_until_acked() -> None:
    h, backend = handler()
    _, ok = send(h, invite())
    (again,) = send(h, invite())
    assert again.status == 200 and again.body == ok.body
    assert len(h.sessions) == 1 and backend.log == [("started", "c1")]
    assert [parse_message(o.data).status for o in h.tick(100.0 + T1)] == [200]
    assert h.tick(100.0 + T1 + 0.1) == []
    send(h, request("ACK", to_tag=ok.to.tag, branch="z9hG4bKack"))
    assert h.tick(100.0 + 10) == []


def test_a_session_never_acked_is_ended_with_a_bye() -> None:
    h, backend = handler()
    send(h, invite())
    out = h.tick(100.0 + 64 * T1)
    assert [parse_message(o.data).method for o in out] == ["BYE"]
    assert backend.log[-1] == ("ended", "c1") and not h.sessions


def test_reinvite_pauses_removes_and_adds_streams_and_update_carries_metadata() -> None:
    h, backend = handler()
    _, ok = send(h, invite())
    tag = ok.to.tag
    send(h, request("ACK", to_tag=tag, branch="z9hG4bKa1"))
    # stream 1 inactive, stream 2 on pause by a=record:paused, a third stream added
    body = sdp("4000 inactive", "4002 sendonly record:paused", "4004")
    (ok2,) = send(h, request("INVITE", cseq=2, to_tag=tag, body=body,
                             content_type="application/sdp"))
    assert ok2.status == 200
    assert ok2.body.decode().count("m=audio") == 3 and "a=inactive" in ok2.body.decode()
    assert ("paused", "1") in backend.log and ("paused", "2") in backend.log
    assert ("updated", "c1") in backend.log
    # resume stream 1 and 2, remove the third (port 0)
    (ok3,) = send(h, request("INVITE", cseq=3, to_tag=tag, body=sdp("4000", "4002", "0"),
                             content_type="application/sdp"))
    assert re.findall(r"m=audio (\d+)", ok3.body.decode())[2] == "0"
    assert ("resumed", "1") in backend.log and ("resumed", "2") in backend.log
    assert backend.released == [30006]
    # UPDATE with metadata only: the second participant gets its name
    xml = METADATA.replace(b'<nameID aor="sip:1001@example.com"/>',
                           b'<nameID aor="sip:1001@example.com"><name>Desk</name></nameID>')
    (ok4,) = send(h, request("UPDATE", cseq=4, to_tag=tag, body=xml,
                             content_type="application/rs-metadata+xml"))
    assert ok4.status == 200 and not ok4.body
    assert [p.name for p in h.sessions["c1"].metadata.participants] == ["Alice", "Desk"]
    # an old CSeq is refused; an offer dropping m-lines is refused; the session stays
    (old,) = send(h, request("UPDATE", cseq=2, to_tag=tag, branch="z9hG4bKold"))
    assert old.status == 500
    (fewer,) = send(h, request("INVITE", cseq=5, to_tag=tag, body=sdp("4000"),
                               content_type="application/sdp"))
    assert fewer.status == 488 and "c1" in h.sessions
    (bye,) = send(h, request("BYE", cseq=6, to_tag=tag))
    assert bye.status == 200 and backend.log[-1] == ("ended", "c1") and not h.sessions


def test_options_say_what_the_server_supports() -> None:
    h, _ = handler()
    (ok,) = send(h, request("OPTIONS"))
    assert ok.status == 200
    assert "INVITE" in ok.headers.get("allow") and "UPDATE" in ok.headers.get("allow")
    assert ok.headers.get("supported") == "siprec"
    assert "application/rs-metadata+xml" in ok.headers.get("accept")


def test_the_allow_list_refuses_other_clients() -> None:
    import ipaddress

    h, backend = handler(Policy([ipaddress.ip_network("10.0.0.0/8")]))
    (refused,) = send(h, invite())
    assert refused.status == 403 and "127.0.0.1 is not an allowed" in reason(refused)
    assert not h.sessions and backend.messages == []


def _authorization(challenge: str, user: str, password: str, method: str = "INVITE") -> str:
    fields = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    uri, nc, cnonce = "sip:srs@127.0.0.1", "00000001", "abc"

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{user}:{fields['realm']}:{password}")
    response = md5(f"{ha1}:{fields['nonce']}:{nc}:{cnonce}:auth:{md5(f'{method}:{uri}')}")
    return (f'Digest username="{user}", realm="{fields["realm"]}", nonce="{fields["nonce"]}", '
            f'uri="{uri}", response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", '
            "algorithm=MD5")


def test_digest_challenge_and_response() -> None:
    h, _ = handler(Policy([], DigestAuth({"sbc": "s3cret"})))
    (challenged,) = send(h, invite())
    assert challenged.status == 401
    challenge = challenged.headers.get("www-authenticate")
    wrong = _authorization(challenge, "sbc", "guess")
    (again,) = send(h, invite(cseq=2, headers=(f"Authorization: {wrong}",)))
    assert again.status == 401 and not h.sessions
    right = _authorization(challenge, "sbc", "s3cret")
    assert [r.status for r in send(h, invite(cseq=3, headers=(f"Authorization: {right}",)))] \
        == [100, 200]


def test_sip_batches_keep_every_message_at_its_offset() -> None:
    a = _sip_batch([(1.0, b"abc", 1, 10, 2, 20), (2.0, b"defg", 2, 20, 1, 10)])
    b = _sip_batch([(3.0, b"hi", 1, 10, 2, 20)])
    both = concat([a, b])
    assert [both.payload(i) for i in range(3)] == [b"abc", b"defg", b"hi"]
    assert both.dport.tolist() == [20, 10, 20]


VALID = [invite(), request("OPTIONS"), request("BYE", to_tag="x"),
         request("INVITE", cseq=2, to_tag="x", body=sdp("4000", "4002 inactive"),
                 content_type="application/sdp")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=600),
    st.tuples(st.sampled_from(VALID), st.integers(0, 2000), st.binary(max_size=40),
              st.integers(0, 60)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + t[3]:]),
))
def test_random_and_mutated_datagrams_never_break_the_handler(data: bytes) -> None:
    h, _ = handler()
    h.receive(data, CLIENT, SERVER, "udp", now=100.0)
    h.receive(invite(), CLIENT, SERVER, "udp", now=100.0)
    h.receive(data, CLIENT, SERVER, "udp", now=100.1)
    h.tick(200.0)
    assert h.counters.get("internal error") is None
