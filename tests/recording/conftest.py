"""Helpers for recording tests: ingest into a private data directory, read channels back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.model import Call
from callvault.config import Settings
from callvault.engine import IngestSummary, ingest_file

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT.parent / "shared" / "testdata"
GENERATED = TESTDATA / "generated"
ORACLE = ROOT / "tests" / "oracle" / "expected"


def shared(name: str) -> Path:
    for folder in ("generated", "pcaps"):
        path = TESTDATA / folder / name
        if path.exists():
            return path
    pytest.skip(f"{name} is not in {TESTDATA} (the shared test data is absent)")


def oracle(name: str) -> dict:
    return json.loads((ORACLE / f"{name}.json").read_text())


def record(
    path: Path, data_dir: Path, **settings: object
) -> tuple[list[Call], IngestSummary, Settings]:
    s = Settings(data_dir=data_dir, **settings)
    calls: list[Call] = []
    summary = ingest_file(path, s, calls.append)
    return calls, summary, s


def wav_codes(settings: Settings, call: Call) -> np.ndarray:
    """The stored G.711 codes of a WAV recording, shape (frames, 2)."""
    assert call.recording is not None and call.recording.encoding in ("ulaw", "alaw")
    data = (settings.recordings_dir / call.recording.path).read_bytes()
    start = data.index(b"data") + 8
    return np.frombuffer(data[start:], dtype=np.uint8).reshape(-1, 2)
