"""browser sessions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 18:11:30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.Text(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('last_seen_at', Timestamp(), nullable=False),
    sa.Column('expires_at', Timestamp(), nullable=False),
    sa.Column('client', sa.Text(), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessions')),
    sa.UniqueConstraint('digest', name=op.f('uq_sessions_digest'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_user_id'))

    op.drop_table('sessions')
