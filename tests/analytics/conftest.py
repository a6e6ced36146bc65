"""Journals for the analytics tests: SQLite in a temporary directory and PostgreSQL in a
schema of its own (skipped with the reason when no server answers)."""

from __future__ import annotations

import pytest


@pytest.fixture
def analytics_url(journal_url: str) -> str:
    return journal_url
