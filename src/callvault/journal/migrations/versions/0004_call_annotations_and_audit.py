"""call annotations and the audit trail

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 17:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tags", sa.Text(), nullable=True))
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", Timestamp(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("client", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    op.create_index(op.f("ix_audit_at"), "audit", ["at"])
    op.create_index(op.f("ix_audit_username"), "audit", ["username"])
    op.create_index(op.f("ix_audit_action"), "audit", ["action"])
    op.create_index(op.f("ix_audit_call_id"), "audit", ["call_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_call_id"), table_name="audit")
    op.drop_index(op.f("ix_audit_action"), table_name="audit")
    op.drop_index(op.f("ix_audit_username"), table_name="audit")
    op.drop_index(op.f("ix_audit_at"), table_name="audit")
    op.drop_table("audit")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("tags")
        batch.drop_column("outcome")
        batch.drop_column("comment")
