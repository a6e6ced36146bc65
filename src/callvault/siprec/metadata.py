"""RFC 7865 metadata as a recording session keeps it: the first snapshot, then the partial
updates a recording client sends in re-INVITE/UPDATE merged into it (§5: an update names
only what changed), and which streams each participant receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from defusedxml import ElementTree

from callvault.sip.siprec import Participant, RecordingMetadata

_NS = "{urn:ietf:params:xml:ns:recording:1}"


@dataclass(slots=True)
class SessionMetadata:
    """Everything the client said about the recorded call so far."""

    participants: list[Participant] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """stream_id → SDP label."""
    senders: dict[str, str] = field(default_factory=dict)
    """stream_id → participant_id sending it."""
    receivers: dict[str, set[str]] = field(default_factory=dict)
    """participant_id → stream_ids it receives."""

    def merge(self, update: RecordingMetadata, xml: bytes) -> None:
        """Fold in a snapshot or partial update (already parsed with ``parse_metadata``)."""
        by_id = {p.participant_id: i for i, p in enumerate(self.participants)}
        for p in update.participants:
            i = by_id.get(p.participant_id)
            if i is None:
                by_id[p.participant_id] = len(self.participants)
                self.participants.append(p)
            else:
                old = self.participants[i]
                self.participants[i] = Participant(p.participant_id, p.aor or old.aor,
                                                   p.name or old.name)
        self.labels.update(update.stream_labels)
        self.senders.update(update.senders)
        for participant_id, streams in _receivers(xml).items():
            self.receivers.setdefault(participant_id, set()).update(streams)

    def labels_of(self, stream_ids: object) -> str:
        return " ".join(sorted(self.labels.get(s, s) for s in stream_ids))  # type: ignore[attr-defined]

    def sends(self, participant_id: str) -> str:
        return self.labels_of(s for s, p in self.senders.items() if p == participant_id)

    def receives(self, participant_id: str) -> str:
        return self.labels_of(self.receivers.get(participant_id, ()))

    def sender_of(self, label: str | None) -> tuple[str | None, str | None]:
        """(stream_id, participant_id) of the stream the SDP ``label`` names."""
        for stream_id, stream_label in self.labels.items():
            if stream_label == label:
                return stream_id, self.senders.get(stream_id)
        return None, None


def _receivers(xml: bytes) -> dict[str, set[str]]:
    """participantstreamassoc/recv of a document parse_metadata already accepted."""
    out: dict[str, set[str]] = {}
    root = ElementTree.fromstring(xml)
    for assoc in root.iter(f"{_NS}participantstreamassoc"):
        for recv in assoc.iter(f"{_NS}recv"):
            if recv.text:
                out.setdefault(assoc.get("participant_id", ""), set()).add(recv.text.strip())
    return out
