"""recordings on calls, quality on streams

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CALL_COLUMNS = [
    sa.Column("recording_path", sa.Text(), nullable=True),
    sa.Column("recording_format", sa.Text(), nullable=True),
    sa.Column("recording_encoding", sa.Text(), nullable=True),
    sa.Column("recording_rate", sa.Integer(), nullable=True),
    sa.Column("recording_started_at", Timestamp(), nullable=True),
    sa.Column("recording_duration_ms", sa.Integer(), nullable=True),
    sa.Column("recording_size", sa.BigInteger(), nullable=True),
    sa.Column("recording_sha256", sa.Text(), nullable=True),
    sa.Column("audio_issue", sa.Text(), nullable=True),
]
STREAM_COLUMNS = [
    sa.Column("expected", sa.BigInteger(), nullable=True),
    sa.Column("lost", sa.BigInteger(), nullable=True),
    sa.Column("loss_bursts", sa.Integer(), nullable=True),
    sa.Column("duplicates", sa.Integer(), nullable=True),
    sa.Column("out_of_order", sa.Integer(), nullable=True),
    sa.Column("jitter_mean_ms", sa.Float(), nullable=True),
    sa.Column("jitter_max_ms", sa.Float(), nullable=True),
    sa.Column("max_delta_ms", sa.Float(), nullable=True),
    sa.Column("mos", sa.Float(), nullable=True),
    sa.Column("not_decodable", sa.Text(), nullable=True),
]


def upgrade() -> None:
    for column in CALL_COLUMNS:
        op.add_column("calls", column)
    for column in STREAM_COLUMNS:
        op.add_column("streams", column)


def downgrade() -> None:
    with op.batch_alter_table("streams") as batch:
        for column in STREAM_COLUMNS:
            batch.drop_column(column.name)
    with op.batch_alter_table("calls") as batch:
        for column in CALL_COLUMNS:
            batch.drop_column(column.name)
