"""/api/saved-searches and /api/preferences on SQLite and PostgreSQL: each user's own rows
only, filters checked by the call list's parser, columns by the journal's; and the
call list's ``after_id`` ("newer than") and the exports' ``columns``."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from api_helpers import T0, bearer, make_call
from fastapi.testclient import TestClient

from callvault.calls.model import Direction
from callvault.config import Settings
from callvault.console_prefs import DEFAULT_COLUMNS, JOURNAL_COLUMNS
from callvault.journal import Journal


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    """The API conftest's journal, on each backend."""
    return backend_settings


def as_user(client: TestClient, token: str, method: str, url: str, **kwargs: Any) -> Any:
    return client.request(method, url, headers=bearer(token), **kwargs)


def test_saved_searches_are_each_users_own(client: TestClient, tokens: dict[str, str]) -> None:
    ann, bob = tokens["ann"], tokens["bob"]
    made = as_user(client, ann, "POST", "/api/saved-searches", json={
        "name": "Missed today", "filters": {"status": "missed", "since": "2024-05-01T00:00:00Z"},
    })
    assert made.status_code == 201, made.text
    saved = made.json()
    assert saved["name"] == "Missed today"
    assert saved["filters"] == {"since": "2024-05-01T00:00:00Z", "status": ["missed"]}
    # bob has none, cannot see, rename or delete ann's; may use the same name
    assert as_user(client, bob, "GET", "/api/saved-searches").json() == {"data": []}
    url = f"/api/saved-searches/{saved['id']}"
    assert as_user(client, bob, "PATCH", url, json={"name": "mine"}).status_code == 404
    assert as_user(client, bob, "DELETE", url).status_code == 404
    bobs = as_user(client, bob, "POST", "/api/saved-searches",
                   json={"name": "Missed today", "filters": {}})
    assert bobs.status_code == 201
    listed = as_user(client, ann, "GET", "/api/saved-searches").json()["data"]
    assert [s["name"] for s in listed] == ["Missed today"]
    # rename, replace the filters, a taken name is 409, delete
    second = as_user(client, ann, "POST", "/api/saved-searches",
                     json={"name": "Long calls", "filters": {"min_duration_ms": 60000}}).json()
    renamed = as_user(client, ann, "PATCH", url,
                      json={"name": "Missed", "filters": {"direction": ["inbound"]}})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Missed"
    assert renamed.json()["filters"] == {"direction": ["inbound"]}
    taken = as_user(client, ann, "PATCH", url, json={"name": "Long calls"})
    assert taken.status_code == 409
    assert "Long calls" in taken.json()["error"]["message"]
    again = as_user(client, ann, "POST", "/api/saved-searches",
                    json={"name": "Long calls", "filters": {}})
    assert again.status_code == 409
    assert as_user(client, ann, "DELETE", url).status_code == 204
    listed = as_user(client, ann, "GET", "/api/saved-searches").json()["data"]
    assert [s["id"] for s in listed] == [second["id"]]
    assert as_user(client, ann, "DELETE", url).status_code == 404


BAD_FILTERS = [
    ({"status": "lost"}, "filters.status: Input should be"),
    ({"colour": "red"}, "filters.colour: not a filter of GET /api/calls"),
    ({"min_duration_ms": -5}, "filters.min_duration_ms: Input should be greater than"),
    ({"min_talk_ms": 9000, "max_talk_ms": 10}, "filters.min_talk_ms: min_talk_ms (9000) is"),
    ({"party": "   "}, "filters.party"),
    ({"since": "yesterday-ish"}, "filters.since"),
    ({"sort": "colour"}, "filters.sort"),
]


def test_bad_filters_are_a_400_naming_the_parameter(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for filters, message in BAD_FILTERS:
        answer = as_user(client, tokens["ann"], "POST", "/api/saved-searches",
                         json={"name": "bad", "filters": filters})
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["message"].startswith(message), filters
    assert as_user(client, tokens["ann"], "GET", "/api/saved-searches").json()["data"] == []


def test_a_saved_search_applies_to_the_call_list(
    client: TestClient, tokens: dict[str, str]
) -> None:
    saved = as_user(client, tokens["ada"], "POST", "/api/saved-searches", json={
        "name": "outbound", "filters": {"direction": "outbound", "sort": "caller", "order": "asc"},
    }).json()
    listed = as_user(client, tokens["ada"], "GET", "/api/calls", params=saved["filters"]).json()
    assert [call["uid"] for call in listed["data"]] == ["bobs", "other"]


def test_blank_names_and_empty_changes_are_refused(
    client: TestClient, tokens: dict[str, str]
) -> None:
    ann = tokens["ann"]
    assert as_user(client, ann, "POST", "/api/saved-searches",
                   json={"name": "  ", "filters": {}}).status_code == 422
    made = as_user(client, ann, "POST", "/api/saved-searches",
                   json={"name": "x", "filters": {}}).json()
    empty = as_user(client, ann, "PATCH", f"/api/saved-searches/{made['id']}", json={})
    assert empty.status_code == 400
    assert "send name, filters or both" in empty.json()["error"]["message"]


def test_preferences_remember_each_users_columns(
    client: TestClient, tokens: dict[str, str]
) -> None:
    ann, bob = tokens["ann"], tokens["bob"]
    fresh = as_user(client, ann, "GET", "/api/preferences").json()
    assert fresh["journal_columns"] is None
    assert fresh["default_columns"] == list(DEFAULT_COLUMNS)
    assert fresh["columns_available"] == list(JOURNAL_COLUMNS)
    chosen = ["caller", "started_at", "agent_id", "codecs"]
    put = as_user(client, ann, "PUT", "/api/preferences", json={"journal_columns": chosen})
    assert put.status_code == 200, put.text
    assert as_user(client, ann, "GET", "/api/preferences").json()["journal_columns"] == chosen
    assert as_user(client, bob, "GET", "/api/preferences").json()["journal_columns"] is None
    # changed again, then back to the default
    as_user(client, ann, "PUT", "/api/preferences", json={"journal_columns": ["status"]})
    assert as_user(client, ann, "GET", "/api/preferences").json()["journal_columns"] == ["status"]
    as_user(client, ann, "PUT", "/api/preferences", json={})
    assert as_user(client, ann, "GET", "/api/preferences").json()["journal_columns"] is None


BAD_PREFERENCES = [
    ({"journal_columns": ["started_at", "colour"]}, "unknown column 'colour'"),
    ({"journal_columns": ["status", "status"]}, "each column at most once"),
    ({"journal_columns": []}, "at least 1 item"),
    ({"theme": "dark"}, "Extra inputs are not permitted"),
]


def test_bad_preferences_are_refused_and_change_nothing(
    client: TestClient, tokens: dict[str, str]
) -> None:
    ann = tokens["ann"]
    as_user(client, ann, "PUT", "/api/preferences", json={"journal_columns": ["status"]})
    for body, message in BAD_PREFERENCES:
        answer = as_user(client, ann, "PUT", "/api/preferences", json=body)
        assert answer.status_code == 422
        assert message in answer.json()["error"]["message"], body
    assert as_user(client, ann, "GET", "/api/preferences").json()["journal_columns"] == ["status"]


def test_after_id_lists_only_calls_journaled_later(
    client: TestClient, tokens: dict[str, str], settings: Settings
) -> None:
    ada = tokens["ada"]
    listed = as_user(client, ada, "GET", "/api/calls").json()["data"]
    newest = max(call["id"] for call in listed)
    assert as_user(client, ada, "GET", "/api/calls", params={"after_id": newest}).json() == {
        "data": [], "count": 0, "count_capped": False, "next_cursor": None,
    }
    with Journal.open(settings.journal_url) as journal:
        # started before every listed call, but journaled after them: new all the same
        journal.save(make_call("late", T0 - 3600, "204", "+4512121212", Direction.OUTBOUND))
        journal.save(make_call("later", T0 + 9000, "201", "+4512121213", Direction.OUTBOUND))
    newer = as_user(client, ada, "GET", "/api/calls", params={"after_id": newest}).json()
    assert [call["uid"] for call in newer["data"]] == ["later", "late"]
    # within the user's scope: ann sees her own new call only
    anns = as_user(client, tokens["ann"], "GET", "/api/calls", params={"after_id": newest})
    assert [call["uid"] for call in anns.json()["data"]] == ["later"]
    bad = as_user(client, ada, "GET", "/api/calls", params={"after_id": -1})
    assert bad.status_code == 422


def test_exports_write_the_chosen_columns(client: TestClient, tokens: dict[str, str]) -> None:
    ada = tokens["ada"]
    params = {"columns": ["started_at", "caller", "status"], "sort": "started_at", "order": "asc"}
    answer = as_user(client, ada, "GET", "/api/calls/export.csv", params=params)
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["started_at", "caller_number", "caller_display_name", "status"]
    assert [row[1] for row in rows[1:]] == ["+4533123456", "202", "203"]
    whole = as_user(client, ada, "GET", "/api/calls/export.csv").text.splitlines()[0]
    assert whole.startswith("id,uid,sip_call_id,")
    bad = as_user(client, ada, "GET", "/api/calls/export.csv", params={"columns": "colour"})
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("query parameter 'columns': unknown column")
    pytest.importorskip("openpyxl")
    from openpyxl import load_workbook

    xlsx = as_user(client, ada, "GET", "/api/calls/export.xlsx", params={"columns": ["uid"]})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0].value for row in sheet.iter_rows()] == ["uid", "other", "bobs", "anns"]
