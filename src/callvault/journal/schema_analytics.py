"""Tables of one feature, registered on the journal's metadata (see schema); change
them only together with a migration in migrations/versions/.

Analytics: what tracked numbers cost, and the KPI rollups derived from the calls.
"""

from __future__ import annotations

import sqlalchemy as sa

from callvault.journal.schema import KPI_MEASURES, metadata

tracked_number_costs = sa.Table(
    "tracked_number_costs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "tracked_number_id",
        sa.Integer,
        sa.ForeignKey("tracked_numbers.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("cost", sa.Numeric(14, 2), nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Index(None, "tracked_number_id", "period_start"),
)
"""What a tracked number cost over a period (both dates inclusive)."""

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
