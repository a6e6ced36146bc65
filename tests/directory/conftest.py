"""A directory over SQLite in a temporary directory and over PostgreSQL (a schema of its own
per test), skipped with the reason where no server answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from callvault.directory import Directory


@pytest.fixture
def directory(journal_url: str) -> Iterator[Directory]:
    with Directory.open(journal_url) as opened:
        yield opened
