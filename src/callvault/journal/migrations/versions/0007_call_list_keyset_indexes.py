"""call list keyset indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 18:20:00

The call list reads calls in (started_at, id) order and pages with a keyset on it; each
single-column index on a filter column becomes (column, started_at, id), so a filtered
page is one index range, never a sort of every matching call.
"""

from __future__ import annotations

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_REPLACED = (
    'started_at', 'status', 'direction', 'agent_id', 'team_id', 'queue_id',
    'tracked_number_id', 'channel', 'campaign',
)


def _columns(leading: str) -> list[str]:
    return ['started_at', 'id'] if leading == 'started_at' else [leading, 'started_at', 'id']


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        for leading in _REPLACED:
            batch_op.drop_index(f'ix_calls_{leading}')
            columns = _columns(leading)
            batch_op.create_index(f"ix_calls_{'_'.join(columns)}", columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        for leading in reversed(_REPLACED):
            columns = _columns(leading)
            batch_op.drop_index(f"ix_calls_{'_'.join(columns)}")
            batch_op.create_index(f'ix_calls_{leading}', [leading], unique=False)
