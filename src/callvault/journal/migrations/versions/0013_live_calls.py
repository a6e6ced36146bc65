"""live calls: the calls in progress and requested recording changes

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 21:00:00

Tables of callvault.journal.schema_live.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('live_calls',
    sa.Column('call_id', sa.Text(), nullable=False),
    sa.Column('recorder', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('sip_call_id', sa.Text(), nullable=True),
    sa.Column('started_at', Timestamp(), nullable=False),
    sa.Column('answered_at', Timestamp(), nullable=True),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.Column('caller_number', sa.Text(), nullable=True),
    sa.Column('caller_display_name', sa.Text(), nullable=True),
    sa.Column('callee_number', sa.Text(), nullable=True),
    sa.Column('callee_display_name', sa.Text(), nullable=True),
    sa.Column('direction', sa.Text(), nullable=True),
    sa.Column('extension', sa.Text(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('recording', sa.Text(), nullable=False),
    sa.Column('requested', sa.Text(), nullable=True),
    sa.Column('requested_by', sa.Text(), nullable=True),
    sa.Column('requested_at', Timestamp(), nullable=True),
    sa.Column('recording_path', sa.Text(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_live_calls'))
    )
    with op.batch_alter_table('live_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_calls_recorder'), ['recorder'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('live_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_calls_recorder'))

    op.drop_table('live_calls')
