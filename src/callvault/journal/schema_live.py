"""Tables of one feature, registered on the journal's metadata (see schema); change
them only together with a migration in migrations/versions/."""

from __future__ import annotations

import sqlalchemy as sa

from callvault.journal.schema import Timestamp, metadata

live_calls = sa.Table(
    "live_calls",
    metadata,
    sa.Column("call_id", sa.Text, primary_key=True),
    sa.Column("recorder", sa.Text, nullable=False, index=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("sip_call_id", sa.Text),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("answered_at", Timestamp),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("caller_number", sa.Text),
    sa.Column("caller_display_name", sa.Text),
    sa.Column("callee_number", sa.Text),
    sa.Column("callee_display_name", sa.Text),
    sa.Column("direction", sa.Text),
    sa.Column("extension", sa.Text),
    sa.Column("agent_id", sa.Integer),
    sa.Column("team_id", sa.Integer),
    sa.Column("recording", sa.Text, nullable=False),
    sa.Column("requested", sa.Text),
    sa.Column("requested_by", sa.Text),
    sa.Column("requested_at", Timestamp),
    sa.Column("recording_path", sa.Text),
    sa.Column("revision", sa.Integer, nullable=False),
)
"""The calls in progress, one row each, shared by every process on the journal (recorders
write them, the API and the console read them). ``call_id`` is the uid the call's journal
row will have. ``updated_at`` is the recorder's heartbeat: rows it stopped refreshing were
left by a recorder that died. ``recording`` is the recording state; ``requested`` a control
request (start/stop/pause/resume) the recorder has not applied yet. ``revision`` grows with
every change but heartbeats, so a reader polling the board sees which calls changed.
``agent_id`` and ``team_id`` are the directory's, where the recorder knows them (no foreign
keys, like the calls')."""
