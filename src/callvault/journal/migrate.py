"""Alembic, driven from code: the journal migrates itself when it is opened.

For developers (no alembic.ini needed)::

    python -m callvault.journal revision "add agent columns"   # autogenerate the next one
    python -m callvault.journal sql postgresql://              # the DDL, for review
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for the journal's migrations, bound to a connection (online)
    or to a URL (offline SQL)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision the code expects the journal to be at."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the journal has no migrations"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the journal behind ``connection`` is at; None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Bring the journal behind ``connection`` to the head revision (a no-op when it is)."""
    command.upgrade(alembic_config(connection), "head")


def _revision(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/head.sqlite3")
        with engine.begin() as connection:
            upgrade(connection)
            config = alembic_config(connection)
            next_id = f"{int(head_revision()) + 1:04d}"
            command.revision(config, message, autogenerate=True, rev_id=next_id)
        engine.dispose()


def main(argv: list[str]) -> None:
    match argv:
        case ["revision", message]:
            _revision(message)
        case ["sql", url]:
            command.upgrade(alembic_config(url=url), "head", sql=True)
        case _:
            sys.exit(__doc__)
