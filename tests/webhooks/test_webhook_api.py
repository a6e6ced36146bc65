"""The webhook API: only admins manage webhooks; secrets shown once; deliveries listed,
redelivered and tested through a running app (its dispatcher started by the lifespan).
SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webhook_helpers import SECRET, Receiver, closed_port_url, make_call

from callvault.accounts import Accounts, credentials
from callvault.api import create_app
from callvault.config import Settings
from callvault.journal import Journal
from callvault.webhooks import verify

ROLES = ("agent", "supervisor", "manager", "compliance", "admin")


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "SCRYPT_LOG_N", 10)


@pytest.fixture
def settings(journal_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=journal_url,
        webhook_max_attempts=2,
        webhook_backoff_s=0.05,
        webhook_poll_s=0.1,
        webhook_timeout_s=2.0,
    )


@pytest.fixture
def tokens(settings: Settings) -> dict[str, str]:
    with Journal.open(settings.journal_url) as journal:
        journal.save(make_call("api-1"))
    issued = {}
    with Accounts.open(settings.journal_url) as accounts:
        for role in ROLES:
            accounts.add_user(role, role, password="pw-for-tests", extensions=["201"])
            issued[role] = accounts.issue_token(role, "tests")
    return issued


@pytest.fixture
def client(settings: Settings, tokens: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def as_(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def wait_for_status(
    client: TestClient, headers: dict[str, str], delivery_id: int, status: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        found: dict[str, Any] = client.get(
            f"/api/webhooks/deliveries/{delivery_id}", headers=headers
        ).json()
        if found["status"] == status:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_manage_webhooks(
    client: TestClient, tokens: dict[str, str], role: str
) -> None:
    headers = as_(tokens, role)
    for method, path, body in (
        ("GET", "/api/webhooks", None),
        ("POST", "/api/webhooks", {"name": "crm", "url": "https://crm.example.com/h"}),
        ("PATCH", "/api/webhooks/crm", {"active": False}),
        ("DELETE", "/api/webhooks/crm", None),
        ("POST", "/api/webhooks/crm/test", None),
        ("GET", "/api/webhooks/deliveries", None),
        ("GET", "/api/webhooks/deliveries/1", None),
        ("POST", "/api/webhooks/deliveries/1/redeliver", None),
    ):
        answer = client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, (method, path)
        assert answer.json()["error"]["message"].endswith("may not configure webhooks (admins may)")
    assert client.get("/api/webhooks").status_code == 401


def test_admin_creates_lists_updates_and_deletes(
    client: TestClient, tokens: dict[str, str]
) -> None:
    admin = as_(tokens, "admin")
    created = client.post(
        "/api/webhooks",
        json={"name": "crm", "url": "https://crm.example.com/hook", "events": ["call.finished"]},
        headers=admin,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["call.finished"] and body["active"] is True
    listed = client.get("/api/webhooks", headers=admin).json()
    assert listed["count"] == 1
    assert "secret" not in listed["data"][0]  # shown once, at creation
    assert body["secret"] not in client.get("/api/webhooks", headers=admin).text

    patched = client.patch(
        "/api/webhooks/crm", json={"active": False, "events": ["call.updated"]}, headers=admin
    )
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    assert patched.json()["events"] == ["call.updated"]
    assert client.delete("/api/webhooks/crm", headers=admin).status_code == 204
    assert client.get("/api/webhooks", headers=admin).json() == {"data": [], "count": 0}
    assert client.delete("/api/webhooks/crm", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"name": "crm", "url": "ftp://crm.example.com/hook"}, 422, "send http(s)://"),
        ({"name": "crm", "url": "crm.example.com/hook"}, 422, "send http(s)://"),
        ({"name": "crm", "url": "http://:80/x"}, 422, "send http(s)://"),
        ({"name": "crm", "url": "http://h.example:port/x"}, 422, "send http(s)://"),
        ({"name": "c r m", "url": "https://crm.example.com/"}, 422, "invalid webhook name"),
        ({"name": "crm", "url": "https://c.example/", "events": ["call.deleted"]}, 422,
         "unknown webhook event 'call.deleted'"),
        ({"name": "crm", "url": "https://c.example/", "events": []}, 422, "at least one event"),
        ({"name": "crm", "url": "https://c.example/", "secret": "short"}, 422, "secret"),
        ({"name": "crm", "url": "https://c.example/\u0000"}, 422, "control characters"),
        ({"name": "crm", "url": "https://c.example/", "secret": "0123456789abcdef\u0000"}, 422,
         "printable"),
        ({"name": "crm"}, 422, "url"),
        ({"name": "crm", "url": "https://c.example/", "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_webhooks_are_refused_with_what_to_fix(
    client: TestClient, tokens: dict[str, str], body: dict[str, Any], status: int, says: str
) -> None:
    answer = client.post("/api/webhooks", json=body, headers=as_(tokens, "admin"))
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == "invalid_request"
    assert says in answer.json()["error"]["message"]


def test_duplicates_and_unknowns(client: TestClient, tokens: dict[str, str]) -> None:
    admin = as_(tokens, "admin")
    hook = {"name": "crm", "url": "https://crm.example.com/hook"}
    assert client.post("/api/webhooks", json=hook, headers=admin).status_code == 201
    again = client.post("/api/webhooks", json=hook, headers=admin)
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "a webhook named 'crm' exists already"
    assert client.patch("/api/webhooks/nope", json={"active": True}, headers=admin).status_code == 404
    assert client.patch("/api/webhooks/crm", json={}, headers=admin).status_code == 422
    bad_url = client.patch("/api/webhooks/crm", json={"url": "mailto:x@y"}, headers=admin)
    assert bad_url.status_code == 422
    assert client.post("/api/webhooks/nope/test", headers=admin).status_code == 404
    assert client.delete("/api/webhooks/n%00pe", headers=admin).status_code == 404
    nul = client.get("/api/webhooks/deliveries?webhook=n%00pe", headers=admin)
    assert nul.json() == {"data": [], "count": 0}
    assert client.get("/api/webhooks/deliveries/999", headers=admin).status_code == 404
    assert client.get("/api/webhooks/deliveries/x", headers=admin).status_code == 422
    assert client.get("/api/webhooks/deliveries?status=lost", headers=admin).status_code == 422
    assert (
        client.post("/api/webhooks/deliveries/999/redeliver", headers=admin).status_code == 404
    )


def test_an_annotation_through_the_api_is_delivered_by_the_running_app(
    client: TestClient, tokens: dict[str, str], receiver: Receiver
) -> None:
    admin = as_(tokens, "admin")
    client.post(
        "/api/webhooks",
        json={"name": "crm", "url": receiver.url, "secret": SECRET, "events": ["call.updated"]},
        headers=admin,
    )
    patched = client.patch("/api/calls/1", json={"outcome": "sale"}, headers=as_(tokens, "agent"))
    assert patched.status_code == 200
    [got] = receiver.wait_for(1)
    assert got.signed
    assert got.json["event"] == "call.updated"
    assert got.json["call"]["outcome"] == "sale"
    [pending] = client.get("/api/webhooks/deliveries", headers=admin).json()["data"]
    wait_for_status(client, admin, pending["id"], "delivered")  # recorded after the answer
    listed = client.get("/api/webhooks/deliveries?status=delivered", headers=admin).json()
    assert listed["count"] == 1
    assert listed["data"][0]["webhook"] == "crm"
    assert listed["data"][0]["attempts"] == 1
    assert listed["data"][0]["response_code"] == 204


def test_failed_deliveries_are_visible_and_redelivered(
    client: TestClient, tokens: dict[str, str], receiver: Receiver
) -> None:
    admin = as_(tokens, "admin")
    client.post(
        "/api/webhooks",
        json={"name": "down", "url": closed_port_url(), "secret": SECRET},
        headers=admin,
    )
    test = client.post("/api/webhooks/down/test", headers=admin)
    assert test.status_code == 202
    assert test.json()["status"] == "pending"
    failed = wait_for_status(client, admin, test.json()["id"], "failed")
    assert failed["attempts"] == 2  # webhook_max_attempts
    assert "refused" in failed["error"].lower()
    listed = client.get("/api/webhooks/deliveries?status=failed", headers=admin).json()
    assert [d["id"] for d in listed["data"]] == [failed["id"]]
    assert client.get("/api/webhooks/deliveries?status=pending", headers=admin).json()["count"] == 0

    client.patch("/api/webhooks/down", json={"url": receiver.url}, headers=admin)
    again = client.post(f"/api/webhooks/deliveries/{failed['id']}/redeliver", headers=admin)
    assert again.status_code == 202
    assert again.json()["attempts"] == 0
    delivered = wait_for_status(client, admin, failed["id"], "delivered")
    assert delivered["attempts"] == 1
    [got] = receiver.wait_for(1)
    assert got.json["event"] == "webhook.test"
    assert verify(SECRET, got.headers["Callvault-Signature"], got.body)
    assert got.body.decode() == delivered["payload"]
