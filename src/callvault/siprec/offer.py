"""A recording client's offer (RFC 7866 §8.1: one m-line per stream, a=label each, and
RFC 7865 metadata beside the SDP in a multipart/mixed body) read and answered.

Every way an offer can be unusable ends as an ``OfferError`` carrying the status code and
the Reason text the client gets; nothing here raises anything else for network input.
"""

from __future__ import annotations

from dataclasses import dataclass

from callvault.errors import ParseError
from callvault.sip import sdp as sdp_module
from callvault.sip.message import SipRequest
from callvault.sip.siprec import METADATA_TYPE, RecordingMetadata, parse_metadata

MAX_STREAMS = 16
"""More m-lines than this in one recording session is not a call being recorded."""
ACCEPTED_BODIES = "application/sdp, application/rs-metadata+xml, multipart/mixed"
RECORD_PAUSED = ("paused", "off")
"""RFC 7866 §7.1.1 a=record values that mean the media is not to be kept."""


class OfferError(Exception):
    """An offer callvault answers with a failure: ``status`` and the one-line ``reason``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OfferedStream:
    """One m-line of the offer."""

    index: int
    label: str | None
    port: int
    formats: tuple[int | str, ...]
    rtpmap: tuple[str, ...]
    """The a=rtpmap values, echoed in the answer."""
    direction: str
    record: str | None
    """The a=record value (on/off/paused) when the client sent one."""
    kind: str
    proto: str

    @property
    def removed(self) -> bool:
        return self.port == 0

    @property
    def paused(self) -> bool:
        """The client sends no media to keep: a=inactive/recvonly or a=record:off/paused."""
        return self.direction in ("inactive", "recvonly") or (self.record or "") in RECORD_PAUSED


@dataclass(frozen=True, slots=True)
class Offer:
    streams: tuple[OfferedStream, ...]
    metadata: RecordingMetadata | None
    metadata_xml: bytes | None


def read_offer(request: SipRequest, need_sdp: bool = True) -> Offer | None:
    """The offer of an INVITE or UPDATE; None when the request carries no SDP and
    ``need_sdp`` is false (a metadata-only UPDATE, say). Raises OfferError."""
    try:
        sdp_body = request.find_body("application/sdp")
        xml = request.find_body(METADATA_TYPE)
    except ParseError as exc:
        raise OfferError(400, f"malformed multipart body: {exc}") from None
    if request.body and sdp_body is None and xml is None:
        raise OfferError(415, f"unsupported body {request.media_type or '(no Content-Type)'}: "
                         f"send {ACCEPTED_BODIES}")
    metadata = None
    if xml is not None:
        try:
            metadata = parse_metadata(xml)
        except ParseError as exc:
            raise OfferError(400, f"malformed recording metadata: {exc}") from None
    if sdp_body is None:
        if need_sdp:
            raise OfferError(488, "the INVITE carries no SDP offer (late offer is not supported)")
        return Offer((), metadata, xml)
    try:
        session = sdp_module.parse_sdp(sdp_body)
    except ParseError as exc:
        raise OfferError(400, f"malformed SDP: {exc}") from None
    if not session.media:
        raise OfferError(488, "the SDP offer has no m-line")
    if len(session.media) > MAX_STREAMS:
        raise OfferError(488, f"more than {MAX_STREAMS} streams in one recording session")
    streams = []
    for i, m in enumerate(session.media):
        record = None
        for name, value in (*session.attributes, *m.attributes):
            if name.lower() == "record" and value:
                record = value.strip().lower()
        if m.port and m.kind == "audio" and m.proto.upper() != "RTP/AVP":
            raise OfferError(488, f"stream {m.label or i + 1}: {m.proto} cannot be recorded; "
                             "offer RTP/AVP (unencrypted) media to the recording server")
        rtpmap = tuple(v for n, v in m.attributes if n.lower() == "rtpmap" and v)
        streams.append(OfferedStream(i, m.label, m.port, m.formats, rtpmap, m.direction,
                                     record, m.kind, m.proto))
    if not any(s.kind == "audio" and not s.removed for s in streams):
        raise OfferError(488, "the offer has no audio stream to record")
    return Offer(tuple(streams), metadata, xml)


def answer_sdp(
    address: str, session_id: int, version: int, streams: list[tuple[OfferedStream, int]]
) -> bytes:
    """The SDP answer: each offered stream received (a=recvonly) on its allocated port, its
    label echoed; a removed or non-audio stream gets port 0 (RFC 3264 §6)."""
    family = "IP6" if ":" in address else "IP4"
    lines = [
        "v=0",
        f"o=callvault {session_id} {version} IN {family} {address}",
        "s=callvault recording",
        f"c=IN {family} {address}",
        "t=0 0",
    ]
    for stream, port in streams:
        formats = " ".join(str(f) for f in stream.formats) or "0"
        if port == 0:
            lines.append(f"m={stream.kind} 0 {stream.proto} {formats}")
            if stream.label:
                lines.append(f"a=label:{stream.label}")
            continue
        lines.append(f"m={stream.kind} {port} {stream.proto} {formats}")
        lines.extend(f"a=rtpmap:{v}" for v in stream.rtpmap)
        if stream.label:
            lines.append(f"a=label:{stream.label}")
        lines.append("a=inactive" if stream.direction in ("inactive", "recvonly") else "a=recvonly")
    return ("\r\n".join(lines) + "\r\n").encode()
