"""Annotations, recordings, client history, exports and the audit trail with the journal on
PostgreSQL: the tests of those modules, unchanged, over a fresh schema per test (skipped,
saying why, where no PostgreSQL server answers; see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_annotations
import test_clients_exports_audit
import test_recordings

from callvault.config import Settings

for _module in (test_annotations, test_clients_exports_audit, test_recordings):
    for _name, _value in vars(_module).items():
        if (_name.startswith("test_") and callable(_value)) or _name in (
            "recorded",
            "repeat_client",
        ):
            globals()[_name] = _value


@pytest.fixture
def settings(tmp_path: Path, postgres_journal_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=postgres_journal_url)
