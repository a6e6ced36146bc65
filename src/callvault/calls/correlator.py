"""Joins SIP dialogs, their SDP and the RTP they set up into calls, and ends them.

Sans-I/O: messages and RTP totals come in with their capture timestamps; finished
``Call`` objects go out through the ``on_call`` callback the moment a call is over
(BYE/CANCEL/final failure plus a short linger, or a timeout), never at the end of input.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from callvault.calls.classify import Classifier
from callvault.calls.media import (
    Endpoint,
    MediaMap,
    StreamKey,
    StreamState,
    other,
    private_address,
    private_ipv4,
)
from callvault.calls.model import (
    Call,
    CallEvent,
    CallStatus,
    MediaStream,
    Party,
    Side,
)
from callvault.config import Settings
from callvault.errors import ParseError
from callvault.net.datagram import IPV6_ID_BASE, AddressTable
from callvault.rtp.quality import QualityTable
from callvault.sip import sdp as sdp_module
from callvault.sip import siprec
from callvault.sip.dtmf import parse_dtmf_info
from callvault.sip.message import SipRequest
from callvault.sip.sdp import MediaDescription, SessionDescription
from callvault.sip.via import CSeq

STATUS_BY_CODE = {
    486: CallStatus.BUSY,
    600: CallStatus.BUSY,
    603: CallStatus.REJECTED,
    403: CallStatus.REJECTED,
    487: CallStatus.MISSED,
}
AUTH_CHALLENGES = (401, 407)
HOLD_DIRECTIONS = ("sendonly", "inactive")
UNSIGNALLED_MIN_PACKETS = 5
"""A conversation of unsignalled RTP is journaled once one of its streams has this many packets."""
TIMER_MARGIN_S = 0.001
"""Calls are looked at this much before their computed end, which float rounding may shift."""


@dataclass(slots=True)
class SipEnvelope:
    """A parsed SIP message with where and when it was seen."""

    ts: float
    message: object
    transport: str
    src: int
    sport: int
    dst: int
    dport: int


@dataclass(slots=True)
class CallState:
    """A call in progress."""

    call_id: str
    started_at: float
    caller_tag: str | None
    """From tag of the first INVITE."""
    caller: Party
    callee: Party
    caller_host: str | None
    callee_host: str | None
    transport: str
    invite_cseq: int
    last_sip: float
    last_activity: float
    callee_tag: str | None = None
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    sip_code: int | None = None
    reason: str | None = None
    hangup_by: Side | None = None
    end_cause: str | None = None
    status: CallStatus | None = None
    challenged: bool = False
    codecs: list[str] = field(default_factory=list)
    payload_names: dict[Side, dict[int, str]] = field(
        default_factory=lambda: {Side.CALLER: {}, Side.CALLEE: {}}
    )
    event_pts: set[int] = field(default_factory=set)
    on_hold: dict[Side, bool] = field(
        default_factory=lambda: {Side.CALLER: False, Side.CALLEE: False}
    )
    events: list[CallEvent] = field(default_factory=list)
    streams: list[StreamState] = field(default_factory=list)
    endpoints: list[tuple[Endpoint, int, bool]] = field(default_factory=list)
    seen: set[tuple] = field(default_factory=set)
    caller_tags: set[str | None] = field(default_factory=set)
    """From tags of every copy of the initial INVITE (each leg through a B2BUA/SBC has its own)."""
    late_offers: set[int] = field(default_factory=set)
    label_senders: dict[str, Side] = field(default_factory=dict)
    """SIPREC: SDP a=label → the recorded party whose media that stream carries."""
    media_security: str | None = None
    """Why the call's media cannot be decoded (SRTP/ZRTP/DTLS-SRTP), from SDP or ZRTP packets."""
    uid: str = ""
    """CSeqs of INVITEs sent without SDP: the offer comes in the response (RFC 3264 §4)."""
    serial: int = 0
    """Order of the call among those started: calls due together are written in this order."""
    timer: float = math.inf
    """Time of the call's live entry in the correlator's timer heap (see Correlator._timers)."""

    def side_of_tag(self, tag: str | None) -> Side:
        return Side.CALLER if tag == self.caller_tag or tag in self.caller_tags else Side.CALLEE

    def payload_name(self, pt: int, receiver: Side | None) -> str | None:
        if receiver is not None and pt in self.payload_names[receiver]:
            return self.payload_names[receiver][pt]
        for names in self.payload_names.values():
            if pt in names:
                return names[pt]
        return None


@dataclass(slots=True)
class Conversation:
    """Unsignalled RTP between two endpoints, either direction; the first sender is the caller."""

    key: tuple[Endpoint, Endpoint]
    caller: Endpoint
    started_at: float
    uid: str
    streams: list[StreamState] = field(default_factory=list)
    last_activity: float = 0.0


@dataclass(slots=True)
class CorrelatorCounters:
    sip_messages: int = 0
    calls: int = 0
    unsignalled: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n


def _codec_name(rtpmap: object) -> str:
    """ "PCMU/8000", or "opus/48000/2" where the rtpmap names more than one channel."""
    name = f"{rtpmap.encoding}/{rtpmap.clock_rate}"
    channels = getattr(rtpmap, "channels", 1)
    return f"{name}/{channels}" if channels and channels > 1 else name


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
"""A dotted-quad IPv4 address as ipaddress accepts it (no leading zeros, octets to 255)."""

_TAG = re.compile(r";[ \t]*tag[ \t]*=[ \t]*([^ \t;,>]+)", re.IGNORECASE)


_NO_QUALITY: tuple[None, ...] = (None,) * 9
"""The quality fields of a stream no quality was measured for."""


def _quality_fields(stats: object) -> tuple[object, ...]:
    """(expected, lost, loss_bursts, duplicates, out_of_order, jitter_mean_ms, jitter_max_ms,
    max_delta_ms, mos) of a stream's quality, rounded as journaled, in MediaStream's order."""
    return (
        stats.expected,  # type: ignore[attr-defined]
        stats.lost,  # type: ignore[attr-defined]
        stats.loss_bursts,  # type: ignore[attr-defined]
        stats.duplicates,  # type: ignore[attr-defined]
        stats.out_of_order,  # type: ignore[attr-defined]
        round(stats.jitter_mean_ms, 3),  # type: ignore[attr-defined]
        round(stats.jitter_max_ms, 3),  # type: ignore[attr-defined]
        round(stats.max_delta_ms, 3),  # type: ignore[attr-defined]
        None if stats.mos is None else round(stats.mos, 2),  # type: ignore[attr-defined]
    )


def _security(media: MediaDescription, session: SessionDescription) -> str | None:
    """Why media negotiated by this SDP cannot be decoded without keys, if it cannot."""
    return _sealed_by(media.proto, media.crypto, media.attributes, session.attributes)


@lru_cache(maxsize=256)
def _sealed_by(
    proto: str,
    crypto: bool,
    media_attributes: tuple[tuple[str, str | None], ...],
    session_attributes: tuple[tuple[str, str | None], ...],
) -> str | None:
    """``_security`` of a media section's protocol, a=crypto and a= lines and its session's
    a= lines. Cached: a capture's offers and answers repeat a few sets of a= lines."""
    names = {name for name, _ in media_attributes} | {name for name, _ in session_attributes}
    if "zrtp-hash" in names:
        return "encrypted (ZRTP)"
    if "UDP/TLS" in proto or "fingerprint" in names:
        return "encrypted (DTLS-SRTP)"
    if "SAVP" in proto or crypto:
        return "encrypted (SRTP, no keys)"
    return None


@lru_cache(maxsize=4096)
def _ipv4_media_address(text: str) -> tuple[int, bool] | None:
    """(address id, private) of a dotted-quad SDP address; None for any other text.

    Read here, once per distinct address, instead of by ipaddress twice (id_of_text,
    private_address): same id and same answer, as the pattern takes only text ipaddress
    reads as that IPv4 address (and an IPv4 address's id is its value). Cached: a capture's
    SDP names the same few media addresses over and over.
    """
    if not _IPV4.fullmatch(text):
        return None
    a, b, c, d = text.split(".")
    value = (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)
    return value, private_ipv4(value)


@lru_cache(maxsize=4096)
def _ipv4_text(address_id: int) -> str:
    """The dotted quad of an IPv4 address id (its value). Cached: a capture's parties and
    streams name the same few addresses on every call."""
    return ".".join(map(str, address_id.to_bytes(4, "big")))


def _tag(address: object) -> str | None:
    return getattr(address, "tag", None)


@lru_cache(maxsize=4096)
def _tag_in(value: str) -> str | None:
    """The tag parameter of a From/To value ("" when the header is absent), RFC 3261 §19.3,
    without parsing the URI: header parameters follow the closing ">" of a name-addr, or
    the addr-spec itself. Cached, as a dialog repeats its From and To on every message."""
    tail = value[value.rfind(">") + 1 :]
    if ";" not in tail:
        return None
    found = _TAG.search(tail)
    return found.group(1) if found else None


def _may_name(value: str | None) -> bool:
    """Whether a From/To value can carry a display name: only text before a "<" is one
    (parse_address), so a value that starts with "<" or has none needs no parsing to know."""
    return value is not None and "<" in value and value.lstrip(" \t")[:1] != "<"


def _uri_text(address: object) -> str | None:
    uri = getattr(address, "uri", None)
    return _uri_string(uri) if uri is not None else None


@lru_cache(maxsize=4096)
def _uri_string(uri: object) -> str:
    """str(uri), cached: a number's From or To URI is one shared object (address.py caches
    the parse), written out for every call it makes or takes."""
    return str(uri)


def _header(message: object, name: str) -> str | None:
    """A header's value, None when absent or empty; ``name`` in lookup-key form (lower
    case), which Headers finds without a second lookup."""
    value = message.headers.get(name)
    return value if value else None


class Correlator:
    """The state of every call in progress; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        addresses: AddressTable,
        on_call: Callable[[Call], None],
        source: str | None = None,
    ) -> None:
        self.settings = settings
        self.addresses = addresses
        self.on_call = on_call
        self.source = source
        self.classifier = Classifier(settings)
        self.calls: dict[str, CallState] = {}
        self.finished: dict[str, float] = {}
        """Call-IDs of calls already written, with when they ended (late messages are ignored)."""
        self.media = MediaMap()
        self.streams: dict[StreamKey, StreamState] = {}
        self.conversations: dict[tuple[Endpoint, Endpoint], Conversation] = {}
        self.late_media: dict[StreamKey, float] = {}
        self._late_order: deque[tuple[float, StreamKey]] = deque()
        """(until, key) of late_media in the order set, which is the order of ``until``."""
        self._timers: list[tuple[float, int, CallState]] = []
        """Heap of (time, serial, call): tick looks only at calls whose time has come. A
        call's live entry is the one at its ``timer``, never later than the earliest time
        the call can be over; a message pushes a new one only where it brings that time
        forward (a BYE, a final response), as later messages and media only move it on.
        When the live entry comes up the call is checked and, if not over, gets one at its
        time then; entries left behind by an earlier push are dropped as they come up."""
        self._serial = 0
        self.counters = CorrelatorCounters()
        self.now = 0.0
        self.quality: QualityTable | None = None
        """Per-stream RTP quality, read (and the stream's slot freed) when its call is written."""
        self.sealed: dict[Endpoint, str] = {}
        """Endpoints where an encrypted-media key agreement (ZRTP) was seen."""
        self.on_discard: Callable[[str], None] | None = None
        """Told the uid of unsignalled media that will never be a call of its own."""
        self.on_live: Callable[[str, CallState], None] | None = None
        """Told of calls in progress: ("started", call) at the first INVITE of a dialog,
        ("updated", call) when it is answered, put on hold or taken off it, or gets a new
        stream. None (the default) costs nothing on the capture path."""

    # ---- SIP ---------------------------------------------------------------------------

    def on_sip(self, env: SipEnvelope) -> None:
        msg = env.message
        self.counters.sip_messages += 1
        ts = env.ts
        if ts > self.now:
            self.now = ts
        call_id = msg.call_id
        cseq = msg.cseq
        if not call_id or cseq is None:
            self.counters.skip("sip without Call-ID or CSeq")
            return
        if isinstance(msg, SipRequest):
            method, status = msg.method, None
        else:
            method, status = None, msg.status
        call = self.calls.get(call_id)
        if call is None:
            if method != "INVITE" or call_id in self.finished:
                return
            to_tag = _tag_in(msg.headers.get("to") or "")
            if to_tag:
                return
            call = self._start(env, call_id)
        else:
            to_tag = _tag_in(msg.headers.get("to") or "")
        if ts > call.last_sip:
            call.last_sip = ts
        if ts > call.last_activity:
            call.last_activity = ts
        from_tag = _tag_in(msg.headers.get("from") or "")
        if method == "INVITE" and not to_tag:
            call.caller_tags.add(from_tag)
        identity = (method, status, cseq.seq, cseq.method, to_tag)
        if identity in call.seen:
            return  # a retransmission, or the same message seen again through a proxy
        call.seen.add(identity)
        if method is not None:
            self._request(call, env, method, cseq, from_tag, to_tag)
        else:
            self._response(call, env, status, cseq, from_tag, to_tag)
        due = self._due(call)
        if due < call.timer:
            call.timer = due
            heapq.heappush(self._timers, (due, call.serial, call))

    def _start(self, env: SipEnvelope, call_id: str) -> CallState:
        msg = env.message
        from_, to = msg.from_, msg.to
        caller = self._party(from_, env.src, _header(msg, "user-agent"))
        callee = self._party(to, None, None)
        call = CallState(
            call_id=call_id,
            started_at=env.ts,
            caller_tag=_tag(from_),
            caller=caller,
            callee=callee,
            caller_host=getattr(getattr(from_, "uri", None), "host", None),
            callee_host=getattr(getattr(to, "uri", None), "host", None),
            transport=env.transport,
            invite_cseq=msg.cseq.seq,
            last_sip=env.ts,
            last_activity=env.ts,
        )
        uid_source = f"sip|{call_id}|{call.caller_tag}|{env.ts:.6f}"
        call.uid = hashlib.sha1(uid_source.encode()).hexdigest()[:20]
        self._serial += 1
        call.serial = self._serial
        self.calls[call_id] = call
        if self.on_live is not None:
            self.on_live("started", call)
        return call

    def _party(self, address: object, ip: int | None, user_agent: str | None) -> Party:
        uri = getattr(address, "uri", None)
        user = getattr(uri, "user", None)
        return Party(
            number=user,
            display_name=(getattr(address, "display_name", None) or "").strip() or None,
            uri=_uri_text(address),
            e164=self.classifier.e164(user),
            ip=self._ip_text(ip) if ip is not None else None,
            user_agent=user_agent,
        )

    def _request(
        self,
        call: CallState,
        env: SipEnvelope,
        method: str,
        cseq: CSeq,
        from_tag: str | None,
        to_tag: str | None,
    ) -> None:
        msg = env.message
        side = call.side_of_tag(from_tag)
        if method == "INVITE":
            if not to_tag and call.answered_at is None:
                # a new INVITE transaction after an authentication challenge
                call.invite_cseq = cseq.seq
                call.challenged = False
                if call.ended_at is not None and call.end_cause == "final-response":
                    call.ended_at = call.sip_code = call.status = call.hangup_by = None
                    call.end_cause = call.reason = None
            elif call.answered_at is not None:
                call.events.append(CallEvent("reinvite", env.ts, side))
            if not self._sdp(call, env, side, "offer"):
                call.late_offers.add(cseq.seq)
        elif method == "UPDATE":
            self._sdp(call, env, side, "offer")
        elif method in ("PRACK", "ACK"):
            self._sdp(call, env, side, "answer")
        elif method == "BYE":
            if call.ended_at is None:
                call.ended_at = env.ts
                call.hangup_by = side
                call.end_cause = "bye"
                call.reason = _header(msg, "reason")
        elif method == "CANCEL":
            if call.answered_at is None and call.ended_at is None:
                call.ended_at = env.ts
                call.hangup_by = Side.CALLER
                call.end_cause = "cancel"
                call.status = CallStatus.MISSED
                call.reason = _header(msg, "reason")
        elif method == "INFO":
            self._info_dtmf(call, env, side)
        elif method == "REFER":
            target = _header(msg, "refer-to")
            call.events.append(CallEvent("transfer", env.ts, side, target, "refer"))

    def _response(
        self,
        call: CallState,
        env: SipEnvelope,
        status: int,
        cseq: CSeq,
        from_tag: str | None,
        to_tag: str | None,
    ) -> None:
        msg = env.message
        side = other(call.side_of_tag(from_tag))
        if cseq.method != "INVITE":
            if cseq.method in ("UPDATE", "PRACK") and 200 <= status < 300:
                self._sdp(call, env, side, "answer")
            return
        # RFC 3264: SDP in a response answers the INVITE's offer, or is the offer itself
        # when the INVITE had none (answered in the ACK or PRACK)
        seq = cseq.seq
        role = "answer"
        if seq in call.late_offers:
            call.late_offers.discard(seq)
            role = "offer"
        if status < 200:
            if status in (180, 183) and call.ringing_at is None and call.answered_at is None:
                call.ringing_at = env.ts
            if not self._sdp(call, env, side, role) and role == "offer":
                call.late_offers.add(seq)
        elif status < 300:
            if call.answered_at is None:
                call.answered_at = env.ts
                call.callee_tag = to_tag
                call.sip_code = status
                call.status = CallStatus.ANSWERED
                call.callee.user_agent = _header(msg, "server") or _header(msg, "user-agent")
                call.callee.ip = self._ip_text(env.src)
                if not call.callee.display_name and _may_name(msg.headers.get("to")):
                    to = msg.to
                    if getattr(to, "display_name", None):
                        call.callee.display_name = to.display_name
                if call.ended_at is not None and call.end_cause in ("cancel", "final-response"):
                    # the 200 OK crossed the CANCEL (or a forked branch failed first)
                    call.ended_at = call.hangup_by = call.end_cause = call.reason = None
                if self.on_live is not None:
                    self.on_live("updated", call)
            self._sdp(call, env, side, role)
        elif seq == call.invite_cseq and call.answered_at is None:
            if call.ended_at is not None and call.end_cause != "cancel":
                return  # a second final response (another fork): the first one counts
            call.sip_code = status
            if call.status is None:
                call.status = STATUS_BY_CODE.get(status, CallStatus.FAILED)
            call.challenged = status in AUTH_CHALLENGES
            if call.end_cause != "cancel":
                call.ended_at = env.ts
                call.end_cause = "final-response"
                call.hangup_by = Side.CALLER if status == 487 else Side.CALLEE
                call.reason = _header(msg, "reason")

    def _info_dtmf(self, call: CallState, env: SipEnvelope, side: Side) -> None:
        msg = env.message
        body = msg.body
        try:
            info = parse_dtmf_info(msg.content_type or "", body)
        except ParseError:
            self.counters.skip("malformed SIP INFO DTMF")
            return
        if info is not None:
            call.events.append(CallEvent("dtmf", env.ts, side, info.digit, "sip-info"))

    def _sdp(self, call: CallState, env: SipEnvelope, side: Side, role: str) -> bool:
        """Bind the media endpoints of the message's SDP, if it has one; True when it had.

        An offer may put the other party on hold; an answer names the negotiated codecs.
        """
        msg = env.message
        body = msg.body
        if not body:
            return False  # most messages: find_body would say None without looking further
        if msg.media_type != "application/sdp":  # else the body is the SDP, and alone
            try:
                body = msg.find_body("application/sdp")
            except ParseError:
                self.counters.skip("malformed multipart body")
                return False
            if not body:
                return False
            if role == "offer" and not call.label_senders:
                self._siprec_metadata(call, msg)
        try:
            session = sdp_module.parse_sdp(body)
        except ParseError:
            self.counters.skip("malformed SDP")
            return False
        audio_seen = False
        for media in session.media:
            if media.kind not in ("audio", "video") or media.port == 0:
                continue
            security = _security(media, session)
            if security and (role == "answer" or call.media_security is None):
                call.media_security = security
            names = call.payload_names[side]
            for pt, rtpmap in media.rtpmap.items():
                names[pt] = _codec_name(rtpmap)
                if rtpmap.encoding.lower() == "telephone-event":
                    call.event_pts.add(pt)
            if media.kind == "audio" and not audio_seen:
                audio_seen = True
                if role == "offer":
                    self._hold(call, env.ts, side, media)
                else:
                    for pt in media.formats:
                        if not isinstance(pt, int):
                            continue
                        name = call.payload_name(pt, side) or sdp_module.static_payload_name(pt)
                        if name and name not in call.codecs:
                            call.codecs.append(name)
            address = media.connection
            if not address or address in ("0.0.0.0", "::"):
                continue
            found = self._media_address(address)
            if found is None:
                continue
            address_id, private = found
            endpoint = (address_id, media.port)
            rtcp_port = media.rtcp_port or media.port + 1
            sender = call.label_senders.get(media.label) if media.label else None
            if self.media.bind(call, side, endpoint, rtcp_port, env.ts, private, sender):
                self._adopt_orphans(endpoint)
        return True

    def _ip_text(self, address_id: int) -> str:
        """AddressTable.text, with an IPv4 id written out here: the same dotted quad without
        building an ipaddress object for each party and stream of each call."""
        if address_id < IPV6_ID_BASE:
            return _ipv4_text(address_id)
        return self.addresses.text(address_id)

    def _media_address(self, text: str) -> tuple[int, bool] | None:
        """(address id, private) of an SDP connection address, None when it is not one."""
        # a dotted quad has at most 15 characters: longer text never reaches the cache
        found = _ipv4_media_address(text) if len(text) <= 15 else None
        if found is not None:
            return found
        try:
            address_id = self.addresses.id_of_text(text)
        except ValueError:
            return None
        return address_id, private_address(text)

    def _siprec_metadata(self, call: CallState, msg: object) -> None:
        """A SIPREC offer's metadata says whose media each labelled stream carries: the first
        participant is recorded as the caller, the second as the callee (RFC 7865 order)."""
        try:
            xml = msg.find_body(siprec.METADATA_TYPE)  # type: ignore[attr-defined]
            if not xml:
                return
            metadata = siprec.parse_metadata(xml)
        except ParseError:
            self.counters.skip("malformed SIPREC metadata")
            return
        for label in metadata.stream_labels.values():
            index = metadata.sender_index(label)
            if index in (0, 1):
                call.label_senders[label] = Side.CALLER if index == 0 else Side.CALLEE

    def _hold(self, call: CallState, ts: float, side: Side, media: object) -> None:
        direction = media.direction
        holding = direction in HOLD_DIRECTIONS or media.connection in ("0.0.0.0", "::")
        if holding and not call.on_hold[side] and call.answered_at is not None:
            call.on_hold[side] = True
            call.events.append(CallEvent("hold", ts, side, direction, "sdp"))
        elif not holding and call.on_hold[side]:
            call.on_hold[side] = False
            call.events.append(CallEvent("resume", ts, side, direction, "sdp"))
        else:
            return
        if self.on_live is not None:
            self.on_live("updated", call)

    # ---- RTP ---------------------------------------------------------------------------

    def stream_for(self, key: StreamKey, first_at: float) -> StreamState | None:
        """The running stream of ``key``, created (and attached to a call) on first sight.

        None for media of a call that has already been written (counted, not kept).
        """
        stream = self.streams.get(key)
        if stream is not None:
            return stream
        if key in self.late_media:
            return None
        found = self.media.find(key, first_at)
        if found is not None:
            call, side = found
            stream = StreamState(key, call, side, first_at, first_at)
            call.streams.append(stream)
            if self.on_live is not None:
                self.on_live("updated", call)
        else:
            stream = StreamState(key, None, None, first_at, first_at)
            self._conversation(stream).streams.append(stream)
        self.streams[key] = stream
        return stream

    def _conversation(self, stream: StreamState) -> Conversation:
        src, sport, dst, dport, _ = stream.key
        pair = tuple(sorted(((src, sport), (dst, dport))))
        conv = self.conversations.get(pair)  # type: ignore[arg-type]
        if conv is None:
            ssrc = stream.key[4]
            uid_source = f"rtp|{src}|{sport}|{dst}|{dport}|{ssrc}|{stream.first_at:.6f}"
            conv = Conversation(
                pair,
                (src, sport),
                stream.first_at,  # type: ignore[arg-type]
                hashlib.sha1(uid_source.encode()).hexdigest()[:20],
            )
            self.conversations[pair] = conv  # type: ignore[index]
        if stream.call is None:
            stream.side = Side.CALLER if (src, sport) == conv.caller else Side.CALLEE
        return conv

    def _adopt_orphans(self, endpoint: Endpoint) -> None:
        for pair in [p for p in self.conversations if endpoint in p]:
            conv = self.conversations.pop(pair)
            if self.on_discard is not None:
                self.on_discard(conv.uid)
            for stream in conv.streams:
                found = self.media.find(stream.key, stream.first_at)
                if found is None:
                    self._conversation(stream).streams.append(stream)
                    continue
                stream.call, stream.side = found
                stream.call.streams.append(stream)
                if self.on_live is not None:
                    self.on_live("updated", stream.call)

    def rtp_activity(self, stream: StreamState) -> Conversation | None:
        """Note media activity; the unsignalled conversation a stream without call belongs to."""
        if stream.call is not None:
            if stream.last_at > stream.call.last_activity:
                stream.call.last_activity = stream.last_at
            return None
        conv = self._conversation(stream)
        conv.last_activity = max(conv.last_activity, stream.last_at)
        return conv

    def clock_rate(self, stream: StreamState, pt: int) -> int:
        """RTP clock of a stream's payload type, from its call's SDP or RFC 3551; 0 for
        telephone events and comfort noise (no jitter from them) and when unknown."""
        call = stream.call
        name = None
        if call is not None:
            if pt in call.event_pts:
                return 0
            receiver = other(stream.side) if stream.side is not None else None
            name = call.payload_name(pt, receiver)
        name = name or sdp_module.static_payload_name(pt)
        if not name:
            return 0
        encoding, _, rest = name.partition("/")
        if encoding.lower() in ("cn", "telephone-event"):
            return 0
        clock = rest.partition("/")[0]
        return int(clock) if clock.isdigit() else 0

    def encrypted_media(self, src: Endpoint, dst: Endpoint, reason: str) -> None:
        """Packets of a key agreement (ZRTP) between these endpoints: media there is sealed."""
        if len(self.sealed) > 100_000:
            self.sealed.clear()
        self.sealed[src] = self.sealed[dst] = reason

    def sealed_reason(self, stream: StreamState) -> str | None:
        """Why a stream's payload cannot be decoded (its call's SDP, or ZRTP seen on its ports)."""
        call = stream.call
        if call is not None and call.media_security:
            return call.media_security
        if not self.sealed:
            return None
        src, sport, dst, dport, _ = stream.key
        reason = self.sealed.get((src, sport)) or self.sealed.get((dst, dport))
        if reason and call is not None:
            call.media_security = reason
        return reason

    def telephone_event_pts(self, stream: StreamState) -> set[int]:
        return stream.call.event_pts if stream.call is not None else set()

    def dtmf(self, stream: StreamState, at: float, digit: str) -> None:
        if stream.call is not None:
            stream.call.events.append(CallEvent("dtmf", at, stream.side, digit, "rfc4733"))

    def rtcp(self, src: Endpoint, dst: Endpoint, packets: int) -> bool:
        binding = self.media.find_rtcp(src, dst)
        if binding is None:
            return False
        receiver = binding.side
        for stream in binding.call.streams:
            if stream.side is not receiver:
                stream.rtcp_packets += packets
                return True
        return True

    # ---- ending calls --------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Write every call that is over by capture time ``now``."""
        self.now = max(self.now, now)
        timers = self._timers
        due: dict[int, CallState] = {}
        while timers and timers[0][0] <= now:
            at, serial, call = heapq.heappop(timers)
            if at == call.timer and self.calls.get(call.call_id) is call:
                due[serial] = call
        for serial in sorted(due):  # the order in which the calls started, as self.calls has
            call = due[serial]
            if self._over(call, now):
                self._finish(call)
            else:
                call.timer = max(self._due(call), now)
                heapq.heappush(timers, (call.timer, serial, call))
        s = self.settings
        for pair, conv in list(self.conversations.items()):
            if now - conv.last_activity >= s.media_timeout_s:
                del self.conversations[pair]
                self._finish_conversation(conv)
        late = self._late_order
        while late and now > late[0][0]:
            until, key = late.popleft()
            if self.late_media.get(key) == until:
                del self.late_media[key]

    def _over(self, call: CallState, now: float) -> bool:
        """Whether ``call`` is over at ``now``; sets end_cause "timeout" when a timer ends it."""
        s = self.settings
        if call.ended_at is not None:
            if call.challenged and now - call.ended_at < s.setup_timeout_s:
                return False  # an authentication challenge: a new INVITE may follow
            return now - max(call.ended_at, call.last_sip) >= s.bye_linger_s
        if call.answered_at is None:
            if now - call.last_sip >= s.setup_timeout_s:
                call.end_cause = "timeout"
                return True
        elif now - call.last_activity >= s.inactivity_timeout_s:
            call.end_cause = "timeout"
            return True
        return False

    def _due(self, call: CallState) -> float:
        """A little before the earliest capture time at which ``_over`` can be true, given the
        call as it is now (later SIP or media only move that time on)."""
        s = self.settings
        if call.ended_at is not None:
            due = max(call.ended_at, call.last_sip) + s.bye_linger_s
            if call.challenged:
                due = max(due, call.ended_at + s.setup_timeout_s)
        elif call.answered_at is None:
            due = call.last_sip + s.setup_timeout_s
        else:
            due = call.last_activity + s.inactivity_timeout_s
        return due - TIMER_MARGIN_S

    def _forget_media(self, key: StreamKey, until: float) -> None:
        """Media of ``key`` seen until capture time ``until`` belongs to a call already written."""
        self.late_media[key] = until
        self._late_order.append((until, key))

    def close(self) -> None:
        """End of input: write every call still in progress."""
        for call in list(self.calls.values()):
            if call.ended_at is None and call.end_cause is None:
                call.end_cause = "capture-end"
            self._finish(call)
        for conv in list(self.conversations.values()):
            self._finish_conversation(conv)
        self.conversations.clear()

    def _finish(self, call: CallState) -> None:
        del self.calls[call.call_id]
        self.media.unbind_call(call)
        grace = self.now + self.settings.media_timeout_s
        for stream in call.streams:
            self.streams.pop(stream.key, None)
            self._forget_media(stream.key, grace)
        self.finished[call.call_id] = call.ended_at or call.last_activity
        if len(self.finished) > 100_000:
            for key in list(self.finished)[:50_000]:
                del self.finished[key]
        self.counters.calls += 1
        self.on_call(self._build(call))

    def _build(self, call: CallState) -> Call:
        if call.ended_at is None:
            call.ended_at = call.last_activity if call.answered_at is not None else call.last_sip
        return self._call(
            call,
            call.caller,
            call.callee,
            reason=call.reason,
            hangup_by=call.hangup_by,
            end_cause=call.end_cause,
            streams=[
                self._media_stream(s, call) for s in sorted(call.streams, key=lambda s: s.first_at)
            ],
        )

    def _call(self, call: CallState, caller: Party, callee: Party, **more: object) -> Call:
        caller_local = self.classifier.is_local(call.caller, call.caller_host)
        callee_local = self.classifier.is_local(call.callee, call.callee_host)
        return Call(
            uid=call.uid,
            sip_call_id=call.call_id,
            started_at=call.started_at,
            ringing_at=call.ringing_at,
            answered_at=call.answered_at,
            ended_at=call.ended_at,
            status=call.status or CallStatus.FAILED,
            sip_code=call.sip_code,
            caller=caller,
            callee=callee,
            direction=self.classifier.direction(caller_local, callee_local),
            transport=call.transport,
            codecs=tuple(call.codecs),
            events=sorted(call.events, key=lambda e: e.at),
            source=self.source,
            **more,  # type: ignore[arg-type]
        )

    def snapshot(self, call: CallState) -> Call:
        """A call in progress as the journal's model, without its streams (nothing on the
        call state changes): what live views and the recording policy look at."""
        return self._call(call, replace(call.caller), replace(call.callee))

    def _media_stream(self, stream: StreamState, call: CallState | None) -> MediaStream:
        src, sport, dst, dport, ssrc = stream.key
        by_pt = stream.packets_by_pt  # built anew on each read while the totals are shared
        main_pt = None
        if by_pt:
            non_event = {
                pt: n for pt, n in by_pt.items() if call is None or pt not in call.event_pts
            } or by_pt
            main_pt = max(non_event, key=non_event.__getitem__)
        codec = None
        if main_pt is not None:
            if call is not None:
                receiver = other(stream.side) if stream.side is not None else None
                codec = call.payload_name(main_pt, receiver)
            if codec is None:
                codec = sdp_module.static_payload_name(main_pt)
        quality = _NO_QUALITY
        if self.quality is not None and stream.quality_slot is not None:
            stats = self.quality.result(stream.quality_slot, (codec or "PCMU").partition("/")[0])
            self.quality.release(stream.quality_slot)
            stream.quality_slot = None
            quality = _quality_fields(stats)
        return MediaStream(  # positional, in field order: a call's streams are built at its end
            ssrc,
            self._ip_text(src),
            sport,
            self._ip_text(dst),
            dport,
            stream.side,
            tuple(sorted(by_pt)),
            codec,
            stream.packets,
            stream.bytes,
            stream.first_at,
            stream.last_at,
            stream.rtcp_packets,
            *quality,
            stream.not_decodable,
        )

    def _finish_conversation(self, conv: Conversation) -> None:
        for stream in conv.streams:
            self.streams.pop(stream.key, None)
            self._forget_media(stream.key, self.now + self.settings.media_timeout_s)
        if not any(s.looks_like_rtp(UNSIGNALLED_MIN_PACKETS) for s in conv.streams):
            for stream in conv.streams:
                if self.quality is not None and stream.quality_slot is not None:
                    self.quality.release(stream.quality_slot)
                    stream.quality_slot = None
            if self.on_discard is not None:
                self.on_discard(conv.uid)
            self.counters.skip(
                "rtp-like udp too short to be a stream", sum(s.packets for s in conv.streams)
            )
            return
        streams = sorted(conv.streams, key=lambda s: s.first_at)
        src, sport, dst, dport, _ = streams[0].key
        if (src, sport) != conv.caller:
            src, sport, dst, dport = dst, dport, src, sport
        caller = Party(ip=self._ip_text(src))
        callee = Party(ip=self._ip_text(dst))
        media = [self._media_stream(s, None) for s in streams]
        codecs = tuple(dict.fromkeys(m.codec for m in media if m.codec))
        self.counters.unsignalled += 1
        self.on_call(
            Call(
                uid=conv.uid,
                sip_call_id=None,
                started_at=conv.started_at,
                answered_at=conv.started_at,
                ended_at=max(s.last_at for s in streams),
                status=CallStatus.UNSIGNALLED,
                end_cause="media-timeout",
                caller=caller,
                callee=callee,
                transport="rtp",
                codecs=codecs,
                streams=media,
                source=self.source,
            )
        )
