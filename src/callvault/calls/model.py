"""The call as callvault records it: pure data, no I/O.

Times are float seconds since the Unix epoch (capture time, never the wall clock);
durations are whole milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter


class CallStatus(StrEnum):
    ANSWERED = "answered"
    """A 2xx answered the INVITE."""
    MISSED = "missed"
    """The caller gave up before an answer (CANCEL, 487)."""
    BUSY = "busy"
    """486 Busy Here or 600 Busy Everywhere."""
    REJECTED = "rejected"
    """The callee declined: 603 Decline or 403 Forbidden."""
    FAILED = "failed"
    """Any other final failure, or no final response at all."""
    UNSIGNALLED = "unsignalled"
    """RTP seen without any SIP that set it up."""


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"
    UNKNOWN = "unknown"


class Side(StrEnum):
    CALLER = "caller"
    CALLEE = "callee"


@dataclass(slots=True)
class Party:
    """One end of a call as the signalling names it."""

    number: str | None = None
    """User part of the URI (digits, or a name such as "alice")."""
    display_name: str | None = None
    uri: str | None = None
    """The SIP (or tel) URI of the From (caller) or To (callee) header, without tag."""
    e164: str | None = None
    """The number in E.164 (+4512345678) where it can be determined."""
    ip: str | None = None
    """Signalling address of the party's user agent (or of the proxy it sits behind)."""
    user_agent: str | None = None
    """User-Agent (caller) or Server/User-Agent of the answer (callee)."""


@dataclass(slots=True)
class MediaStream:
    """One RTP stream: one SSRC from one transport address to another."""

    ssrc: int
    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    side: Side | None
    """Which party sent it; None for unsignalled media."""
    payload_types: tuple[int, ...] = ()
    codec: str | None = None
    """Encoding name of the stream's main payload type, e.g. "PCMU/8000"."""
    packets: int = 0
    bytes: int = 0
    """RTP payload bytes (headers excluded)."""
    first_at: float = 0.0
    last_at: float = 0.0
    rtcp_packets: int = 0
    expected: int | None = None
    """RTP packets expected from the sequence numbers (RFC 3550 A.3)."""
    lost: int | None = None
    loss_bursts: int | None = None
    """Runs of consecutive lost packets."""
    duplicates: int | None = None
    out_of_order: int | None = None
    jitter_mean_ms: float | None = None
    """RFC 3550 A.8 interarrival jitter, mean over the stream's packets."""
    jitter_max_ms: float | None = None
    max_delta_ms: float | None = None
    """Longest gap between two consecutive packets."""
    mos: float | None = None
    """Estimated MOS (ITU-T G.107 E-model) from codec, loss and jitter."""
    not_decodable: str | None = None
    """Why the stream's audio is not in the recording ("encrypted (ZRTP)", "unsupported codec …")."""


@dataclass(slots=True)
class Recording:
    """The call's audio as one stereo file: caller left, callee right."""

    path: str
    """Where the vault keeps it, relative to the vault's root."""
    format: str
    """"wav", "flac" or "opus"."""
    encoding: str
    """"ulaw", "alaw" (G.711 as sent) or "pcm16"."""
    sample_rate: int
    started_at: float
    """Capture time of the recording's first sample (its first media packet)."""
    duration_ms: int
    size: int
    sha256: str


@dataclass(slots=True)
class CallEvent:
    """Something that happened at a moment of a call (DTMF digit, hold, resume, transfer…)."""

    kind: str
    """"dtmf", "hold", "resume", "transfer", "reinvite"."""
    at: float
    party: Side | None = None
    value: str | None = None
    """The digit for dtmf, the target for transfer, the direction attribute for hold."""
    detail: str | None = None
    """Where it came from: "rfc4733", "sip-info", "sendonly", "inactive"…"""


@dataclass(slots=True)
class Call:
    """One call: a SIP dialog set (one Call-ID) or a conversation of unsignalled RTP."""

    uid: str
    """Stable identity: ingesting the same capture again gives the same uid."""
    sip_call_id: str | None
    started_at: float
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    status: CallStatus = CallStatus.FAILED
    sip_code: int | None = None
    """Final response code to the INVITE (200, 486, 487…); None when none was seen."""
    reason: str | None = None
    """The Reason header of the BYE/CANCEL/final response, e.g. 'Q.850;cause=16;text="Normal"'."""
    hangup_by: Side | None = None
    end_cause: str | None = None
    """How the end was detected: "bye", "cancel", "final-response", "timeout", "capture-end"."""
    caller: Party = field(default_factory=Party)
    callee: Party = field(default_factory=Party)
    direction: Direction = Direction.UNKNOWN
    transport: str | None = None
    """SIP transport of the INVITE: "udp", "tcp", "ws", "tls"."""
    codecs: tuple[str, ...] = ()
    """Negotiated codecs in the answer's order, e.g. ("PCMU/8000", "telephone-event/8000")."""
    streams: list[MediaStream] = field(default_factory=list)
    events: list[CallEvent] = field(default_factory=list)
    source: str | None = None
    """Where the call was captured from (capture file name)."""
    recording: Recording | None = None
    audio_issue: str | None = None
    """What is wrong with the call's audio: "no audio", "one-sided: the callee's audio is
    missing", "not decodable: encrypted (ZRTP)"…; None when both sides were recorded."""
    comment: str | None = None
    """A person's note on the call (annotations survive re-ingesting the call)."""
    outcome: str | None = None
    """How the call ended for the business: "resolved", "transferred", "sale"…"""
    tags: tuple[str, ...] = ()
    wrap_up_ms: int | None = None
    """After-call work of the agent, where the telephony reports it (annotation)."""
    csat: int | None = None
    """Customer satisfaction score given to the call, where scored (annotation)."""
    agent_id: int | None = None
    """The directory's verdict (``journal.directory``): the agent who handled the call…"""
    team_id: int | None = None
    """…the agent's team, or the queue's…"""
    queue_id: int | None = None
    """…the queue the call went through…"""
    tracked_number_id: int | None = None
    """…the tracked number the customer dialled…"""
    channel: str | None = None
    """…and that number's marketing channel…"""
    campaign: str | None = None
    """…and campaign."""
    id: int | None = None
    """Journal row id, once stored."""

    @property
    def ring_ms(self) -> int | None:
        """INVITE to answer, or to the end for an unanswered call."""
        until = self.answered_at if self.answered_at is not None else self.ended_at
        if until is None:
            return None
        return round((until - self.started_at) * 1000)

    @property
    def talk_ms(self) -> int:
        """Answer to end; 0 when never answered."""
        if self.answered_at is None or self.ended_at is None:
            return 0
        return round((self.ended_at - self.answered_at) * 1000)

    @property
    def duration_ms(self) -> int | None:
        """INVITE to end."""
        if self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at) * 1000)

    @property
    def hold_ms(self) -> int:
        """Time on hold: from each "hold" event to the next "resume" (or the end)."""
        if "hold" not in map(_KIND, self.events):
            return 0  # most calls (read for every save): nothing to sort
        total = 0.0
        held_since: float | None = None
        for event in sorted(self.events, key=_AT):
            if event.kind == "hold" and held_since is None:
                held_since = event.at
            elif event.kind == "resume" and held_since is not None:
                total += event.at - held_since
                held_since = None
        if held_since is not None and self.ended_at is not None:
            total += max(0.0, self.ended_at - held_since)
        return round(total * 1000)

    @property
    def transferred(self) -> bool:
        return "transfer" in map(_KIND, self.events)

    def offset_ms(self, at: float) -> int:
        """Milliseconds from the call's start to ``at``."""
        return round((at - self.started_at) * 1000)


_KIND = attrgetter("kind")
_AT = attrgetter("at")
"""A ``CallEvent``'s kind and moment, read in C by ``map`` and ``sorted``."""
