"""`callvault serve --capture-interface lo --record-siprec`: the API and two recorders in one
process. A SIPp call in progress shows in /metrics (from the live board); SIGTERM saves it,
takes it off the board, and the recorders say they stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
from live_helpers import Loop, free_udp_ports, journal_calls, wait_for
from prometheus_client.parser import text_string_to_metric_families

from callvault.calls.model import CallStatus
from callvault.journal import Journal
from callvault.live.board import LiveBoard
from callvault.ops.stats import read_stats

PASSWORD = "serve-pw-for-tests"


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _gauge(text: str, name: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return float(sample.value)
    raise AssertionError(f"no {name}")


def test_serve_records_beside_the_api_and_saves_calls_in_progress_on_sigterm(
    can_capture: None, tmp_path: Path, journal_url: str
) -> None:
    uac, uas, uac_media, uas_media = free_udp_ports(4)
    loop = Loop(uac, uas, uac_media, uas_media, tmp_path)
    port = _free_tcp_port()
    data = tmp_path / "data"
    Journal.open(journal_url).close()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "callvault", "serve", "--port", str(port), "--data-dir",
             str(data), "--db", journal_url, "--capture-interface", "lo", "--capture-filter",
             loop.bpf, "--record-siprec", "--siprec-port", "0"],
            stdout=out, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "CALLVAULT_ADMIN_PASSWORD": PASSWORD,
                 "CALLVAULT_SIPREC_RTP_PORTS": f"{uac_media + 100}-{uac_media + 140}"},
        )
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=("admin", PASSWORD))
    server = second = None
    try:
        def both_up() -> dict | None:  # type: ignore[type-arg]
            if serve.poll() is not None:
                raise AssertionError("serve ended: " + log.read_text())
            try:
                details = api.get("/api/health/details").json()
            except httpx.TransportError:
                return None
            up = {r["source"] for r in details["recorders"] if r["up"]}
            return details if up == {"capture", "siprec"} else None

        details = wait_for(both_up, 20, "serve with both recorders up", log)
        assert details["status"] == "ok"
        server = loop.uas()
        second = loop.uac(pause_ms=8000)
        wait_for(lambda: _gauge(api.get("/metrics").text, "callvault_calls_in_progress") == 1,
                 15, "the call in progress on the live board", log)
        assert api.get("/api/health").json()["status"] == "ok"
        serve.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then ends by the signal it was sent
        assert serve.wait(20) in (0, -signal.SIGTERM), log.read_text()
    finally:
        api.close()
        for proc in (serve, server, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
            if proc is not None:
                proc.communicate()

    (call,) = journal_calls(journal_url)
    assert call.status is CallStatus.ANSWERED and call.source == "capture:lo"
    assert call.ended_at is not None
    with LiveBoard.open(journal_url) as board:
        assert board.calls() == []
    stats = {s.source: s for s in read_stats(data)}
    assert set(stats) == {"capture", "siprec"}
    assert not stats["capture"].running and stats["capture"].calls_finished == 1
    assert not stats["siprec"].running
    assert time.time() - stats["capture"].heartbeat_at < 30
