"""Browser sessions: login cookie, CSRF token on state changes, logout, throttling, expiry —
on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from api_helpers import PASSWORD, bearer
from fastapi.testclient import TestClient

from callvault.accounts import Accounts
from callvault.accounts.sessions import COOKIE, IDLE_S, MAX_AGE_S, Sessions
from callvault.config import Settings


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    return backend_settings


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    answer = client.post("/api/session", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["csrf_token"])


def test_a_login_sets_an_http_only_strict_cookie_that_authenticates(
    client: TestClient, tokens: dict[str, str]
) -> None:
    answer = client.post("/api/session", json={"username": "sam", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["user"]["username"] == "sam" and body["user"]["role"] == "supervisor"
    assert len(body["csrf_token"]) == 32 and body["expires_at"]
    cookie_header = answer.headers["set-cookie"]
    assert cookie_header.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie_header and "SameSite=strict" in cookie_header
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["username"] == "sam"
    assert client.get("/api/session").json()["csrf_token"] == body["csrf_token"]


def test_a_state_change_with_the_cookie_needs_the_csrf_token(
    client: TestClient, tokens: dict[str, str]
) -> None:
    csrf = log_in(client, "ann")
    refused = client.patch("/api/calls/anns", json={"comment": "called back"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["error"]["message"]
    wrong = client.patch(
        "/api/calls/anns", json={"comment": "x"}, headers={"X-CSRF-Token": "0" * 32}
    )
    assert wrong.status_code == 403
    done = client.patch(
        "/api/calls/anns", json={"comment": "called back"}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 200 and done.json()["comment"] == "called back"
    # the agent's scope holds for sessions too
    other = client.get("/api/calls/bobs")
    assert other.status_code == 404


def test_logging_out_ends_the_session_at_once(client: TestClient, tokens: dict[str, str]) -> None:
    csrf = log_in(client, "cleo")
    cookie = client.cookies.get(COOKIE)
    assert cookie
    out = client.delete("/api/session", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert COOKIE not in client.cookies
    client.cookies.set(COOKIE, cookie)  # a copy of the cookie kept elsewhere
    answer = client.get("/api/me")
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "the session has ended: log in again"


def test_a_wrong_password_is_401_and_repeated_failures_are_throttled(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for _ in range(5):
        answer = client.post("/api/session", json={"username": "ada", "password": "guess"})
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "unauthorized"
    blocked = client.post("/api/session", json={"username": "ada", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_requests"
    assert 0 < int(blocked.headers["retry-after"]) <= 301
    # another account from the same client is not blocked
    assert client.post("/api/session", json={"username": "sam", "password": PASSWORD}).is_success


def test_a_malformed_login_is_422_naming_the_field(client: TestClient) -> None:
    answer = client.post("/api/session", json={"username": "ada"})
    assert answer.status_code == 422
    assert "password" in answer.json()["error"]["message"]


def test_disabling_a_user_ends_their_sessions(
    client: TestClient, settings: Settings, tokens: dict[str, str]
) -> None:
    log_in(client, "bob")
    assert client.get("/api/me").status_code == 200
    with Accounts.open(settings.journal_url) as accounts:
        accounts.set_disabled("bob")
    assert client.get("/api/me").status_code == 401


def test_a_token_request_ignores_any_cookie(client: TestClient, tokens: dict[str, str]) -> None:
    log_in(client, "ann")
    # a Bearer token decides, and needs no CSRF token for a change
    answer = client.patch(
        "/api/calls/bobs", json={"outcome": "sale"}, headers=bearer(tokens["bob"])
    )
    assert answer.status_code == 200


def test_sessions_end_when_idle_or_too_old(settings: Settings, tokens: dict[str, str]) -> None:
    with Accounts.open(settings.journal_url) as accounts:
        user = accounts.get_user("ann")
    assert user is not None
    sessions = Sessions.connect(settings.journal_url)
    try:
        t0 = 1_800_000_000.0
        cookie = sessions.open(user, client="127.0.0.1 tests", now=t0)
        assert sessions.find(cookie, now=t0 + IDLE_S - 1) is not None  # also marks it seen
        seen = t0 + IDLE_S - 1
        assert sessions.find(cookie, now=seen + IDLE_S - 1) is not None
        assert sessions.find(cookie, now=seen + IDLE_S - 1 + IDLE_S) is None  # idle too long
        steady = sessions.open(user, now=t0)
        moment = t0
        while moment + IDLE_S / 2 < t0 + MAX_AGE_S:
            moment += IDLE_S / 2
            assert sessions.find(steady, now=moment) is not None
        assert sessions.find(steady, now=t0 + MAX_AGE_S) is None  # too old, however busy
        assert sessions.find("cv_not-a-session", now=t0) is None
        assert sessions.close_all(user.id) >= 1
        assert sessions.purge(now=t0 + MAX_AGE_S + 2 * 86400) == 2
    finally:
        sessions.dispose()
