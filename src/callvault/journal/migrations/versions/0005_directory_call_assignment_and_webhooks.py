"""directory, call assignment and webhooks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 18:04:13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callvault.journal.schema import Timestamp

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('department', sa.Text(), nullable=True),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('tracked_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('campaign', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_numbers')),
    sa.UniqueConstraint('number', name=op.f('uq_tracked_numbers_number'))
    )
    op.create_table('webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('events', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    sa.UniqueConstraint('name', name=op.f('uq_webhooks_name'))
    )
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('employee_id', sa.Text(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_agents_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agents_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('employee_id', name=op.f('uq_agents_employee_id'))
    )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agents_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agents_user_id'), ['user_id'], unique=False)

    op.create_table('queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('numbers', sa.Text(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_queues_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queues')),
    sa.UniqueConstraint('name', name=op.f('uq_queues_name'))
    )
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queues_team_id'), ['team_id'], unique=False)

    op.create_table('team_supervisors',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_supervisors_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_supervisors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_supervisors'))
    )
    with op.batch_alter_table('team_supervisors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_supervisors_user_id'), ['user_id'], unique=False)

    op.create_table('tracked_number_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracked_number_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('cost', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['tracked_number_id'], ['tracked_numbers.id'], name=op.f('fk_tracked_number_costs_tracked_number_id_tracked_numbers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracked_number_costs'))
    )
    with op.batch_alter_table('tracked_number_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracked_number_costs_tracked_number_id_period_start'), ['tracked_number_id', 'period_start'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.Text(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', Timestamp(), nullable=True),
    sa.Column('last_attempt_at', Timestamp(), nullable=True),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', Timestamp(), nullable=False),
    sa.Column('delivered_at', Timestamp(), nullable=True),
    sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'], name=op.f('fk_webhook_deliveries_webhook_id_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_status_next_attempt_at'), ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_webhook_id'), ['webhook_id'], unique=False)

    op.create_table('agent_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('extension', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_extensions_agent_id_agents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_extensions')),
    sa.UniqueConstraint('extension', name=op.f('uq_agent_extensions_extension'))
    )
    with op.batch_alter_table('agent_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_extensions_agent_id'), ['agent_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transferred', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('wrap_up_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('csat', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('queue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tracked_number_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('campaign', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_calls_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_campaign'), ['campaign'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_queue_id'), ['queue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_tracked_number_id'), ['tracked_number_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_tracked_number_id'))
        batch_op.drop_index(batch_op.f('ix_calls_team_id'))
        batch_op.drop_index(batch_op.f('ix_calls_queue_id'))
        batch_op.drop_index(batch_op.f('ix_calls_channel'))
        batch_op.drop_index(batch_op.f('ix_calls_campaign'))
        batch_op.drop_index(batch_op.f('ix_calls_agent_id'))
        batch_op.drop_column('campaign')
        batch_op.drop_column('channel')
        batch_op.drop_column('tracked_number_id')
        batch_op.drop_column('queue_id')
        batch_op.drop_column('team_id')
        batch_op.drop_column('agent_id')
        batch_op.drop_column('csat')
        batch_op.drop_column('wrap_up_ms')
        batch_op.drop_column('transferred')
        batch_op.drop_column('hold_ms')

    with op.batch_alter_table('agent_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_extensions_agent_id'))

    op.drop_table('agent_extensions')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_webhook_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_status_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_call_id'))

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('tracked_number_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracked_number_costs_tracked_number_id_period_start'))

    op.drop_table('tracked_number_costs')
    with op.batch_alter_table('team_supervisors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_supervisors_user_id'))

    op.drop_table('team_supervisors')
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queues_team_id'))

    op.drop_table('queues')
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agents_user_id'))
        batch_op.drop_index(batch_op.f('ix_agents_team_id'))

    op.drop_table('agents')
    op.drop_table('webhooks')
    op.drop_table('tracked_numbers')
    op.drop_table('teams')

