"""Every route authenticates; errors come in one envelope."""

from __future__ import annotations

import pytest
from api_helpers import PASSWORD, basic, bearer
from fastapi.testclient import TestClient

from callvault.accounts import Accounts
from callvault.config import Settings

ROUTES = ["/api/health", "/api/me", "/api/calls", "/api/calls/1", "/api/openapi.json"]


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_without_credentials_is_401_in_the_envelope(
    client: TestClient, path: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert answer.json() == {
        "error": {
            "code": "unauthorized",
            "message": "authentication required: send 'Authorization: Bearer <token>'",
        }
    }
    assert "Bearer" in answer.headers["www-authenticate"]


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_refuses_an_unknown_token(client: TestClient, path: str) -> None:
    answer = client.get(path, headers=bearer("cv_made-up"))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


def test_the_interactive_docs_are_not_served_unauthenticated(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_a_token_authenticates(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.get("/api/me", headers=bearer(tokens["ann"]))
    assert answer.status_code == 200
    assert answer.json() == {
        "username": "ann",
        "display_name": None,
        "role": "agent",
        "extensions": ["201"],
        "team": None,
    }


def test_basic_authenticates_with_the_password_only(client: TestClient) -> None:
    assert client.get("/api/me", headers=basic("sam", PASSWORD)).json()["role"] == "supervisor"
    wrong = client.get("/api/me", headers=basic("sam", "nope"))
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"].startswith("wrong username or password")
    assert client.get("/api/me", headers=basic("ghost", PASSWORD)).status_code == 401
    garbled = client.get("/api/me", headers={"Authorization": "Basic !!!"})
    assert garbled.json()["error"]["message"] == "malformed Basic credentials"


def test_other_schemes_are_refused(client: TestClient) -> None:
    answer = client.get("/api/me", headers={"Authorization": "Digest x"})
    assert answer.status_code == 401
    assert "use Bearer <token> or Basic" in answer.json()["error"]["message"]


def test_revoked_tokens_and_disabled_users_are_401(
    client: TestClient, settings: Settings, tokens: dict[str, str]
) -> None:
    with Accounts.open(settings.journal_url) as accounts:
        (issued,) = accounts.list_tokens("ann")
        accounts.revoke_token(issued.id)
        accounts.set_disabled("sam")
    assert client.get("/api/me", headers=bearer(tokens["ann"])).status_code == 401
    assert client.get("/api/me", headers=bearer(tokens["sam"])).status_code == 401
    assert client.get("/api/me", headers=basic("sam", PASSWORD)).status_code == 401


def test_health_answers_authenticated(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/api/health", headers=bearer(tokens["ada"])).json() == {
        "status": "ok",
        "calls": 3,
    }


def test_unknown_paths_and_methods_use_the_envelope(
    client: TestClient, tokens: dict[str, str]
) -> None:
    missing = client.get("/api/nothing", headers=bearer(tokens["ada"]))
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    method = client.post("/api/calls", headers=bearer(tokens["ada"]))
    assert method.status_code == 405
    assert method.json()["error"]["code"] == "method_not_allowed"


def test_an_internal_error_is_a_500_envelope_without_traceback(
    settings: Settings, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from callvault.api import create_app
    from callvault.journal import Journal

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom at line 42")

    app = create_app(settings)
    monkeypatch.setattr(Journal, "count_calls", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/health", headers=bearer(tokens["ada"]))
    assert answer.status_code == 500
    assert answer.json() == {
        "error": {"code": "internal_error", "message": "internal error; the server log has details"}
    }
