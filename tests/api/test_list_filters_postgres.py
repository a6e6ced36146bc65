"""test_list_filters.py again, unchanged, with the journal on PostgreSQL (skipped, saying
why, where no PostgreSQL server answers)."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_list_filters

from callvault.config import Settings

for _name, _value in vars(test_list_filters).items():
    if _name.startswith("test_") and callable(_value) or _name == "client":
        globals()[_name] = _value


@pytest.fixture
def settings(tmp_path: Path, postgres_journal_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=postgres_journal_url)
