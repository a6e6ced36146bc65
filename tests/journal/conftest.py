"""Journals to test against: SQLite in a temporary directory, and PostgreSQL in a schema of
its own per test (dropped after), skipped with the reason when no server answers.

PostgreSQL: $CALLVAULT_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from journal_calls import build_call

from callvault.calls.model import Call
from callvault.journal import Journal


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'journal.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    with Journal.open(journal_url) as opened:
        yield opened


@pytest.fixture
def make_call() -> Callable[..., Call]:
    return build_call
