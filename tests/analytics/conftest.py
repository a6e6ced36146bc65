"""Journals for the analytics tests: SQLite in a temporary directory and PostgreSQL in a
schema of its own (skipped with the reason when no server answers)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def analytics_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url
