"""`callvault serve` for real: a process on a free port, the first admin created at setup,
logging in over HTTP with the password it printed."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from callvault.accounts import Accounts, Role
from callvault.commands.serve import ensure_first_admin
from callvault.config import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_first_admin_is_created_once(tmp_path: Path) -> None:
    url = Settings(data_dir=tmp_path / "data").journal_url
    password = ensure_first_admin(url)
    assert password and len(password) >= 16
    assert ensure_first_admin(url) is None  # accounts exist: nothing more
    with Accounts.open(url) as accounts:
        (admin,) = accounts.list_users()
        assert (admin.username, admin.role) == ("admin", Role.ADMIN)
        assert accounts.user_for_password("admin", password) is not None


def test_serve_creates_the_first_admin_and_answers_only_with_credentials(tmp_path: Path) -> None:
    port = _free_port()
    environment = {**os.environ, "CALLVAULT_DATA_DIR": str(tmp_path / "data")}
    environment.pop("CALLVAULT_ADMIN_PASSWORD", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "callvault", "serve", "--port", str(port)],
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
        match = re.search(r"created the first admin account 'admin' with password (\S+)", first)
        assert match, first
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                refused = httpx.get(f"{base}/api/health", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("callvault serve did not start")
                time.sleep(0.2)
        assert refused.status_code == 401
        with httpx.Client(base_url=base, timeout=10) as browser:
            login = browser.post(
                "/api/session", json={"username": "admin", "password": match.group(1)}
            )
            assert login.status_code == 200, login.text
            assert browser.get("/api/health").json() == {"status": "ok", "calls": 0}
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stderr is not None:
            server.stderr.close()
