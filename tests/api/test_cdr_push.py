"""POST /api/cdr/freeswitch: mod_json_cdr's three encodings, idempotence, admins only, limits."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from api_helpers import PASSWORD, basic, bearer
from fastapi.testclient import TestClient

from callvault.api import create_app
from callvault.api.cdr_push import MAX_BODY
from callvault.config import Settings

SAMPLES = Path(__file__).resolve().parents[1] / "importers" / "data" / "freeswitch_json"
URL = "/api/cdr/freeswitch"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def client(settings: Settings, tokens: dict[str, str]) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client


def count(client: TestClient, token: str) -> int:
    answer = client.get("/api/calls", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    total: int = answer.json()["count"]
    return total


def test_a_raw_json_cdr_is_saved_once_however_often_it_is_pushed(
    client: TestClient, tokens: dict[str, str]
) -> None:
    admin = bearer(tokens["ada"])
    body = sample("a_leg_1001_to_1002.json")
    for _ in range(2):
        answer = client.post(
            URL, content=body, headers={**admin, "Content-Type": "application/json"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"data": {"calls": 1}}
    assert count(client, tokens["ada"]) == 4
    pushed = client.get("/api/calls/e3133bf7-dcde-4daf-9663-9a79ffcef5ad", headers=admin)
    assert pushed.status_code == 200, pushed.text
    call = pushed.json()
    assert call["status"] == "answered"
    assert call["caller"]["number"] == "1001"
    assert call["caller"]["display_name"] == "Alice Smith"
    assert call["callee"]["number"] == "1002"


def test_url_encoded_and_base64_forms_are_read(client: TestClient, tokens: dict[str, str]) -> None:
    admin = bearer(tokens["ada"])
    document = sample("missed_1003_cancel.json")
    encoded = "cdr=" + quote(document.decode(), safe="")
    answer = client.post(URL, content=encoded, headers={**admin, **FORM})
    assert answer.json() == {"data": {"calls": 1}}
    # mod_json_cdr leaves Base64's + / = unescaped in the form
    as_base64 = "cdr=" + base64.b64encode(sample("a_leg_1001_to_1002.json")).decode()
    answer = client.post(URL, content=as_base64, headers={**admin, **FORM})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"data": {"calls": 1}}
    assert count(client, tokens["ada"]) == 5


def test_a_form_without_its_content_type_is_still_read(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = "cdr=" + quote(sample("b_leg_1002.json").decode(), safe="")
    answer = client.post(URL, content=body, headers=bearer(tokens["ada"]))
    assert answer.json() == {"data": {"calls": 1}}


def test_raw_json_sent_as_a_form_is_still_read(client: TestClient, tokens: dict[str, str]) -> None:
    body = sample("b_leg_1002.json")
    answer = client.post(URL, content=body, headers={**bearer(tokens["ada"]), **FORM})
    assert answer.json() == {"data": {"calls": 1}}


def test_a_and_b_leg_in_one_body_are_one_call(client: TestClient, tokens: dict[str, str]) -> None:
    lines = [
        json.dumps(json.loads(sample(name)))
        for name in ("a_leg_1001_to_1002.json", "b_leg_1002.json")
    ]
    answer = client.post(URL, content="\n".join(lines), headers=bearer(tokens["ada"]))
    assert answer.json() == {"data": {"calls": 1}}


def test_basic_credentials_of_an_admin_account_authenticate(client: TestClient) -> None:
    answer = client.post(URL, content=sample("b_leg_1002.json"), headers=basic("ada", PASSWORD))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("user", ["ann", "sam", "cleo"])
def test_only_admins_may_push(client: TestClient, tokens: dict[str, str], user: str) -> None:
    answer = client.post(URL, content=sample("b_leg_1002.json"), headers=bearer(tokens[user]))
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert count(client, tokens["ada"]) == 3


def test_unauthenticated_is_401_in_the_envelope(client: TestClient) -> None:
    answer = client.post(URL, content=sample("b_leg_1002.json"))
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "the body is not JSON"),
        (b"", 400, "empty body"),
        (b"\xff\xfe", 400, "not UTF-8"),
        (b"cdr=", 400, "empty body"),
        (b"cdr=%7Bbroken", 400, "not JSON"),
        (b'{"a": 1}\n{oops', 400, "line 2 of the body is not JSON"),
        (b'["a list"]', 422, "no variables object"),
        (b'{"variables": {"uuid": "x"}}', 422, "no start_epoch"),
        (b'{"variables": {"start_epoch": "1517990400"}}', 422, "no uuid"),
        (b'{"variables": {"uuid": "x", "start_epoch": "soon"}}', 422, "not a number"),
    ],
)
def test_what_is_not_a_cdr_is_refused_saying_what_to_fix(
    client: TestClient, tokens: dict[str, str], body: bytes, status: int, says: str
) -> None:
    answer = client.post(URL, content=body, headers=bearer(tokens["ada"]))
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert set(error) == {"code", "message"}
    assert says in error["message"]
    assert count(client, tokens["ada"]) == 3


def test_a_form_without_cdr_is_400(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.post(URL, content="xml=1", headers={**bearer(tokens["ada"]), **FORM})
    assert answer.status_code == 400
    assert "no field 'cdr'" in answer.json()["error"]["message"]


def test_a_body_over_the_limit_is_413(client: TestClient, tokens: dict[str, str]) -> None:
    big = b'{"variables": {"pad": "' + b"x" * MAX_BODY + b'"}}'
    answer = client.post(URL, content=big, headers=bearer(tokens["ada"]))
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for _ in range(3):
            yield b" " * (MAX_BODY // 2)

    streamed = client.post(URL, content=chunks(), headers=bearer(tokens["ada"]))
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "payload_too_large"
