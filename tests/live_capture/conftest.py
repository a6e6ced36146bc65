"""The live-capture tests need SIPp and permission to capture on lo (root or CAP_NET_RAW)."""

from __future__ import annotations

import shutil

import pytest

from callvault.capture.live import LiveCaptureError, LiveInterface


@pytest.fixture(scope="session")
def can_capture() -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp (Debian package sip-tester) is not installed")
    try:
        LiveInterface.open("lo", "udp and port 9").close()
    except LiveCaptureError as exc:
        pytest.skip(f"live capture on lo is not possible here: {exc}")


