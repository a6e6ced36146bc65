"""SIPREC: recording sessions' participants and stream associations

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 21:00:00

Tables of callvault.journal.schema_siprec.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('siprec_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_uid', sa.Text(), nullable=False),
    sa.Column('sip_call_id', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Text(), nullable=False),
    sa.Column('aor', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('sends', sa.Text(), nullable=True),
    sa.Column('receives', sa.Text(), nullable=True),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_siprec_participants')),
    sa.UniqueConstraint('call_uid', 'participant_id',
                        name=op.f('uq_siprec_participants_call_uid_participant_id'))
    )
    with op.batch_alter_table('siprec_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_siprec_participants_call_uid'), ['call_uid'],
                              unique=False)

    op.create_table('siprec_streams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_uid', sa.Text(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('stream_id', sa.Text(), nullable=True),
    sa.Column('sender', sa.Text(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('updated_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_siprec_streams')),
    sa.UniqueConstraint('call_uid', 'label', name=op.f('uq_siprec_streams_call_uid_label'))
    )
    with op.batch_alter_table('siprec_streams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_siprec_streams_call_uid'), ['call_uid'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('siprec_streams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_siprec_streams_call_uid'))
    op.drop_table('siprec_streams')
    with op.batch_alter_table('siprec_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_siprec_participants_call_uid'))
    op.drop_table('siprec_participants')
