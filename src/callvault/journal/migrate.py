"""Alembic, driven from code: the journal migrates itself when it is opened.

For developers (no alembic.ini needed)::

    python -m callvault.journal revision "add agent columns"   # autogenerate the next one
    python -m callvault.journal sql postgresql://              # the DDL, for review

Opening a journal that is already at the head costs one query and no Alembic import
(:func:`at_head`): importing Alembic and loading its scripts would add about 0.2 s to every
command that opens the journal.
"""

from __future__ import annotations

import ast
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
"""Where Alembic keeps the revision a database is at."""

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


class CommandError(Exception):
    """A migration Alembic refused (e.g. the journal is at a revision this code does not know)."""


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for the journal's migrations, bound to a connection (online)
    or to a URL (offline SQL)."""
    from alembic.config import Config

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
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the journal has no migrations"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the journal behind ``connection`` is at; None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Bring the journal behind ``connection`` to the head revision (a no-op when it is).

    Raises CommandError when Alembic refuses (a revision it does not know, say)."""
    if at_head(connection):
        return
    from alembic import command
    from alembic.util.exc import CommandError as AlembicCommandError

    try:
        command.upgrade(alembic_config(connection), "head")
    except AlembicCommandError as exc:
        raise CommandError(str(exc)) from exc


def script_head() -> str | None:
    """The head revision read from the migration scripts' ``revision`` and ``down_revision``
    lines, without Alembic; None unless there is exactly one head and every script says both."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        if set(found) != {"revision", "down_revision"}:
            return None
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(connection: Connection) -> bool:
    """Whether the journal behind ``connection`` is at the scripts' head revision, by one
    query of the version table (False whenever that cannot be told without Alembic)."""
    head = script_head()
    if head is None or not sa.inspect(connection).has_table(VERSION_TABLE):
        return False
    stored = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    return [row[0] for row in stored] == [head]


def _revision(message: str) -> None:
    from alembic import command

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
            from alembic import command

            command.upgrade(alembic_config(url=url), "head", sql=True)
        case _:
            sys.exit(__doc__)
