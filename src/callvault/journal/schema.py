"""The journal's tables (SQLAlchemy Core), portable to SQLite and PostgreSQL.

This is the schema the newest migration produces; a test proves that Alembic's
autogenerate finds no difference between the two. Change it only together with a
new migration in ``migrations/versions/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Timestamp(sa.types.TypeDecorator[float]):
    """A moment as float epoch seconds in Python, a UTC timestamp with microseconds in the
    database (TIMESTAMP WITH TIME ZONE on PostgreSQL, ISO text in UTC on SQLite)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            moment = value.astimezone(UTC)
        else:
            moment = datetime.fromtimestamp(value, UTC)
        # SQLite has no zone type: the text is UTC by convention, and must be for ordering.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> float | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return float(value.timestamp())


def _party_columns(side: str) -> list[sa.Column[Any]]:
    return [
        sa.Column(f"{side}_number", sa.Text),
        sa.Column(f"{side}_display_name", sa.Text),
        sa.Column(f"{side}_uri", sa.Text),
        sa.Column(f"{side}_e164", sa.Text),
        sa.Column(f"{side}_ip", sa.Text),
        sa.Column(f"{side}_user_agent", sa.Text),
    ]


calls = sa.Table(
    "calls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.Text, nullable=False, unique=True),
    sa.Column("sip_call_id", sa.Text, index=True),
    sa.Column("started_at", Timestamp, nullable=False),
    sa.Column("ringing_at", Timestamp),
    sa.Column("answered_at", Timestamp),
    sa.Column("ended_at", Timestamp),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("sip_code", sa.Integer),
    sa.Column("reason", sa.Text),
    sa.Column("hangup_by", sa.Text),
    sa.Column("end_cause", sa.Text),
    *_party_columns("caller"),
    *_party_columns("callee"),
    sa.Column("direction", sa.Text, nullable=False),
    sa.Column("transport", sa.Text),
    sa.Column("codecs", sa.Text, nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("ring_ms", sa.Integer),
    sa.Column("talk_ms", sa.Integer, nullable=False),
    sa.Column("duration_ms", sa.Integer),
    sa.Column("stream_count", sa.Integer, nullable=False),
    sa.Column("packet_count", sa.BigInteger, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("recording_path", sa.Text),
    sa.Column("recording_format", sa.Text),
    sa.Column("recording_encoding", sa.Text),
    sa.Column("recording_rate", sa.Integer),
    sa.Column("recording_started_at", Timestamp),
    sa.Column("recording_duration_ms", sa.Integer),
    sa.Column("recording_size", sa.BigInteger),
    sa.Column("recording_sha256", sa.Text),
    sa.Column("audio_issue", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("tags", sa.Text),
    sa.Column("hold_ms", sa.Integer),
    sa.Column("transferred", sa.Boolean),
    sa.Column("wrap_up_ms", sa.Integer),
    sa.Column("csat", sa.Integer),
    sa.Column("agent_id", sa.Integer),
    sa.Column("team_id", sa.Integer),
    sa.Column("queue_id", sa.Integer),
    sa.Column("tracked_number_id", sa.Integer),
    sa.Column("channel", sa.Text),
    sa.Column("campaign", sa.Text),
)
"""One row per call. ``codecs`` is the negotiated list joined by spaces; ``tags`` a JSON
array (None: no tags). ``comment``, ``outcome``, ``tags``, ``wrap_up_ms`` and ``csat`` are
annotations: saving the call again leaves them alone. ``hold_ms`` (time on hold) and
``transferred`` are derived from the call's events. ``agent_id`` … ``campaign`` are the
directory's verdict on the call (``journal.directory``): no foreign keys, the journal
outlives directory edits."""

# The call list's keyset order is (started_at, id); every equality filter a list is
# commonly narrowed by leads an index that continues in that order, so "this agent's
# calls, newest first" reads one index range instead of sorting (journal.filters).
for _leading in (
    (), ("status",), ("direction",), ("agent_id",), ("team_id",), ("queue_id",),
    ("tracked_number_id",), ("channel",), ("campaign",), ("channel", "campaign"),
):
    sa.Index(f"ix_calls_{'_'.join((*_leading, 'started_at', 'id'))}",
             *(calls.c[name] for name in (*_leading, "started_at", "id")))
del _leading
# A whole number is looked up in all four number columns (journal.filters: party, caller,
# callee, client history); each lookup continues in list order, so one narrowed by time
# reads only that time of the number's calls (an extension's week, not its year).
for _column in ("caller_number", "caller_e164", "callee_number", "callee_e164"):
    sa.Index(f"ix_calls_{_column}_started_at_id", calls.c[_column], calls.c.started_at, calls.c.id)
del _column
# A channel and a campaign together mostly name one tracked number: the planner, reading
# each column's statistics alone, expects far fewer such calls than there are, and would
# intersect the two single-column indexes in full (1.3 s on 10 M calls).
# Comment text is a substring search (no index serves it); the few calls that have a
# comment, in list order, bound what it scans to those.
_commented_index = sa.Index("ix_calls_commented_started_at_id", calls.c.started_at, calls.c.id,
                            sqlite_where=calls.c.comment.is_not(None))


def declare_postgresql_options() -> None:
    """Give the partial index of commented calls its PostgreSQL spelling as well.

    Declared up front, a ``postgresql_*`` option makes SQLAlchemy load its whole PostgreSQL
    dialect to check the name (≈ 30 ms on every import of this module, SQLite journals
    included). Only the Alembic environment turns this metadata into DDL, so it adds the
    option when it runs; a repeated call sets the same condition again.
    """
    options = _commented_index.dialect_kwargs
    options["postgresql_where"] = options["sqlite_where"]


streams = sa.Table(
    "streams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("ssrc", sa.BigInteger, nullable=False),
    sa.Column("src_ip", sa.Text, nullable=False),
    sa.Column("src_port", sa.Integer, nullable=False),
    sa.Column("dst_ip", sa.Text, nullable=False),
    sa.Column("dst_port", sa.Integer, nullable=False),
    sa.Column("side", sa.Text),
    sa.Column("payload_types", sa.Text, nullable=False),
    sa.Column("codec", sa.Text),
    sa.Column("packets", sa.BigInteger, nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("first_at", Timestamp, nullable=False),
    sa.Column("last_at", Timestamp, nullable=False),
    sa.Column("rtcp_packets", sa.BigInteger, nullable=False),
    sa.Column("expected", sa.BigInteger),
    sa.Column("lost", sa.BigInteger),
    sa.Column("loss_bursts", sa.Integer),
    sa.Column("duplicates", sa.Integer),
    sa.Column("out_of_order", sa.Integer),
    sa.Column("jitter_mean_ms", sa.Float),
    sa.Column("jitter_max_ms", sa.Float),
    sa.Column("max_delta_ms", sa.Float),
    sa.Column("mos", sa.Float),
    sa.Column("not_decodable", sa.Text),
    sa.Index(None, "call_id", "seq", unique=True),
)
"""One row per RTP stream of a call, in the call's order (``seq``); ``payload_types`` is
the list of RTP payload type numbers joined by spaces."""

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("at", Timestamp, nullable=False),
    sa.Column("offset_ms", sa.Integer, nullable=False),
    sa.Column("party", sa.Text),
    sa.Column("value", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Index(None, "call_id", "seq", unique=True),
)
"""One row per event of a call (DTMF, hold, transfer…), in the call's order (``seq``)."""

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

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", Timestamp, nullable=False, index=True),
    sa.Column("username", sa.Text, nullable=False, index=True),
    sa.Column("action", sa.Text, nullable=False, index=True),
    sa.Column("call_id", sa.Integer, index=True),
    sa.Column("detail", sa.Text),
    sa.Column("client", sa.Text),
)
"""Who did what with which call, when: playback, download, export, annotate. ``call_id`` is
no foreign key: the trail outlives the calls it names."""

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("department", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
)
"""Teams (and the department each belongs to)."""

team_supervisors = sa.Table(
    "team_supervisors",
    metadata,
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)
"""Which accounts supervise which teams (a supervisor sees their teams' calls)."""

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("employee_id", sa.Text, unique=True),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)
"""The people who take and make calls; ``user_id`` links the agent's account, if any."""

agent_extensions = sa.Table(
    "agent_extensions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("extension", sa.Text, nullable=False, unique=True),
)
"""An agent's extensions and numbers, as they appear in the journal; each belongs to one
agent."""

queues = sa.Table(
    "queues",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("numbers", sa.Text, nullable=False),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True),
    sa.Column("created_at", Timestamp, nullable=False),
)
"""Call queues (hunt groups, ring groups); ``numbers`` are the queue's numbers joined by
spaces: a call to one of them is the queue's."""

tracked_numbers = sa.Table(
    "tracked_numbers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.Text, nullable=False, unique=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("campaign", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)
"""Numbers published in marketing: a call to one came through its channel and campaign."""

tracked_number_costs = sa.Table(
    "tracked_number_costs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tracked_number_id", sa.Integer,
              sa.ForeignKey("tracked_numbers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("cost", sa.Numeric(14, 2), nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Index(None, "tracked_number_id", "period_start"),
)
"""What a tracked number cost over a period (both dates inclusive)."""

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("events", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)
"""Where to POST calls: ``events`` are the event names joined by spaces; ``secret`` keys
the HMAC-SHA256 signature of each delivery."""

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("webhook_id", sa.Integer, sa.ForeignKey("webhooks.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("call_id", sa.Integer, index=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", Timestamp),
    sa.Column("last_attempt_at", Timestamp),
    sa.Column("response_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("delivered_at", Timestamp),
    sa.Index(None, "status", "next_attempt_at"),
)
"""The outbox: one row per (webhook, event) with its delivery status ("pending",
"delivered", "failed" once the retries are spent)."""

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("digest", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_seen_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("client", sa.Text),
    sa.Column("revoked", sa.Boolean, nullable=False),
)
"""Browser sessions: only the SHA-256 of the session cookie is kept (hex in ``digest``);
a session ends at ``expires_at``, after an idle spell, at logout or when revoked."""

KPI_WAIT_BOUNDS_S: tuple[int, ...] = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300)
"""The wait-time histogram of ``kpi_rollups``: service level (answered within N s) and short
abandons (gave up within N s) are exact from the rollups for these N."""

KPI_MEASURES: tuple[str, ...] = (
    "calls", "inbound", "inbound_answered", "inbound_abandoned", "outbound",
    "outbound_answered", "handled", "talk_ms", "hold_ms", "wrap_up_ms", "handle_ms",
    "wait_ms", "answer_wait_ms", "wait_max_ms",
    *(f"answered_within_{s}" for s in KPI_WAIT_BOUNDS_S),
    *(f"abandoned_within_{s}" for s in KPI_WAIT_BOUNDS_S),
    "transferred", "with_outcome", "resolved", "deals", "deal_prior_contacts",
    "repeat_base", "repeat_24h", "repeat_7d", "csat_scored", "csat_sum",
    "mos_calls", "mos_milli_sum", "mos_poor", "rtp_expected", "rtp_lost",
)
"""The additive measures of a group of calls (``analytics.measures`` says what each counts);
``wait_max_ms`` merges by maximum, every other by sum."""

kpi_rollups = sa.Table(
    "kpi_rollups",
    metadata,
    sa.Column("grain", sa.Text, primary_key=True),
    sa.Column("dimension", sa.Text, primary_key=True),
    sa.Column("bucket", sa.BigInteger, primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.Column("team_id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.BigInteger, nullable=False) for name in KPI_MEASURES),
)
"""The KPI measures of the calls that started in one bucket (``grain`` "hour": the UTC hour
starting at epoch second ``bucket``; "day": the center's local day starting there), per
value of one dimension ("center", "agent", "queue", "direction", "channel", "campaign",
"tracked_number"; "" for none) and team (0: none). Derived from ``calls`` and ``streams``
by ``analytics.rollups``; rebuildable at any time."""

kpi_rollup_dirty = sa.Table(
    "kpi_rollup_dirty",
    metadata,
    sa.Column("hour", sa.BigInteger, primary_key=True),
)
"""UTC hours (epoch seconds) whose calls changed since their rollups were made; database
triggers on ``calls`` fill it, ``analytics.rollups.refresh`` empties it."""

kpi_rollup_state = sa.Table(
    "kpi_rollup_state",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
"""What the rollups were made with (time zone, outcome sets), so that a query with other
settings knows not to use them."""

# Later features keep their tables beside this module, on the same metadata.
from callvault.journal import (  # noqa: E402, F401
    schema_console,
    schema_live,
    schema_quality,
    schema_recording,
    schema_siprec,
)
