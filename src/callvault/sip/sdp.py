"""Session descriptions (RFC 4566 SDP, RFC 3264 offer/answer), reduced to what a recorder needs.

Hand-written rather than sdp-transform (measured on this machine kind): on 20,000 mutated
and random bodies sdp-transform never raised, but it also never refused anything: non-SDP text
came back as ``{'media': []}``, an m= line with a bad port as a media dict without "type" or
"port", port 99999999999 as a port, so every caller would re-validate untyped dicts. It was also
3x (104-byte) to 10x (1.7 KB WebRTC offer) slower. Here only ParseError escapes, values are typed
and range-checked, and one odd ``a=`` line is skipped rather than costing a call its media.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from callvault.errors import ParseError
from callvault.sip.grammar import frozen_instance

MAX_SDP_BYTES = 65536
"""Larger bodies are refused (WebRTC offers with many candidates stay under 16 KiB)."""

CACHED_SDP_BYTES = 4096
"""Bodies up to this size have their lines cached (see ``_line``); larger ones are read
line by line."""

MAX_MEDIA = 64
"""At most this many m= sections are read."""

DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})
"""RFC 4566 §6 / RFC 3264 §5.1 direction attributes; sendrecv is the default."""

HOLD_ADDRESSES = frozenset({"0.0.0.0", "::"})
"""RFC 2543 §B.5 put a call on hold with c=0.0.0.0; many devices still do (RFC 3264 §8.4)."""


@dataclass(frozen=True, slots=True)
class RtpMap:
    """An RTP payload format: what a payload type number means (RFC 4566 §6 a=rtpmap)."""

    encoding: str
    """Encoding name as written, e.g. "PCMU", "opus", "telephone-event"."""
    clock_rate: int
    """RTP clock rate in Hz; G.722's is 8000 though it samples at 16 kHz (RFC 3551 §4.5.2)."""
    channels: int = 1
    """Audio channels (the optional third rtpmap field)."""

    def __str__(self) -> str:
        base = f"{self.encoding}/{self.clock_rate}"
        return base if self.channels == 1 else f"{base}/{self.channels}"


STATIC_PAYLOAD_TYPES: dict[int, RtpMap] = {
    0: RtpMap("PCMU", 8000),
    3: RtpMap("GSM", 8000),
    4: RtpMap("G723", 8000),
    5: RtpMap("DVI4", 8000),
    6: RtpMap("DVI4", 16000),
    7: RtpMap("LPC", 8000),
    8: RtpMap("PCMA", 8000),
    9: RtpMap("G722", 8000),
    10: RtpMap("L16", 44100, 2),
    11: RtpMap("L16", 44100),
    12: RtpMap("QCELP", 8000),
    13: RtpMap("CN", 8000),
    14: RtpMap("MPA", 90000),
    15: RtpMap("G728", 8000),
    16: RtpMap("DVI4", 11025),
    17: RtpMap("DVI4", 22050),
    18: RtpMap("G729", 8000),
    25: RtpMap("CelB", 90000),
    26: RtpMap("JPEG", 90000),
    28: RtpMap("nv", 90000),
    31: RtpMap("H261", 90000),
    32: RtpMap("MPV", 90000),
    33: RtpMap("MP2T", 90000),
    34: RtpMap("H263", 90000),
}
"""RFC 3551 §6 tables 4 and 5: payload types with a fixed meaning when no rtpmap is given."""


def static_payload_name(payload_type: int) -> str | None:
    """ "PCMU/8000" for 0 and so on (RFC 3551 §6); None for dynamic or unassigned types."""
    found = STATIC_PAYLOAD_TYPES.get(payload_type)
    return f"{found.encoding}/{found.clock_rate}" if found else None


@dataclass(frozen=True)
class Origin:
    """The o= line: who made the description and its version (RFC 4566 §5.2).

    Not slotted, for the reason MediaDescription is not: a capture's o= lines differ by
    host and session, so most are read anew.
    """

    username: str
    """Originator's login, "-" when none."""
    session_id: str
    """Session id, kept as text (may exceed 64 bits)."""
    session_version: str
    """Version, incremented on each change (RFC 3264 §8)."""
    address: str
    """Originator's address as written."""


@dataclass(frozen=True)
class MediaDescription:
    """One m= section, with session-level defaults already applied (RFC 4566 §5.14).

    Not slotted: parse_sdp fills the instance dict at once (see ``frozen_instance``), where a
    frozen dataclass ``__init__`` sets each of its fields with object.__setattr__.
    """

    kind: str
    """Media type: audio, video, image, application, text, message."""
    port: int
    """Transport port; 0 means the stream is rejected or disabled (RFC 3264 §6)."""
    port_count: int
    """Number of ports (the /2 of "m=video 49170/2 ..."), 1 by default."""
    proto: str
    """Transport protocol: RTP/AVP, RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF, udptl, ..."""
    formats: tuple[int | str, ...]
    """Formats: RTP payload types as ints, anything non-numeric (e.g. "t38") as text."""
    connection: str | None
    """Connection address (media-level c= overriding session-level), without /ttl."""
    direction: str
    """sendrecv, sendonly, recvonly or inactive (media-level overriding session-level)."""
    rtpmap: dict[int, RtpMap] = field(default_factory=dict)
    """Payload type -> format, from a=rtpmap, with RFC 3551 static types filled in."""
    fmtp: dict[int | str, str] = field(default_factory=dict)
    """Format -> a=fmtp parameters as written."""
    rtcp_port: int | None = None
    """RTCP port from a=rtcp (RFC 3605); None means port + 1 (or the RTP port with rtcp_mux)."""
    rtcp_mux: bool = False
    """a=rtcp-mux: RTP and RTCP share one port (RFC 5761)."""
    label: str | None = None
    """a=label (RFC 4574), how SIPREC names the streams of a recording session (RFC 7866)."""
    crypto: bool = False
    """a=crypto present: SDES-keyed SRTP (RFC 4568)."""
    ptime: int | None = None
    """a=ptime packet duration in milliseconds."""
    attributes: tuple[tuple[str, str | None], ...] = ()
    """Every a= line of the section as (name, value), in order."""

    @property
    def is_rtp(self) -> bool:
        """Whether the protocol carries RTP (RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF ...)."""
        return "RTP/" in self.proto.upper()


@dataclass(frozen=True)
class SessionDescription:
    """A parsed SDP body (not slotted, for the reason MediaDescription is not)."""

    origin: Origin | None
    """The o= line; None when missing or malformed."""
    session_name: str
    """The s= line ("-" or "" when unnamed)."""
    connection: str | None
    """Session-level c= address, without /ttl."""
    direction: str
    """Session-level direction, sendrecv by default."""
    media: tuple[MediaDescription, ...]
    """m= sections in order."""
    attributes: tuple[tuple[str, str | None], ...] = ()
    """Session-level a= lines as (name, value)."""


def is_hold(media: MediaDescription) -> bool:
    """Whether the party that sent this SDP is putting the other party on hold.

    RFC 3264 §8.4: the holding side offers sendonly (or inactive, when it also stops
    listening); RFC 2543 devices instead offer c=0.0.0.0 (RFC 3264 §8.4 still accepts it).
    recvonly is not hold: it is the held side's answer, or a recorder's (RFC 7866). A port
    of 0 means the stream is disabled, which is not hold either.
    """
    return media.port != 0 and (
        media.direction in ("sendonly", "inactive") or media.connection in HOLD_ADDRESSES
    )


def parse_sdp(data: bytes) -> SessionDescription:
    """Parses an SDP body; raises ParseError (only) for input that is not SDP.

    Lines may end in CRLF or LF. The first line must be v= (RFC 4566 §5); lines that are
    not ``<letter>=<value>`` and attributes that do not parse are skipped.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParseError("SDP must be bytes")
    if len(data) > MAX_SDP_BYTES:
        raise ParseError("SDP too large")
    lines = bytes(data).decode("utf-8", "replace").split("\n")
    read_line = _line if len(data) <= CACHED_SDP_BYTES else _line.__wrapped__
    # one pass with the section being filled in local variables: this runs for every
    # offer and answer of a capture
    origin: Origin | None = None
    session_name = ""
    connection: str | None = None
    session_attributes: list[tuple[str, str | None]] = []
    attributes = session_attributes
    media: list[_MediaBuilder] = []
    section: _MediaBuilder | None = None
    saw_version = False
    for kind, value in map(read_line, lines):
        if not kind:
            continue
        if kind == "?":
            if not saw_version:
                raise ParseError("SDP does not start with v=")
            continue
        if not saw_version:
            if kind != "v":
                raise ParseError("SDP does not start with v=")
            saw_version = True
        elif kind == "a":
            attributes.append(value)
        elif kind == "m":
            if len(media) >= MAX_MEDIA:
                raise ParseError("too many m= lines")
            section = _MediaBuilder(value)
            media.append(section)
            attributes = section.attributes
        elif kind == "c":
            if section is not None:
                section.connection = value or section.connection
            else:
                connection = value or connection
        elif section is None:
            if kind == "o":
                origin = value or origin
            elif kind == "s":
                session_name = value
    if not saw_version:
        raise ParseError("SDP does not start with v=")
    direction = _direction(session_attributes) or "sendrecv"
    return frozen_instance(
        SessionDescription,
        {
            "origin": origin,
            "session_name": session_name,
            "connection": connection,
            "direction": direction,
            "media": tuple([m.build(connection, direction) for m in media]),
            "attributes": tuple(session_attributes),
        },
    )


@lru_cache(maxsize=2048)
def _line(raw: str) -> tuple[str, Any]:
    """(type letter, what the line says) of one SDP line: "" for a blank line, "?" for one
    that is not ``<letter>=<value>``; an a= line as (name, value), a c= line as its address,
    an o= line as its Origin (None when malformed), any other as its value.

    Cached (for bodies up to CACHED_SDP_BYTES): a capture's offers and answers repeat most
    of their lines (v=, s=, t=, the a= lines), and what is kept is immutable.
    """
    line = raw.rstrip("\r \t")
    if not line:
        return "", None
    kind = line[0]
    if len(line) < 2 or line[1] != "=" or not ("a" <= kind <= "z"):
        return "?", None
    value = line[2:]
    if kind == "a":
        name, colon, rest = value.partition(":")
        return kind, (name.strip(), rest.strip() if colon else None)
    if kind == "c":
        return kind, _connection_address(value)
    if kind == "o":
        parts = value.split()
        if len(parts) != 6:
            return kind, None
        fields = {
            "username": parts[0],
            "session_id": parts[1],
            "session_version": parts[2],
            "address": parts[5],
        }
        return kind, frozen_instance(Origin, fields)
    return kind, value


class _MediaBuilder:
    def __init__(self, value: str) -> None:
        parts = value.split(None, 3)
        if len(parts) < 3:
            raise ParseError("m= line has fewer than three fields")
        port_text, _, count_text = parts[1].partition("/")
        port = _small_int(port_text, 65535)
        count = _small_int(count_text, 65535) if count_text else 1
        if port is None or count is None:
            raise ParseError("m= line has no valid port")
        self.kind = parts[0].lower()
        self.port = port
        self.port_count = count
        self.proto = parts[2]
        self.formats = _formats(parts[3]) if len(parts) > 3 else ()
        self.connection: str | None = None
        self.attributes: list[tuple[str, str | None]] = []

    def build(self, session_connection: str | None, session_direction: str) -> MediaDescription:
        attributes = tuple(self.attributes)
        rtpmap, fmtp, rtcp_port, rtcp_mux, label, crypto, ptime, direction = _section_facts(
            attributes, self.formats
        )
        return frozen_instance(
            MediaDescription,
            {
                "kind": self.kind,
                "port": self.port,
                "port_count": self.port_count,
                "proto": self.proto,
                "formats": self.formats,
                "connection": self.connection or session_connection,
                "direction": direction or session_direction,
                # each description gets its own dicts: the cached ones stay as built
                "rtpmap": dict(rtpmap),
                "fmtp": dict(fmtp),
                "rtcp_port": rtcp_port,
                "rtcp_mux": rtcp_mux,
                "label": label,
                "crypto": crypto,
                "ptime": ptime,
                "attributes": attributes,
            },
        )


SectionFacts = tuple[
    dict[int, RtpMap],
    dict[int | str, str],
    int | None,
    bool,
    str | None,
    bool,
    int | None,
    str | None,
]
"""What a media section's a= lines say: (rtpmap, fmtp, rtcp port, rtcp-mux, label, crypto,
ptime, direction or None)."""


@lru_cache(maxsize=256)
def _section_facts(
    attributes: tuple[tuple[str, str | None], ...], formats: tuple[int | str, ...]
) -> SectionFacts:
    """The facts of a media section's a= lines and formats. Cached: the offers and answers
    of a capture repeat a few sets of a= lines (only ports and addresses differ), and the
    dicts are copied for each description, so nothing shares them."""
    rtpmap: dict[int, RtpMap] = {}
    fmtp: dict[int | str, str] = {}
    rtcp_port: int | None = None
    label: str | None = None
    ptime: int | None = None
    crypto = rtcp_mux = False
    for name, value in attributes:
        lowered = name.lower()
        if lowered == "rtpmap" and value:
            _add_rtpmap(rtpmap, value)
        elif lowered == "fmtp" and value:
            fmt, _, params = value.partition(" ")
            fmtp[_format(fmt)] = params.strip()
        elif lowered == "rtcp" and value:
            rtcp_port = _small_int(value.split()[0], 65535) or rtcp_port
        elif lowered == "rtcp-mux":
            rtcp_mux = True
        elif lowered == "label":
            label = value
        elif lowered == "crypto":
            crypto = True
        elif lowered == "ptime" and value:
            ptime = _ptime(value) or ptime
    for pt in formats:
        if isinstance(pt, int) and pt not in rtpmap and pt in STATIC_PAYLOAD_TYPES:
            rtpmap[pt] = STATIC_PAYLOAD_TYPES[pt]
    return rtpmap, fmtp, rtcp_port, rtcp_mux, label, crypto, ptime, _direction(attributes)


@lru_cache(maxsize=256)
def _formats(text: str) -> tuple[int | str, ...]:
    """The formats of an m= line (what follows its protocol). Cached: a capture's m= lines
    differ in their ports, and offer a few lists of formats over and over."""
    return tuple([_format(f) for f in text.split()])


def _format(text: str) -> int | str:
    """An RTP payload type (0-127) as int; any other format (e.g. "t38") as written."""
    if text.isascii() and text.isdigit() and len(text) <= 3 and int(text) <= 127:
        return int(text)
    return text


def _direction(attributes: Iterable[tuple[str, str | None]]) -> str | None:
    found = None
    for name, value in attributes:
        if value is None and name.lower() in DIRECTIONS:
            found = name.lower()
    return found


def _connection_address(value: str) -> str | None:
    """``IN IP4 192.0.2.1/127/3`` -> "192.0.2.1" (RFC 4566 §5.7); None when malformed."""
    parts = value.split()
    if len(parts) != 3:
        return None
    return parts[2].split("/")[0] or None


def _add_rtpmap(rtpmap: dict[int, RtpMap], value: str) -> None:
    """``96 opus/48000/2`` (RFC 4566 §6); malformed lines are skipped."""
    entry = _rtpmap_entry(value)
    if entry is not None:
        rtpmap[entry[0]] = entry[1]


@lru_cache(maxsize=1024)
def _rtpmap_entry(value: str) -> tuple[int, RtpMap] | None:
    """(payload type, format) of an a=rtpmap value; None when malformed. Cached: a capture's
    offers and answers repeat the same few rtpmap lines, and an RtpMap is immutable."""
    pt_text, _, encoding = value.partition(" ")
    pt = _small_int(pt_text, 127)
    parts = encoding.strip().split("/")
    if pt is None or len(parts) < 2 or not parts[0]:
        return None
    rate = _small_int(parts[1], 10_000_000)
    channels = _small_int(parts[2], 255) if len(parts) > 2 else 1
    if rate is None or not channels:
        return None
    return pt, RtpMap(parts[0], rate, channels)


def _ptime(value: str) -> int | None:
    text = value.strip()
    head = text.split(".")[0]
    return _small_int(head, 10_000) if head else None


def _small_int(text: str, maximum: int) -> int | None:
    text = text.strip()
    if not text or len(text) > 10 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= maximum else None
