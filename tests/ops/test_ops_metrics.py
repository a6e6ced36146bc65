"""Health and Prometheus metrics: the page parses with prometheus_client's parser, its values
move while a live capture runs and fall when it stops, and only admins and the scraper's
token may read it."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from callvault.accounts import Accounts, Role
from callvault.api import create_app
from callvault.capture.live import LiveCaptureError, LiveInterface
from callvault.config import Settings
from callvault.ops.capture_recorder import CaptureRecorder
from callvault.ops.stats import RecorderStats, write_stats

parser = pytest.importorskip("prometheus_client.parser")

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    return replace(backend_settings, metrics_token=TOKEN)


@pytest.fixture
def api(settings: Settings) -> Iterator[tuple[TestClient, dict[Role, str]]]:
    tokens = {}
    with Accounts.open(settings.journal_url) as accounts:
        for role in Role:
            accounts.add_user(f"u-{role.value}", role, password="pw-for-tests")
            tokens[role] = accounts.issue_token(f"u-{role.value}", "tests")
    with TestClient(create_app(settings)) as client:
        yield client, tokens


def _families(text: str) -> dict[str, list]:  # type: ignore[type-arg]
    return {f.name: f.samples for f in parser.text_string_to_metric_families(text)}


def _value(families: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    family = name[: -len("_total")] if name.endswith("_total") else name
    for sample in families[family]:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return float(sample.value)
    raise AssertionError(f"no sample {name} {labels}")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_only_admins_and_the_scraper_token_read_metrics(api) -> None:  # type: ignore[no-untyped-def]
    client, tokens = api
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=_bearer("wrong")).status_code == 401
    scraped = client.get("/metrics", headers=_bearer(TOKEN))
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    for role, token in tokens.items():
        for path in ("/metrics", "/api/health/details"):
            answer = client.get(path, headers=_bearer(token))
            assert answer.status_code == (200 if role is Role.ADMIN else 403), (role, path)
    refused = client.get("/metrics", headers=_bearer(tokens[Role.AGENT])).json()
    assert "may not read metrics" in refused["error"]["message"]


def test_metrics_move_while_a_capture_runs(api, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    try:
        LiveInterface.open("lo", "udp and port 9").close()
    except LiveCaptureError as exc:
        pytest.skip(f"live capture on lo is not possible here: {exc}")
    client, tokens = api
    admin = _bearer(tokens[Role.ADMIN])
    before = _families(client.get("/metrics", headers=admin).text)
    assert before["callvault_recorder_up"] == []  # no recorder has run here
    assert _value(before, "callvault_calls_in_progress") == 0
    assert _value(before, "callvault_disk_free_bytes") > 0

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        port = sink.getsockname()[1]
        recorder = CaptureRecorder(settings, "lo", f"udp and dst port {port}", name="test-lo",
                                   record=False)
        recorder.open()  # capturing from here on
        runner = threading.Thread(target=recorder.run)
        runner.start()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for i in range(40):
                    s.sendto(b"not a call %d" % i, ("127.0.0.1", port))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                during = _families(client.get("/metrics", headers=_bearer(TOKEN)).text)
                if during["callvault_packets_read"] and _value(
                    during, "callvault_packets_read_total", recorder="test-lo"
                ) >= 40:
                    break
                time.sleep(0.2)
            health = client.get("/api/health/details", headers=admin).json()
        finally:
            recorder.stop()
            runner.join(15)
    assert _value(during, "callvault_recorder_up", recorder="test-lo", source="capture") == 1
    assert _value(during, "callvault_packets_read_total", recorder="test-lo") == 40
    assert _value(during, "callvault_packets_skipped_total", recorder="test-lo",
                  reason="udp neither SIP nor RTP") == 40
    assert _value(during, "callvault_packets_dropped_total", recorder="test-lo",
                  where="kernel") == 0
    assert _value(during, "callvault_packets_dropped_total", recorder="test-lo",
                  where="interface") == 0
    assert _value(during, "callvault_recorder_heartbeat_age_seconds", recorder="test-lo") < 5
    (entry,) = health["recorders"]
    assert entry["name"] == "test-lo" and entry["up"] and entry["running"]

    after = _families(client.get("/metrics", headers=admin).text)
    assert _value(after, "callvault_recorder_up", recorder="test-lo") == 0  # stopped cleanly
    assert _value(after, "callvault_packets_read_total", recorder="test-lo") == 40
    assert client.get("/api/health", headers=admin).json()["status"] == "ok"


def test_a_silent_recorder_or_a_full_disk_degrades_health(api, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    client, tokens = api
    admin = _bearer(tokens[Role.ADMIN])
    assert client.get("/api/health", headers=admin).json()["status"] == "ok"
    hung = RecorderStats("hung", "capture", "eth1", heartbeat_at=time.time() - 60)
    write_stats(settings.data_dir, hung)
    assert client.get("/api/health", headers=admin).json()["status"] == "degraded"
    details = client.get("/api/health/details", headers=admin).json()
    (reason,) = details["reasons"]
    assert re.fullmatch(r"recorder hung: no heartbeat for 6\d s", reason)
    metrics = _families(client.get("/metrics", headers=admin).text)
    assert _value(metrics, "callvault_recorder_up", recorder="hung") == 0
    assert _value(metrics, "callvault_healthy") == 0


def test_the_disk_threshold_degrades_health(tmp_path: Path) -> None:
    from callvault.ops.health import check

    roomy = check(Settings(data_dir=tmp_path / "data", disk_free_min_mb=0))
    assert roomy.status == "ok" and roomy.disk_free_bytes > 0
    full = check(Settings(data_dir=tmp_path / "data", disk_free_min_mb=10**12))
    assert full.status == "degraded"
    (reason,) = full.reasons
    assert reason.startswith("disk: ") and "below disk_free_min_mb" in reason
