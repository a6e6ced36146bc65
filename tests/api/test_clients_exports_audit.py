"""GET /api/clients/{number}/calls, the CSV and XLSX exports, and GET /api/audit."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from api_helpers import T0, bearer, make_call
from fastapi.testclient import TestClient

from callvault.calls.model import Direction
from callvault.config import Settings
from callvault.journal import Journal
from callvault.journal.export import CSV_FIELDS


def uids(client: TestClient, token: str, path: str, **params: Any) -> list[str]:
    answer = client.get(path, headers=bearer(token), params=params)
    assert answer.status_code == 200, answer.text
    return [call["uid"] for call in answer.json()["data"]]


# -- client history ------------------------------------------------------------------------


@pytest.fixture
def repeat_client(settings: Settings, tokens: dict[str, str]) -> None:
    """+4599887766 calls back (to 204) after bob's call to them."""
    with Journal.open(settings.journal_url) as journal:
        journal.save(make_call("back", T0 + 9000, "+4599887766", "204", Direction.INBOUND))


@pytest.mark.parametrize(
    "number", ["+4599887766", "4599887766", "004599887766", "+45 99 88-77 66", "+45%2099887766"]
)
def test_a_clients_calls_newest_first_whatever_the_numbers_format(
    client: TestClient, tokens: dict[str, str], repeat_client: None, number: str
) -> None:
    assert uids(client, tokens["cleo"], f"/api/clients/{number}/calls") == ["back", "bobs"]


def test_client_history_is_paginated_and_counted(
    client: TestClient, tokens: dict[str, str], repeat_client: None
) -> None:
    answer = client.get(
        "/api/clients/+4599887766/calls", headers=bearer(tokens["ada"]), params={"limit": 1}
    ).json()
    assert [call["uid"] for call in answer["data"]] == ["back"]
    assert answer["count"] == 2
    page = uids(client, tokens["ada"], "/api/clients/+4599887766/calls", limit=1, offset=1)
    assert page == ["bobs"]


def test_client_history_matches_whole_numbers_only(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert uids(client, tokens["ada"], "/api/clients/99887766/calls") == []
    assert uids(client, tokens["ada"], "/api/clients/201/calls") == ["anns"]


def test_an_agent_sees_only_their_own_calls_with_a_client(
    client: TestClient, tokens: dict[str, str], repeat_client: None
) -> None:
    assert uids(client, tokens["bob"], "/api/clients/+4599887766/calls") == ["bobs"]
    assert uids(client, tokens["ann"], "/api/clients/+4599887766/calls") == []
    assert uids(client, tokens["ann"], "/api/clients/+4533123456/calls") == ["anns"]


# -- exports --------------------------------------------------------------------------------


def csv_rows(client: TestClient, token: str, **params: Any) -> list[dict[str, str]]:
    answer = client.get("/api/calls/export.csv", headers=bearer(token), params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="calls.csv"'
    reader = csv.DictReader(io.StringIO(answer.text))
    assert tuple(reader.fieldnames or ()) == CSV_FIELDS
    return list(reader)


def test_the_csv_export_has_every_call_the_filters_select(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert [row["uid"] for row in csv_rows(client, tokens["ada"])] == ["other", "bobs", "anns"]
    outbound = csv_rows(client, tokens["ada"], direction="outbound", number="+45 99")
    assert [row["uid"] for row in outbound] == ["bobs"]
    assert [row["uid"] for row in csv_rows(client, tokens["ann"])] == ["anns"]
    assert csv_rows(client, tokens["nobody"]) == []


def test_the_csv_export_has_annotations(client: TestClient, tokens: dict[str, str]) -> None:
    client.patch(
        "/api/calls/anns",
        headers=bearer(tokens["ann"]),
        json={"comment": "ok", "outcome": "sale", "tags": ["a", "b c"]},
    )
    (row,) = csv_rows(client, tokens["ann"])
    assert (row["comment"], row["outcome"], row["tags"]) == ("ok", "sale", "a; b c")


def test_the_csv_export_reads_the_journal_in_chunks(
    client: TestClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from callvault.api import routes

    monkeypatch.setattr(routes, "EXPORT_CHUNK", 2)
    assert [row["uid"] for row in csv_rows(client, tokens["ada"])] == ["other", "bobs", "anns"]


def test_export_filters_are_validated(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.get(
        "/api/calls/export.csv", headers=bearer(tokens["ada"]), params={"status": "lost"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith("query parameter 'status'")


def test_the_xlsx_export(client: TestClient, tokens: dict[str, str]) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    answer = client.get(
        "/api/calls/export.xlsx", headers=bearer(tokens["ada"]), params={"direction": "outbound"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content), read_only=True)["calls"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header == CSV_FIELDS
    assert [row[CSV_FIELDS.index("uid")] for row in rows] == ["other", "bobs"]


# -- audit ----------------------------------------------------------------------------------


def audit(client: TestClient, token: str, **params: Any) -> Any:
    answer = client.get("/api/audit", headers=bearer(token), params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_exports_and_annotations_are_audited(client: TestClient, tokens: dict[str, str]) -> None:
    csv_rows(client, tokens["ann"], direction="inbound", since="2024-05-01T00:00:00Z")
    client.patch("/api/calls/anns", headers=bearer(tokens["ada"]), json={"outcome": "resolved"})
    client.patch("/api/calls/bobs", headers=bearer(tokens["ann"]), json={"outcome": "x"})  # 404
    body = audit(client, tokens["cleo"])
    assert body["count"] == 2
    annotate, export = body["data"]
    assert export["username"] == "ann" and export["action"] == "export"
    assert export["call_id"] is None
    assert export["detail"] == (
        'csv {"since": "2024-05-01T00:00:00+00:00", "direction": "inbound"}'
    )
    assert export["client"] == "testclient"
    assert annotate["username"] == "ada" and annotate["action"] == "annotate"
    assert annotate["call_id"] == 1
    assert json.loads(annotate["detail"]) == {"outcome": "resolved"}
    assert set(annotate) == {"id", "at", "username", "action", "call_id", "detail", "client"}


def test_the_audit_trail_filters_and_pages(
    client: TestClient, settings: Settings, tokens: dict[str, str]
) -> None:
    with Journal.open(settings.journal_url) as journal:
        journal.record_audit("ann", "playback", call_id=1, at=T0)
        journal.record_audit("bob", "download", call_id=2, at=T0 + 60)
        journal.record_audit("ann", "export", at=T0 + 120)
    ada = tokens["ada"]

    def actions(**params: Any) -> list[str]:
        return [entry["action"] for entry in audit(client, ada, **params)["data"]]

    assert actions() == ["export", "download", "playback"]
    assert actions(username="ann") == ["export", "playback"]
    assert actions(action="download") == ["download"]
    assert actions(since="2024-05-01T12:52:30Z") == ["export", "download"]
    assert actions(until="2024-05-01T12:52:30Z") == ["playback"]
    page = audit(client, ada, limit=1, offset=1)
    assert page["count"] == 3
    assert [entry["action"] for entry in page["data"]] == ["download"]
    bad = client.get("/api/audit", headers=bearer(ada), params={"action": "erase"})
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("query parameter 'action'")


@pytest.mark.parametrize("user", ["ann", "sam", "nobody"])
def test_only_compliance_and_admins_read_the_audit_trail(
    client: TestClient, tokens: dict[str, str], user: str
) -> None:
    answer = client.get("/api/audit", headers=bearer(tokens[user]))
    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "forbidden"
    assert error["message"].endswith(
        "account may not read the audit trail (compliance and admin may)"
    )
