"""Tables of one feature, registered on the journal's metadata (see schema); change
them only together with a migration in migrations/versions/."""

from __future__ import annotations

import sqlalchemy as sa

from callvault.journal.schema import Timestamp, metadata

consent_checks = sa.Table(
    "consent_checks",
    metadata,
    sa.Column(
        "call_id",
        sa.Integer,
        sa.ForeignKey("calls.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("heard", sa.Boolean, nullable=False),
    sa.Column("required", sa.Boolean, nullable=False),
    sa.Column("channel", sa.Text),
    sa.Column("offset_ms", sa.Integer),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("checked_at", Timestamp, nullable=False),
)
"""The consent notice check of each call with a recording (``recording.consent``):
whether the announcement was heard, on which channel ("caller"/"callee") and how far into
the recording, with what score, and whether the policy required it (required and not
heard: the call is flagged, filter ``consent=missing``)."""
