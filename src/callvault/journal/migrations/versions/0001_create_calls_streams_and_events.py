"""create calls, streams and events

Revision ID: 0001
Revises:
Create Date: 2026-11-22 15:40:46.976985
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _party(side: str) -> list[sa.Column]:
    return [
        sa.Column(f"{side}_number", sa.Text(), nullable=True),
        sa.Column(f"{side}_display_name", sa.Text(), nullable=True),
        sa.Column(f"{side}_uri", sa.Text(), nullable=True),
        sa.Column(f"{side}_e164", sa.Text(), nullable=True),
        sa.Column(f"{side}_ip", sa.Text(), nullable=True),
        sa.Column(f"{side}_user_agent", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("sip_call_id", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ringing_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("sip_code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("hangup_by", sa.Text(), nullable=True),
        sa.Column("end_cause", sa.Text(), nullable=True),
        *_party("caller"),
        *_party("callee"),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("transport", sa.Text(), nullable=True),
        sa.Column("codecs", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("ring_ms", sa.Integer(), nullable=True),
        sa.Column("talk_ms", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("stream_count", sa.Integer(), nullable=False),
        sa.Column("packet_count", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("uid", name=op.f("uq_calls_uid")),
    )
    for column in (
        "started_at",
        "sip_call_id",
        "status",
        "direction",
        "caller_number",
        "caller_e164",
        "callee_number",
        "callee_e164",
    ):
        op.create_index(op.f(f"ix_calls_{column}"), "calls", [column], unique=False)

    op.create_table(
        "streams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ssrc", sa.BigInteger(), nullable=False),
        sa.Column("src_ip", sa.Text(), nullable=False),
        sa.Column("src_port", sa.Integer(), nullable=False),
        sa.Column("dst_ip", sa.Text(), nullable=False),
        sa.Column("dst_port", sa.Integer(), nullable=False),
        sa.Column("side", sa.Text(), nullable=True),
        sa.Column("payload_types", sa.Text(), nullable=False),
        sa.Column("codec", sa.Text(), nullable=True),
        sa.Column("packets", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rtcp_packets", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_streams_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_streams")),
    )
    op.create_index(op.f("ix_streams_call_id_seq"), "streams", ["call_id", "seq"], unique=True)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offset_ms", sa.Integer(), nullable=False),
        sa.Column("party", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_events_call_id_calls"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_call_id_seq"), "events", ["call_id", "seq"], unique=True)


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("streams")
    op.drop_table("calls")
