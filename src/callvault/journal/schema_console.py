"""Tables of one feature, registered on the journal's metadata (see schema); change
them only together with a migration in migrations/versions/.

The console's per-user state: saved searches (a name and the filters of ``GET /api/calls``)
and preferences (the journal's columns). Kept on the server so they follow the user from
browser to browser; removed with the user.
"""

from __future__ import annotations

import sqlalchemy as sa

from callvault.journal.schema import Timestamp, metadata

saved_searches = sa.Table(
    "saved_searches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    # the filters: a JSON object of GET /api/calls query parameters
    sa.Column("filters", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("user_id", "name"),
)
"""A user's saved searches; a name once per user."""

user_preferences = sa.Table(
    "user_preferences",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              primary_key=True),
    # a JSON object (console_prefs.Preferences)
    sa.Column("preferences", sa.Text, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)
"""One row per user who changed a preference."""
