"""RFC 7865 recording metadata (application/rs-metadata+xml) of a SIPREC session (RFC 7866).

Network input: parsed with defusedxml (no entity expansion, no external references).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from callvault.errors import ParseError

METADATA_TYPE = "application/rs-metadata+xml"
_NS = "{urn:ietf:params:xml:ns:recording:1}"
MAX_METADATA_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Participant:
    """A party of the recorded call (RFC 7865 §6.4)."""

    participant_id: str
    aor: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class RecordingMetadata:
    participants: tuple[Participant, ...]
    """In document order: the communication session's parties."""
    stream_labels: dict[str, str] = field(default_factory=dict)
    """stream_id → SDP a=label of the media stream (RFC 7865 §6.6)."""
    senders: dict[str, str] = field(default_factory=dict)
    """stream_id → participant_id that sends it (participantstreamassoc/send, §6.8)."""

    def sender_index(self, label: str) -> int | None:
        """Position in ``participants`` of the party whose media the labelled stream carries."""
        for stream_id, stream_label in self.stream_labels.items():
            if stream_label == label:
                sender = self.senders.get(stream_id)
                for i, participant in enumerate(self.participants):
                    if participant.participant_id == sender:
                        return i
        return None


def parse_metadata(data: bytes) -> RecordingMetadata:
    """Parse RFC 7865 metadata; raises ParseError for anything that is not that."""
    if len(data) > MAX_METADATA_BYTES:
        raise ParseError("recording metadata larger than 256 KiB")
    # Imported here: every capture's correlator imports this module, few captures carry
    # SIPREC metadata (defusedxml and its ElementTree cost ≈ 5 ms at start-up).
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise ParseError("recording metadata is not well-formed XML") from exc
    if root.tag != f"{_NS}recording":
        raise ParseError("recording metadata without a <recording> root")
    participants = []
    for p in root.iter(f"{_NS}participant"):
        name_id = p.find(f"{_NS}nameID")
        name = name_id.find(f"{_NS}name") if name_id is not None else None
        participants.append(Participant(
            participant_id=p.get("participant_id", ""),
            aor=name_id.get("aor") if name_id is not None else None,
            name=(name.text or "").strip() or None if name is not None else None,
        ))
    labels = {}
    for s in root.iter(f"{_NS}stream"):
        label = s.find(f"{_NS}label")
        if label is not None and label.text:
            labels[s.get("stream_id", "")] = label.text.strip()
    senders = {}
    for assoc in root.iter(f"{_NS}participantstreamassoc"):
        for send in assoc.iter(f"{_NS}send"):
            if send.text:
                senders[send.text.strip()] = assoc.get("participant_id", "")
    return RecordingMetadata(tuple(participants), labels, senders)
