"""What the webhook tests share: a receiver (http.server in a thread) that records every
POST and checks its signature, a call to save, and an address nothing listens on."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from callvault.calls.model import Call, CallEvent, CallStatus, Direction, MediaStream, Party, Side
from callvault.webhooks import verify

T0 = 1_714_567_890.0
SECRET = "whsec_test-secret-0123456789"


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool
    """Whether Callvault-Signature verified with the receiver's secret."""

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """POSTs land in ``received``; the first ``fail_first`` answer ``fail_status``."""

    secret: str = SECRET
    fail_first: int = 0
    fail_status: int = 503
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = verify(receiver.secret, self.headers.get("Callvault-Signature", ""), body)
                with receiver._lock:
                    receiver.received.append(
                        Received(time.time(), self.path, dict(self.headers), body, signed)
                    )
                    failing = len(receiver.received) <= receiver.fail_first
                status = receiver.fail_status if failing else (204 if signed else 401)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/callvault"

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"{len(self.received)} POSTs arrived, {count} expected")

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody"


def make_call(uid: str = "wh-1", start: float = T0, **fields: Any) -> Call:
    call = Call(
        uid=uid,
        sip_call_id=f"{uid}@pbx.example.com",
        started_at=start,
        answered_at=start + 2,
        ended_at=start + 62,
        status=CallStatus.ANSWERED,
        sip_code=200,
        caller=Party(number="+4533123456", e164="+4533123456"),
        callee=Party(number="201"),
        direction=Direction.INBOUND,
        codecs=("PCMU/8000",),
        streams=[
            MediaStream(
                ssrc=1,
                src_ip="10.0.0.1",
                src_port=4000,
                dst_ip="10.0.0.2",
                dst_port=5000,
                side=Side.CALLER,
                payload_types=(0,),
                codec="PCMU/8000",
                packets=3000,
                bytes=516000,
                first_at=start + 2,
                last_at=start + 62,
            ),
        ],
        events=[CallEvent(kind="dtmf", at=start + 10, party=Side.CALLER, value="5")],
    )
    for name, value in fields.items():
        setattr(call, name, value)
    return call
