"""A real console: `callvault serve` on a free loopback port over the journal of
``console_helpers.populate``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from console_helpers import Console, populate

from callvault.config import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """`python -m callvault serve` on a free port, answering; stopped after the module."""
    data_dir = tmp_path_factory.mktemp("console") / "data"
    settings = Settings(data_dir=data_dir)
    ids = populate(settings)
    port = _free_port()
    environment = {**os.environ, "CALLVAULT_DATA_DIR": str(data_dir)}
    log = (data_dir / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "callvault", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a loaded machine starts slowly
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    output = (data_dir / "serve.log").read_text()
                    pytest.fail(f"callvault serve did not start: {output}")
                time.sleep(0.2)
        yield Console(base, settings, ids)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
