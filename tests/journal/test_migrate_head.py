"""Opening a journal already at the head: one query, no Alembic import."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from callvault.journal import Journal, migrate


@pytest.fixture
def journal_url(empty_journal_url: str) -> str:
    """These tests open and migrate the journal themselves: it starts empty."""
    return empty_journal_url


@pytest.fixture
def engine(journal_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(journal_url)
    yield engine
    engine.dispose()


def test_the_scripts_head_is_alembics() -> None:
    assert migrate.script_head() == migrate.head_revision()


def test_at_head_only_when_the_stored_revision_is_the_head(
    journal_url: str, engine: sa.Engine
) -> None:
    empty = sa.create_engine("sqlite://")
    with empty.connect() as connection:
        assert not migrate.at_head(connection)
    empty.dispose()
    Journal.open(journal_url).close()
    with engine.begin() as connection:
        assert migrate.at_head(connection)
        assert migrate.current_revision(connection) == migrate.head_revision()
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
        assert not migrate.at_head(connection)


def test_a_journal_at_head_opens_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    Journal.open(url).close()  # created and migrated
    code = (
        "import sys; from callvault.journal import Journal; "
        f"Journal.open({url!r}).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
