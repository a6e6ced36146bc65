"""Journals to test against: SQLite in a temporary directory, and PostgreSQL in a schema of
its own per test (dropped after), skipped with the reason when no server answers.

PostgreSQL: $CALLVAULT_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from journal_calls import build_call

from callvault.calls.model import Call
from callvault.journal import Journal


@pytest.fixture
def journal(journal_url: str) -> Iterator[Journal]:
    with Journal.open(journal_url) as opened:
        yield opened


@pytest.fixture
def make_call() -> Callable[..., Call]:
    return build_call
