"""Accounts in a fresh SQLite journal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from callvault.accounts import Accounts


@pytest.fixture
def journal_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'journal.sqlite3'}"


@pytest.fixture
def accounts(journal_url: str) -> Iterator[Accounts]:
    with Accounts.open(journal_url) as opened:
        yield opened
