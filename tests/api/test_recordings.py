"""GET /api/calls/{ref}/recording: the file, Range requests, ETag, who may fetch it."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from api_helpers import T0, bearer, make_call
from fastapi.testclient import TestClient

from callvault.calls.model import Direction, Recording
from callvault.config import Settings
from callvault.journal import Journal

AUDIO = bytes(range(256)) * 40
"""10 240 bytes standing in for a WAV file."""


@pytest.fixture
def recorded(settings: Settings, tokens: dict[str, str]) -> str:
    """Call "anns" with a recording in the vault; "bobs" with none ("no audio")."""
    name = "2024/05/01/anns.wav"
    path = settings.recordings_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(AUDIO)
    digest = hashlib.sha256(AUDIO).hexdigest()
    call = make_call("anns", T0, "+4533123456", "201", Direction.INBOUND)
    call.recording = Recording(name, "wav", "ulaw", 8000, T0 + 2, 60_000, len(AUDIO), digest)
    bobs = make_call("bobs", T0 + 3600, "202", "+4599887766", Direction.OUTBOUND)
    bobs.audio_issue = "no audio"
    with Journal.open(settings.journal_url) as journal:
        journal.save(call)
        journal.save(bobs)
    return digest


def get(client: TestClient, token: str, ref: str = "anns", **headers: str) -> Any:
    return client.get(f"/api/calls/{ref}/recording", headers={**bearer(token), **headers})


def test_the_whole_file_with_its_type_and_sha256_etag(
    client: TestClient, tokens: dict[str, str], recorded: str
) -> None:
    answer = get(client, tokens["ann"])
    assert answer.status_code == 200
    assert answer.content == AUDIO
    assert answer.headers["content-type"] == "audio/wav"
    assert answer.headers["etag"] == f'"{recorded}"'
    assert answer.headers["accept-ranges"] == "bytes"
    assert answer.headers["content-disposition"].startswith("inline")
    download = client.get(
        "/api/calls/anns/recording", headers=bearer(tokens["ada"]), params={"download": True}
    )
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_byte_range_is_206_with_exactly_those_bytes(
    client: TestClient, tokens: dict[str, str], recorded: str
) -> None:
    answer = get(client, tokens["ann"], range="bytes=0-99")
    assert answer.status_code == 206
    assert answer.content == AUDIO[:100]
    assert answer.headers["content-range"] == f"bytes 0-99/{len(AUDIO)}"
    middle = get(client, tokens["ann"], range="bytes=1000-1999")
    assert middle.status_code == 206 and middle.content == AUDIO[1000:2000]


def test_a_suffix_range_is_the_last_bytes(
    client: TestClient, tokens: dict[str, str], recorded: str
) -> None:
    answer = get(client, tokens["ann"], range="bytes=-500")
    assert answer.status_code == 206
    assert answer.content == AUDIO[-500:]
    size = len(AUDIO)
    assert answer.headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"


def test_an_unsatisfiable_range_is_416(
    client: TestClient, tokens: dict[str, str], recorded: str
) -> None:
    answer = get(client, tokens["ann"], range=f"bytes={len(AUDIO) + 10}-")
    assert answer.status_code == 416
    assert answer.headers["content-range"] == f"bytes */{len(AUDIO)}"
    assert answer.json()["error"]["code"] == "range_not_satisfiable"
    malformed = get(client, tokens["ann"], range="bytes=abc")
    assert malformed.status_code == 400
    assert malformed.json()["error"]["message"].startswith("header 'Range'")


def test_a_call_without_recording_says_why(
    client: TestClient, tokens: dict[str, str], recorded: str
) -> None:
    answer = get(client, tokens["ada"], "bobs")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": {"code": "not_found", "message": "call 'bobs' has no recording: no audio"}
    }
    other = get(client, tokens["ada"], "other")
    assert other.json()["error"]["message"] == "call 'other' has no recording: none was stored"


def test_a_recording_missing_from_the_vault_is_404(
    client: TestClient, settings: Settings, tokens: dict[str, str], recorded: str
) -> None:
    (settings.recordings_dir / "2024/05/01/anns.wav").unlink()
    answer = get(client, tokens["ada"])
    assert answer.status_code == 404
    assert "missing from the vault" in answer.json()["error"]["message"]


def test_agents_fetch_only_their_own_calls_recordings(
    client: TestClient, tokens: dict[str, str], recorded: str
) -> None:
    answer = get(client, tokens["bob"])
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "no call 'anns'"
    for user in ("cleo", "ada"):
        assert get(client, tokens[user]).status_code == 200
    # a supervisor sees the calls of the teams they supervise: sam supervises none
    assert get(client, tokens["sam"]).status_code == 404


def test_every_fetch_is_audited(
    client: TestClient, settings: Settings, tokens: dict[str, str], recorded: str
) -> None:
    get(client, tokens["ann"], range="bytes=0-99")
    client.get("/api/calls/anns/recording", headers=bearer(tokens["ada"]), params={"download": 1})
    get(client, tokens["bob"])  # not allowed: not audited
    with Journal.open(settings.journal_url) as journal:
        entries = journal.list_audit()
    assert [(e.username, e.action, e.call_id) for e in entries] == [
        ("ada", "download", 1),
        ("ann", "playback", 1),
    ]
    assert entries[1].detail == '{"range": "bytes=0-99"}'
    assert entries[1].client == "testclient"
