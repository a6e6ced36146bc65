"""The participants and streams of recording sessions in the journal (tables of
journal/schema_siprec.py): written when a session starts and whenever its metadata or
streams change, read by the API beside the call."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from callvault.journal.schema_siprec import siprec_participants, siprec_streams
from callvault.siprec.handler import Session


def stream_state(paused: bool, port: int) -> str:
    return "removed" if not port else "paused" if paused else "recording"


Rows = tuple[str, list[dict[str, Any]], list[dict[str, Any]]]
"""(call uid, participant rows, stream rows) of one session."""


def session_rows(session: Session, now: float) -> Rows | None:
    """What the session's rows are now (None before its call has a uid)."""
    if not session.uid:
        return None
    meta = session.metadata
    participants = [
        {
            "call_uid": session.uid,
            "sip_call_id": session.call_id,
            "position": i,
            "participant_id": p.participant_id,
            "aor": p.aor,
            "name": p.name,
            "sends": meta.sends(p.participant_id) or None,
            "receives": meta.receives(p.participant_id) or None,
            "updated_at": now,
        }
        for i, p in enumerate(meta.participants)
    ]
    streams = []
    for i, s in enumerate(session.streams):
        stream_id, sender = meta.sender_of(s.label)
        streams.append({
            "call_uid": session.uid,
            "label": s.label or str(i + 1),
            "stream_id": stream_id,
            "sender": sender,
            "state": stream_state(s.paused, s.port),
            "updated_at": now,
        })
    return session.uid, participants, streams


def write(engine: Engine, batch: list[Rows]) -> None:
    """Replace the rows of every session in ``batch`` (one transaction)."""
    with engine.begin() as connection:
        for uid, participants, streams in batch:
            for table, rows in ((siprec_participants, participants), (siprec_streams, streams)):
                connection.execute(table.delete().where(table.c.call_uid == uid))
                if rows:
                    connection.execute(table.insert(), rows)


def participants_of(engine: Engine, call_uid: str) -> dict[str, list[dict[str, Any]]]:
    """{"participants": [...], "streams": [...]} of a recorded call (empty lists when it
    was not a SIPREC session)."""
    p, s = siprec_participants.c, siprec_streams.c
    with engine.connect() as connection:
        people = connection.execute(
            sa.select(p.position, p.participant_id, p.aor, p.name, p.sends, p.receives)
            .where(p.call_uid == call_uid).order_by(p.position)
        ).mappings().all()
        streams = connection.execute(
            sa.select(s.label, s.stream_id, s.sender, s.state)
            .where(s.call_uid == call_uid).order_by(s.label)
        ).mappings().all()
    return {
        "participants": [
            {**dict(row), "sends": (row["sends"] or "").split(),
             "receives": (row["receives"] or "").split()}
            for row in people
        ],
        "streams": [dict(row) for row in streams],
    }
