"""A directory over SQLite in a temporary directory and over PostgreSQL (a schema of its own
per test), skipped with the reason where no server answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callvault.directory import Directory


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'journal.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def directory(journal_url: str) -> Iterator[Directory]:
    with Directory.open(journal_url) as opened:
        yield opened
