"""Tables of one feature, registered on the journal's metadata (see schema); change
them only together with a migration in migrations/versions/.

Accounts: users, their API tokens and browser sessions, and the teams they supervise.
"""

from __future__ import annotations

import sqlalchemy as sa

from callvault.journal.schema import Timestamp, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("display_name", sa.Text),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("extensions", sa.Text, nullable=False),
    sa.Column("team", sa.Text),
    sa.Column("password_hash", sa.Text),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)
"""One row per account. ``extensions`` are the agent's numbers joined by spaces;
``password_hash`` is a self-describing scrypt string (None: no password, tokens only)."""

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("digest", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_used_at", Timestamp),
    sa.Column("revoked", sa.Boolean, nullable=False),
)
"""API tokens of the accounts: only the SHA-256 of a token is kept (hex in ``digest``)."""

team_supervisors = sa.Table(
    "team_supervisors",
    metadata,
    sa.Column(
        "team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
"""Which accounts supervise which teams (a supervisor sees their teams' calls)."""

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("digest", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("client", sa.Text),
    sa.Column("revoked", sa.Boolean, nullable=False),
)
"""Browser sessions: only the SHA-256 of the session cookie is kept (hex in ``digest``);
a session ends at ``expires_at``, after an idle spell, at logout or when revoked."""
