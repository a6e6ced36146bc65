"""The event stream of a real `callvault serve`, read by an httpx streaming client: a call
put on the board arrives as call.started, its changes as call.updated, its saved journal
row as call.finished; SIGTERM ends the stream and the server promptly."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from callvault.accounts import Accounts, Role, credentials
from callvault.calls.model import Call, CallStatus, Direction, Party
from callvault.journal import Journal
from callvault.live import LiveBoard, LiveCall

PASSWORD = "pw-for-live-events"


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    journal_url: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(journal_url: str, tmp_path: Path) -> Iterator[Served]:
    # The account made here, cheaply hashed: serve then makes none (a default-cost hash
    # takes seconds on a busy machine).
    with pytest.MonkeyPatch.context() as patch, Accounts.open(journal_url) as accounts:
        patch.setattr(credentials, "SCRYPT_LOG_N", 10)
        accounts.add_user("admin", Role.ADMIN, password=PASSWORD)
    port = _free_port()
    environment = {**os.environ, "CALLVAULT_DATA_DIR": str(tmp_path / "data")}
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "callvault", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--db", journal_url],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a busy machine starts slowly
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"callvault serve did not start: {log_path.read_text()}")
                time.sleep(0.2)
        yield Served(base, process, journal_url)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


class Reader:
    """Reads a server-sent events stream in a thread: (event, data) pairs into a queue,
    None when the stream ends."""

    def __init__(self, response: httpx.Response) -> None:
        self.events: queue.Queue[tuple[str, dict[str, object]] | None] = queue.Queue()
        self.comments = 0
        self._response = response
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        name, data = None, ""
        try:
            for line in self._response.iter_lines():
                if line.startswith(":"):
                    self.comments += 1
                elif line.startswith("event: "):
                    name = line[len("event: "):]
                elif line.startswith("data: "):
                    data = line[len("data: "):]
                elif line == "" and name is not None:
                    self.events.put((name, json.loads(data)))
                    name, data = None, ""
        except httpx.HTTPError:
            pass
        self.events.put(None)

    def next(self, timeout: float = 10) -> tuple[str, dict[str, object]] | None:
        return self.events.get(timeout=timeout)


def _finished(uid: str) -> Call:
    start = time.time() - 30
    return Call(uid=uid, sip_call_id=f"{uid}@pbx", started_at=start, answered_at=start + 1,
                ended_at=start + 30, status=CallStatus.ANSWERED, sip_code=200,
                caller=Party(number="+4533123456"), callee=Party(number="201"),
                direction=Direction.INBOUND, codecs=("PCMU/8000",))


def test_events_follow_a_call_from_board_to_journal_and_end_at_shutdown(
    served: Served,
) -> None:
    auth = httpx.BasicAuth("admin", PASSWORD)
    with (
        httpx.Client(base_url=served.base, auth=auth, timeout=httpx.Timeout(10, read=30)) as client,
        client.stream("GET", "/api/events") as response,
        LiveBoard.open(served.journal_url) as board,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = Reader(response)
        time.sleep(1)  # the stream's first poll, of an empty board
        board.started(LiveCall("live-1", "rec-1", "siprec", time.time(),
                               caller_number="+4533123456", callee_number="201"))
        assert reader.next() == ("call.started", board.calls()[0].to_dict())

        board.changed("live-1", answered_at=time.time())
        name, data = reader.next() or ("", {})
        assert name == "call.updated" and data["answered_at"] is not None

        with Journal.open(served.journal_url) as journal:
            journal.save(_finished("live-1"))
        board.ended("live-1")
        seen = [reader.next(), reader.next()]
        names = sorted(event[0] for event in seen if event)
        assert names == ["call.ended", "call.finished"]
        finished = next(event[1] for event in seen if event and event[0] == "call.finished")
        assert finished["uid"] == "live-1"

        stopped_at = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        assert reader.next(timeout=10) is None  # the stream ends…
        # …and so does the server, promptly (uvicorn raises the signal again once shut down)
        assert served.process.wait(timeout=10) in (0, -signal.SIGTERM)
        assert time.monotonic() - stopped_at < 5
