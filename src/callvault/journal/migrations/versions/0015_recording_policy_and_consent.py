"""recording policy and consent notice results

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 21:00:00

Tables of callvault.journal.schema_recording.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_checks',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('heard', sa.Boolean(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=True),
    sa.Column('offset_ms', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('checked_at', Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_consent_checks_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_consent_checks'))
    )


def downgrade() -> None:
    op.drop_table('consent_checks')
