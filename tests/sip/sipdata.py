"""Shared paths and loaders for the SIP tests."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
RFC4475 = DATA / "rfc4475"
CAPTURED = DATA / "sip"
SHARED_TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"


def rfc4475(name: str) -> bytes:
    """Bytes of RFC 4475 test message ``name`` (e.g. "wsinv")."""
    return (RFC4475 / f"{name}.dat").read_bytes()


def captured(name: str) -> bytes:
    """Bytes of a SIP message cut from a public or generated capture (tests/data/sip)."""
    return (CAPTURED / name).read_bytes()
