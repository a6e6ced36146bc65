"""An API over a temporary SQLite journal with three calls and a user per role.

Calls (newest first by id): 3 "other" 203 → +4511223344 (nobody's), 2 "bobs" 202 →
+4599887766 (agent bob), 1 "anns" +4533123456 → 201 (agent ann).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import PASSWORD, T0, make_call
from fastapi.testclient import TestClient

from callvault.accounts import Accounts, credentials
from callvault.api import create_app
from callvault.calls.model import Direction
from callvault.config import Settings
from callvault.journal import Journal


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes at N=2**10 here: the cost is read from each hash, and the suite stays quick."""
    monkeypatch.setattr(credentials, "SCRYPT_LOG_N", 10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def tokens(settings: Settings) -> dict[str, str]:
    """A token per user: ann and bob (agents), sam (supervisor), cleo (compliance), ada (admin)."""
    with Journal.open(settings.journal_url) as journal:
        journal.save(make_call("anns", T0, "+4533123456", "201", Direction.INBOUND))
        journal.save(make_call("bobs", T0 + 3600, "202", "+4599887766", Direction.OUTBOUND))
        journal.save(make_call("other", T0 + 7200, "203", "+4511223344", Direction.OUTBOUND))
    issued = {}
    with Accounts.open(settings.journal_url) as accounts:
        for username, role, extensions in (
            ("ann", "agent", ["201"]),
            ("bob", "agent", ["202", "+4522000202"]),
            ("sam", "supervisor", []),
            ("cleo", "compliance", []),
            ("ada", "admin", []),
            ("nobody", "agent", []),
        ):
            accounts.add_user(username, role, password=PASSWORD, extensions=extensions)
            issued[username] = accounts.issue_token(username, "tests")
    return issued


@pytest.fixture
def client(settings: Settings, tokens: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
