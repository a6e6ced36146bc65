"""The API's main scenarios with the journal (and the accounts) on PostgreSQL.

The tests of test_auth.py (authentication, the envelope) and test_calls.py (listing, filters,
detail, agent scoping) run again here, unchanged, over a fresh PostgreSQL schema per test:
the ``settings`` fixture below replaces conftest's SQLite one. Skipped, saying why, where no
PostgreSQL server answers (see tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_auth
import test_calls
from api_helpers import bearer
from fastapi.testclient import TestClient

from callvault.api import create_app
from callvault.config import Settings

SAMPLE = Path(__file__).resolve().parents[1] / "importers" / "data" / "freeswitch_json"

for _module in (test_auth, test_calls):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test):
            globals()[_name] = _test


@pytest.fixture
def settings(tmp_path: Path, postgres_journal_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=postgres_journal_url)


def test_the_journal_and_the_accounts_are_on_postgresql(client: TestClient) -> None:
    app = client.app
    assert app.state.journal.url.startswith("postgresql")  # type: ignore[attr-defined]
    assert not (Path(app.state.settings.data_dir) / "journal.sqlite3").exists()  # type: ignore[attr-defined]


def test_pushed_cdrs_are_saved_once_on_postgresql(
    settings: Settings, tokens: dict[str, str]
) -> None:
    app = create_app(settings)
    admin = bearer(tokens["ada"])
    body = (SAMPLE / "a_leg_1001_to_1002.json").read_bytes()
    with TestClient(app) as client:
        for _ in range(2):
            answer = client.post("/api/cdr/freeswitch", content=body, headers=admin)
            assert answer.json() == {"data": {"calls": 1}}
        assert client.get("/api/calls", headers=admin).json()["count"] == 4
        # agent ann (201) is no party to 1001 -> 1002
        assert client.get("/api/calls", headers=bearer(tokens["ann"])).json()["count"] == 1
