"""End to end: `callvault serve --record-siprec` records a SIPp SIPREC session while a
client follows GET /api/events; the call is on GET /api/live/calls while it lasts, an
agent pauses its recording through the API, and the stream tells call.started, the
pause, and call.finished with the saved call."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx2 as httpx
import pytest

from callvault.accounts import Accounts, Role, credentials

SIPREC_TESTS = Path(__file__).resolve().parents[1] / "siprec"
PASSWORD = "pw-for-live-siprec"

pytestmark = pytest.mark.timeout(180)


def _helpers() -> ModuleType:
    """The SIPREC tests' helpers (SIPp scenarios, RTP captures), loaded by path."""
    spec = importlib.util.spec_from_file_location(
        "live_siprec_helpers", SIPREC_TESTS / "siprec_helpers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


helpers = _helpers()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """`callvault serve --record-siprec` on free ports: (API base URL, SIP port, process);
    agent ann (extension 1001, the scenario's callee) has an account."""
    helpers.need_sipp()
    data = tmp_path / "data"
    with pytest.MonkeyPatch.context() as patch, Accounts.open(
        f"sqlite:///{data / 'journal.sqlite3'}"
    ) as accounts:
        patch.setattr(credentials, "SCRYPT_LOG_N", 10)
        accounts.add_user("admin", Role.ADMIN, password=PASSWORD)
        accounts.add_user("ann", Role.AGENT, password=PASSWORD, extensions=["1001"])
    port = helpers.free_port(socket.SOCK_STREAM)
    low = 20000 + (os.getpid() * 64 + 32) % 30000
    environment = {**os.environ, "CALLVAULT_DATA_DIR": str(data),
                   "CALLVAULT_SIPREC_RTP_PORTS": f"{low}-{low + 30}"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "callvault", "serve", "--port", str(port),
             "--record-siprec", "--siprec-port", "0"],
            env=environment, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90  # a busy machine starts slowly
        while not (found := re.search(r"SIPREC recording on udp [^ ]+:(\d+)", log.read_text())):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"callvault serve --record-siprec did not start: {log.read_text()}")
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the API did not answer: {log.read_text()}")
                time.sleep(0.1)
        yield base, int(found[1]), process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def _follow(response: httpx.Response, into: queue.Queue[tuple[str, dict[str, Any]]]) -> None:
    name = None
    try:
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: ") and name:
                into.put((name, json.loads(line[len("data: "):])))
    except httpx.HTTPError:
        pass


def _until(events: queue.Queue[tuple[str, dict[str, Any]]], wanted: str,
           timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        name, data = events.get(timeout=max(0.1, deadline - time.monotonic()))
        if name == wanted:
            return data


def test_a_siprec_session_is_live_controllable_and_then_finished(
    server: tuple[str, int, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    base, sip_port, _ = server
    helpers.rtp_pcap(tmp_path / "audio.pcap",
                     [helpers.known_audio(5, 1), helpers.known_audio(5, 2)])
    xml = helpers.scenario(tmp_path, "siprec_record.xml", pcap=tmp_path / "audio.pcap",
                           hold_ms=5500)
    events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    ann = httpx.BasicAuth("ann", PASSWORD)
    with (
        httpx.Client(base_url=base, auth=ann, timeout=httpx.Timeout(10, read=60)) as client,
        client.stream("GET", "/api/events") as stream,
    ):
        threading.Thread(target=_follow, args=(stream, events), daemon=True).start()
        sipp: dict[str, subprocess.CompletedProcess[str]] = {}
        caller = threading.Thread(
            target=lambda: sipp.setdefault("run", helpers.run_sipp(tmp_path, sip_port, xml)))
        caller.start()

        started = _until(events, "call.started")
        call_id = started["call_id"]
        assert (started["source"], started["callee_number"]) == ("siprec", "1001")
        listed = client.get("/api/live/calls").json()
        assert [call["call_id"] for call in listed["data"]] == [call_id]

        # Ann pauses the recording; the recorder applies it and the stream says so.
        asked = client.post(f"/api/live/calls/{call_id}/recording", json={"action": "pause"})
        assert asked.status_code == 202, asked.text
        deadline = time.monotonic() + 10
        while (update := _until(events, "call.updated"))["recording"] != "paused":
            assert time.monotonic() < deadline, update
        assert update["requested"] is None

        finished = _until(events, "call.finished", timeout=30)
        assert finished["uid"] == call_id
        assert finished["recording"] is not None
        caller.join(timeout=30)
        assert sipp["run"].returncode == 0, sipp["run"].stdout[-2000:]

    detail = httpx.get(f"{base}/api/calls/{call_id}", auth=ann).json()
    recording_events = [e["value"] for e in detail["events"] if e["kind"] == "recording"]
    assert "paused" in recording_events
    assert httpx.get(f"{base}/api/live/calls", auth=ann).json()["count"] == 0
