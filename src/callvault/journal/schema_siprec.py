"""Tables of one feature, registered on the journal's metadata (see schema); change
them only together with a migration in migrations/versions/."""

from __future__ import annotations

import sqlalchemy as sa

from callvault.journal.schema import Timestamp, metadata

siprec_participants = sa.Table(
    "siprec_participants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_uid", sa.Text, nullable=False, index=True),
    sa.Column("sip_call_id", sa.Text),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("participant_id", sa.Text, nullable=False),
    sa.Column("aor", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("sends", sa.Text),
    sa.Column("receives", sa.Text),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("call_uid", "participant_id"),
)
"""The parties of a recorded call as a SIPREC recording client described them (RFC 7865
participant elements), one row each, in document order (``position`` 0 is the caller, 1 the
callee). ``sends``/``receives``: the SDP labels of the streams the party sends and receives
(participantstreamassoc), space-separated. ``call_uid`` is the uid of the call's journal row
(no foreign key: the rows are written while the call runs, before the call's own row)."""

siprec_streams = sa.Table(
    "siprec_streams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_uid", sa.Text, nullable=False, index=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("stream_id", sa.Text),
    sa.Column("sender", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("call_uid", "label"),
)
"""The media streams of a recording session: SDP ``a=label``, the metadata's stream_id and
the participant_id that sends it, and its recording state ("recording", "paused" — the
client's a=inactive or a=record:paused/off — or "removed": port 0 in a re-INVITE)."""
