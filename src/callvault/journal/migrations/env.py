"""Alembic environment of the journal, run by callvault.journal.migrate (there is no alembic.ini).

Online, the caller hands over its connection in ``config.attributes["connection"]``;
offline (``--sql``), the URL comes from the ``sqlalchemy.url`` option.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from callvault.journal.schema import Timestamp, declare_postgresql_options, metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations spell the journal's Timestamp as the plain type it stores: a migration
    must not change when the Python side of a column type does."""
    if type_ == "type" and isinstance(obj, Timestamp):
        return "sa.DateTime(timezone=True)"
    return False


def run() -> None:
    declare_postgresql_options()
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
            render_item=render_item,
        )
    else:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=render_item,
            compare_type=True,
        )
    with context.begin_transaction():
        context.run_migrations()


run()
