"""The recording server's SIP side, sans-I/O: a datagram (or a framed TCP message) in, the
messages to send out; sessions opened, changed and ended through a ``Backend``.

The transaction layer is what a recording server needs of RFC 3261 §17.2: a retransmitted
request gets the same response again (its final response is kept for 32 s); a 2xx to an
INVITE over UDP is sent again (T1, doubling to T2) until the ACK comes, and after 64·T1
without one the session is ended with a BYE.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Protocol

from callvault.errors import ParseError
from callvault.sip.message import SipRequest, SipResponse, parse_message
from callvault.siprec import messages
from callvault.siprec.digest import DigestAuth
from callvault.siprec.metadata import SessionMetadata
from callvault.siprec.offer import (
    ACCEPTED_BODIES,
    Offer,
    OfferedStream,
    OfferError,
    answer_sdp,
    read_offer,
)

log = logging.getLogger("callvault.siprec")
T1 = 0.5
T2 = 4.0
TRANSACTION_S = 32.0
SUPPORTED = ("siprec",)
Address = tuple[str, int]


class NoPorts(Exception):
    """The RTP port range is used up."""


@dataclass(slots=True)
class Outgoing:
    """A message to send: over UDP to ``remote``, or on the TCP connection ``conn``."""

    data: bytes
    remote: Address
    transport: str
    conn: object | None = None


@dataclass(slots=True)
class Stream:
    """One stream of a recording session: its m-line, and where callvault receives it."""

    offered: OfferedStream
    port: int
    paused: bool

    @property
    def label(self) -> str | None:
        return self.offered.label


@dataclass(slots=True)
class Session:
    """One recording session (one dialog with a recording client)."""

    call_id: str
    remote_tag: str | None
    local_tag: str
    remote: Address
    local: Address
    transport: str
    conn: object | None
    media_address: str
    from_value: str
    to_value: str
    contact: str
    invite_cseq: int
    remote_cseq: int
    started_at: float
    streams: list[Stream] = field(default_factory=list)
    metadata: SessionMetadata = field(default_factory=SessionMetadata)
    sdp_id: int = 0
    sdp_version: int = 0
    answer: bytes = b""
    local_cseq: int = 0
    uid: str = ""
    """The uid of the call's journal row, once the engine has seen the INVITE."""

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.streams if s.port]


class Backend(Protocol):
    """What the SIP side needs of the rest of the server."""

    def open_port(self, address: str, after: int | None = None) -> int: ...

    def release_port(self, port: int) -> None: ...

    def message(self, data: bytes, src: Address, dst: Address, transport: str, ts: float,
                conn: object | None) -> None:
        """A message of an accepted session, either way (the engine records from them)."""

    def started(self, session: Session, ts: float) -> None: ...

    def updated(self, session: Session, ts: float) -> None: ...

    def paused(self, session: Session, stream: Stream, paused: bool, ts: float) -> None: ...

    def ended(self, session: Session, ts: float) -> None: ...


@dataclass(slots=True)
class _Retransmit:
    out: Outgoing
    cseq: int
    next_at: float
    interval: float
    give_up_at: float


@dataclass(slots=True)
class Policy:
    """Who may record: an allow-list of networks (empty: any address) and digest users."""

    allow: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    auth: DigestAuth | None = None

    def allowed(self, host: str) -> bool:
        if not self.allow:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.allow)


class SipHandler:
    """Every recording session of one server, and its transactions."""

    def __init__(self, backend: Backend, policy: Policy | None = None,
                 media_address: str | None = None) -> None:
        self.backend = backend
        self.policy = policy or Policy()
        self.media_address = media_address
        self.sessions: dict[str, Session] = {}
        self.counters: dict[str, int] = {}
        self._done: dict[tuple, tuple[float, list[Outgoing]]] = {}
        self._unacked: dict[str, _Retransmit] = {}

    def count(self, what: str) -> None:
        self.counters[what] = self.counters.get(what, 0) + 1

    # ---- input ---------------------------------------------------------------------------

    def receive(self, data: bytes, remote: Address, local: Address, transport: str,
                conn: object | None = None, now: float | None = None) -> list[Outgoing]:
        """Handle one message; returns what to send. Never raises for network input."""
        now = time.time() if now is None else now
        if not data.strip(b"\r\n \t\x00"):
            return []  # keep-alive (RFC 5626 §3.5.1)
        try:
            msg = parse_message(data)
        except ParseError:
            self.count("malformed SIP")
            return []
        if isinstance(msg, SipResponse):
            self._response(msg, data, remote, local, transport, now)
            return []
        ctx = _Context(self, msg, data, remote, local, transport, conn, now)
        try:
            return ctx.handle()
        except _Reply as reply:
            return ctx.reply(reply.status, reply.phrase, reply.headers)
        except Exception:  # a bug must cost one request, never the server or its sessions
            log.exception("callvault siprec: cannot handle %s from %s", msg.method, remote)
            self.count("internal error")
            try:
                return ctx.reply(500, "internal error in the recording server")
            except Exception:
                return []

    def _response(self, msg: SipResponse, data: bytes, remote: Address, local: Address,
                  transport: str, now: float) -> None:
        """A response to a BYE callvault sent: shown to the engine, nothing more to do."""
        session = self.sessions.get(msg.call_id or "")
        if session is not None or (msg.cseq and msg.cseq.method == "BYE"):
            self.backend.message(data, remote, local, transport, now, None)

    # ---- timers --------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> list[Outgoing]:
        """2xx retransmissions due, BYEs for sessions whose ACK never came; old
        transactions forgotten."""
        now = time.time() if now is None else now
        out: list[Outgoing] = []
        for call_id, r in list(self._unacked.items()):
            if now >= r.give_up_at:
                del self._unacked[call_id]
                session = self.sessions.get(call_id)
                if session is not None:
                    self.count("no ACK")
                    out.extend(self.end(session, "SIP;cause=408;text=\"no ACK received\"", now))
            elif now >= r.next_at:
                out.append(r.out)
                r.interval = min(r.interval * 2, T2)
                r.next_at = now + r.interval
        if len(self._done) > 0:
            for key in [k for k, (at, _) in self._done.items() if now - at > TRANSACTION_S]:
                del self._done[key]
        return out

    def end(self, session: Session, reason: str, now: float | None = None) -> list[Outgoing]:
        """End a session from callvault's side (shutdown, no ACK): a BYE to the client."""
        now = time.time() if now is None else now
        self._unacked.pop(session.call_id, None)
        if self.sessions.pop(session.call_id, None) is None:
            return []
        session.local_cseq += 1
        host, port = session.local
        via_host = f"[{host}]" if ":" in host else host
        data = messages.bye(
            target=session.contact,
            call_id=session.call_id,
            local=session.to_value,
            remote=session.from_value,
            cseq=session.local_cseq,
            via=f"{session.transport.upper()} {via_host}:{port}",
            branch="z9hG4bK" + os.urandom(8).hex(),
            reason=reason,
        )
        self.backend.message(data, session.local, session.remote, session.transport, now,
                             session.conn)
        self.backend.ended(session, now)
        return [Outgoing(data, session.remote, session.transport, session.conn)]

    def remember(self, key: tuple, out: list[Outgoing], now: float) -> None:
        self._done[key] = (now, out)

    def retransmission(self, key: tuple) -> list[Outgoing] | None:
        found = self._done.get(key)
        return None if found is None else found[1]

    def await_ack(self, session: Session, out: Outgoing, cseq: int, now: float) -> None:
        if out.transport == "udp":
            self._unacked[session.call_id] = _Retransmit(out, cseq, now + T1, T1, now + 64 * T1)

    def acked(self, call_id: str, cseq: int) -> bool:
        r = self._unacked.get(call_id)
        if r is not None and r.cseq == cseq:
            del self._unacked[call_id]
            return True
        return False


class _Reply(Exception):
    def __init__(self, status: int, phrase: str, headers: tuple = ()) -> None:
        super().__init__(phrase)
        self.status, self.phrase, self.headers = status, phrase, headers


_PHRASES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 405: "Method Not Allowed",
            415: "Unsupported Media Type", 420: "Bad Extension", 481: "Call/Transaction Does "
            "Not Exist", 488: "Not Acceptable Here", 491: "Request Pending",
            500: "Server Internal Error", 503: "Service Unavailable"}


class _Context:
    """One request being handled."""

    def __init__(self, handler: SipHandler, msg: SipRequest, data: bytes, remote: Address,
                 local: Address, transport: str, conn: object | None, now: float) -> None:
        self.h, self.msg, self.data = handler, msg, data
        self.remote, self.local, self.transport, self.conn, self.now = (
            remote, local, transport, conn, now)
        self.session: Session | None = None

    # ---- helpers -------------------------------------------------------------------------

    def out(self, data: bytes) -> Outgoing:
        return Outgoing(data, self.remote, self.transport, self.conn)

    def response(self, status: int, phrase: str, headers: tuple = (), body: bytes = b"",
                 content_type: str | None = None) -> bytes:
        tag = self.session.local_tag if self.session else None
        if tag is None and status != 100:
            tag = _tag_for(self.msg)
        return messages.response(self.msg, status, phrase, self.remote, to_tag=tag,
                                 headers=headers, body=body, content_type=content_type)

    def reply(self, status: int, reason: str, headers: tuple = ()) -> list[Outgoing]:
        """A failure response with its Reason (RFC 3326) saying what to fix."""
        if self.msg.method == "ACK":
            return []
        self.h.count(f"answered {status}")
        text = reason.replace('"', "'").replace("\r", " ").replace("\n", " ")[:200]
        phrase = _PHRASES.get(status, "Error")
        out = [self.out(self.response(
            status, phrase, (*headers, ("Reason", f'SIP;cause={status};text="{text}"'))))]
        key = self.key()
        if key is not None:
            self.h.remember(key, out, self.now)
        return out

    def key(self) -> tuple | None:
        """The server transaction this request belongs to (RFC 3261 §17.2.3)."""
        via = self.msg.via
        cseq = self.msg.cseq
        if not via or cseq is None:
            return None
        method = "INVITE" if cseq.method == "ACK" else cseq.method
        branch = via[0].branch
        if branch and branch.startswith("z9hG4bK"):
            return (branch, via[0].sent_by, method)
        return (self.msg.call_id, cseq.seq, method, _from_tag(self.msg))

    def feed(self, *data: bytes, reverse: bool = False) -> None:
        src, dst = (self.local, self.remote) if reverse else (self.remote, self.local)
        for d in data:
            self.h.backend.message(d, src, dst, self.transport, self.now, self.conn)

    # ---- dispatch ------------------------------------------------------------------------

    def handle(self) -> list[Outgoing]:
        msg = self.msg
        if not msg.call_id or msg.cseq is None or not msg.via or msg.from_ is None \
                or msg.to is None:
            self.h.count("SIP without Call-ID, CSeq, Via, From or To")
            if msg.method == "ACK" or not msg.via or msg.cseq is None:
                return []
            raise _Reply(400, "the request lacks Call-ID, CSeq, Via, From or To")
        if msg.cseq.method != msg.method:
            raise _Reply(400, "CSeq method does not match the request method")
        if not self.h.policy.allowed(self.remote[0]):
            self.h.count("refused client")
            raise _Reply(403, f"{self.remote[0]} is not an allowed recording client")
        key = self.key()
        if msg.method != "ACK" and key is not None:
            again = self.h.retransmission(key)
            if again is not None:
                self.h.count("retransmission")
                return again
        method = msg.method
        if method == "OPTIONS":
            return [self.out(self.response(200, "OK", (
                ("Allow", messages.ALLOW), ("Accept", ACCEPTED_BODIES),
                ("Supported", ", ".join(SUPPORTED)))))]
        if method == "INVITE" and not _to_tag(msg):
            return self.invite()
        if method == "ACK":
            self.ack()
            return []
        if method == "CANCEL":
            invite = (*key[:-1], "INVITE") if key else None
            if invite is not None and self.h.retransmission(invite) is not None:
                return [self.out(self.response(200, "OK"))]
            raise _Reply(481, "no INVITE to cancel")
        if method not in ("INVITE", "UPDATE", "BYE"):
            raise _Reply(405, f"{method} is not supported by a recording server",
                         (("Allow", messages.ALLOW),))
        self.session = self.h.sessions.get(msg.call_id)
        if self.session is None or _to_tag(msg) != self.session.local_tag:
            self.session = None
            raise _Reply(481, "no such recording session")
        if msg.cseq.seq <= self.session.remote_cseq:
            raise _Reply(500, "CSeq lower than the session's last request",
                         (("Retry-After", "1"),))
        self.session.remote_cseq = msg.cseq.seq
        if method == "BYE":
            return self.bye()
        return self.modify()

    def check_extensions(self) -> None:
        required = [t.strip().lower() for v in self.msg.headers.get_list("require")
                    for t in v.split(",") if t.strip()]
        unknown = [t for t in required if t not in SUPPORTED]
        if unknown:
            raise _Reply(420, "unsupported extension " + ", ".join(unknown),
                         (("Unsupported", ", ".join(unknown)),))

    def authenticate(self) -> None:
        auth = self.h.policy.auth
        if auth is None:
            return
        verdict = auth.check(self.msg.method,
                             self.msg.headers.get("authorization")
                             or self.msg.headers.get("proxy-authorization"))
        if verdict != "ok":
            self.h.count("digest challenge")
            raise _Reply(401, "credentials required", (
                ("WWW-Authenticate", auth.challenge(stale=verdict == "stale")),))

    # ---- INVITE --------------------------------------------------------------------------

    def invite(self) -> list[Outgoing]:
        msg = self.msg
        if msg.call_id in self.h.sessions:
            raise _Reply(400, "a recording session with this Call-ID exists already")
        self.check_extensions()
        self.authenticate()
        try:
            offer = read_offer(msg)
        except OfferError as exc:
            self.h.count("rejected offer")
            headers = (("Accept", ACCEPTED_BODIES),) if exc.status == 415 else ()
            raise _Reply(exc.status, exc.reason, headers) from None
        assert offer is not None
        if offer.metadata is None and not _is_recording_client(msg):
            raise _Reply(488, "not a recording session: the INVITE has no recording metadata "
                         "and no +sip.src Contact or Require: siprec")
        contact = msg.contact
        local_tag = os.urandom(6).hex()
        to_value = msg.headers.get("to") or ""
        session = Session(
            call_id=msg.call_id or "",
            remote_tag=_from_tag(msg),
            local_tag=local_tag,
            remote=self.remote,
            local=self.local,
            transport=self.transport,
            conn=self.conn,
            media_address=self.h.media_address or self.local[0],
            from_value=msg.headers.get("from") or "",
            to_value=f"{to_value};tag={local_tag}",
            contact=f"<{contact.uri}>" if contact else msg.uri_text,
            invite_cseq=msg.cseq.seq,  # type: ignore[union-attr]
            remote_cseq=msg.cseq.seq,  # type: ignore[union-attr]
            started_at=self.now,
            sdp_id=int.from_bytes(os.urandom(4), "big"),
        )
        self.session = session
        try:
            self.apply_streams(session, offer, initial=True)
        except NoPorts:
            for port in session.ports:
                self.h.backend.release_port(port)
            self.h.count("no free RTP ports")
            raise _Reply(503, "no free RTP ports", (("Retry-After", "5"),)) from None
        self.apply_metadata(session, offer)
        self.h.sessions[session.call_id] = session
        self.h.count("sessions")
        trying = self.response(100, "Trying")
        ok = self.ok_with_answer(session)
        self.feed(self.data)
        self.feed(trying, ok, reverse=True)
        self.h.backend.started(session, self.now)
        out = [self.out(trying), self.out(ok)]
        self.h.remember(self.key(), [self.out(ok)], self.now)  # type: ignore[arg-type]
        self.h.await_ack(session, self.out(ok), session.invite_cseq, self.now)
        return out

    def ok_with_answer(self, session: Session) -> bytes:
        session.sdp_version += 1
        session.answer = answer_sdp(
            session.media_address, session.sdp_id, session.sdp_version,
            [(s.offered, s.port) for s in session.streams])
        host, port = self.local
        host = f"[{host}]" if ":" in host else host
        return self.response(200, "OK", (
            ("Contact", f"<sip:callvault@{host}:{port};transport={self.transport}>;+sip.srs"),
            ("Allow", messages.ALLOW), ("Supported", ", ".join(SUPPORTED))),
            session.answer, "application/sdp")

    def apply_streams(self, session: Session, offer: Offer, initial: bool) -> bool:
        """Open, close, pause and resume streams as the offer says; True if anything changed."""
        changed = False
        for offered in offer.streams:
            wanted = not offered.removed and offered.kind == "audio"
            if offered.index < len(session.streams):
                stream = session.streams[offered.index]
                if stream.port and not wanted:
                    self.h.backend.release_port(stream.port)
                    stream.port = 0
                    changed = True
                elif wanted and not stream.port:
                    stream.port = self.h.backend.open_port(session.media_address,
                                                           _last_port(session))
                    changed = True
                stream.offered = offered
            else:
                port = (self.h.backend.open_port(session.media_address, _last_port(session))
                        if wanted else 0)
                stream = Stream(offered, port, offered.paused)
                session.streams.append(stream)
                changed = True
                if not initial and stream.port:
                    self.h.backend.paused(session, stream, stream.paused, self.now)
                continue
            if stream.port and offered.paused != stream.paused:
                stream.paused = offered.paused
                self.h.backend.paused(session, stream, stream.paused, self.now)
                changed = True
        return changed

    def apply_metadata(self, session: Session, offer: Offer) -> bool:
        if offer.metadata is None or offer.metadata_xml is None:
            return False
        session.metadata.merge(offer.metadata, offer.metadata_xml)
        return True

    # ---- in the dialog -------------------------------------------------------------------

    def modify(self) -> list[Outgoing]:
        """A re-INVITE or UPDATE: new metadata, streams added, removed, paused or resumed."""
        session = self.session
        assert session is not None
        try:
            offer = read_offer(self.msg, need_sdp=False)
        except OfferError as exc:
            self.h.count("rejected offer")
            raise _Reply(exc.status, exc.reason) from None
        assert offer is not None
        if offer.streams and len(offer.streams) < len(session.streams):
            raise _Reply(488, "an offer may not drop m-lines (set the port to 0 instead)")
        try:
            changed = self.apply_streams(session, offer, initial=False) if offer.streams else False
        except NoPorts:
            raise _Reply(503, "no free RTP ports", (("Retry-After", "5"),)) from None
        changed = self.apply_metadata(session, offer) or changed
        if offer.streams:
            ok = self.ok_with_answer(session)
        else:
            ok = self.response(200, "OK", (("Supported", ", ".join(SUPPORTED)),))
        self.feed(self.data)
        self.feed(ok, reverse=True)
        if changed:
            self.h.backend.updated(session, self.now)
        self.h.remember(self.key(), [self.out(ok)], self.now)  # type: ignore[arg-type]
        if self.msg.method == "INVITE":
            self.h.await_ack(session, self.out(ok), self.msg.cseq.seq, self.now)  # type: ignore[union-attr]
        return [self.out(ok)]

    def ack(self) -> None:
        session = self.h.sessions.get(self.msg.call_id or "")
        if session is None or _to_tag(self.msg) != session.local_tag:
            return  # the ACK of a failure response, or of a session already over
        self.h.acked(session.call_id, self.msg.cseq.seq)  # type: ignore[union-attr]
        self.feed(self.data)

    def bye(self) -> list[Outgoing]:
        session = self.session
        assert session is not None
        self.h.sessions.pop(session.call_id, None)
        self.h._unacked.pop(session.call_id, None)
        ok = self.response(200, "OK")
        self.feed(self.data)
        self.feed(ok, reverse=True)
        self.h.backend.ended(session, self.now)
        out = [self.out(ok)]
        self.h.remember(self.key(), out, self.now)  # type: ignore[arg-type]
        return out


def _last_port(session: Session) -> int | None:
    ports = session.ports
    return ports[-1] if ports else None


def _to_tag(msg: SipRequest) -> str | None:
    return msg.to.tag if msg.to is not None else None


def _from_tag(msg: SipRequest) -> str | None:
    return msg.from_.tag if msg.from_ is not None else None


def _tag_for(msg: SipRequest) -> str:
    """A To tag for a failure response: the same for retransmissions of the request."""
    existing = _to_tag(msg)
    if existing:
        return existing
    seed = f"{msg.call_id}|{_from_tag(msg)}|{msg.cseq}".encode()
    return hashlib.sha1(seed).hexdigest()[:12]


def _is_recording_client(msg: SipRequest) -> bool:
    """RFC 7866 §6.1.1: a recording client's Contact carries +sip.src, its INVITE may
    Require siprec."""
    if any(c.param("+sip.src") is not None for c in msg.contacts):
        return True
    tags = ",".join(msg.headers.get_list("require")).lower()
    return "siprec" in tags


