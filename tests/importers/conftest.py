"""Shared by the importer tests: the public CDR samples, settings in a private data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from callvault.commands.common import settings_from
from callvault.config import Settings

CDR_DIR = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "cdr"
DATA = Path(__file__).parent / "data"


def cdr_file(name: str) -> Path:
    """A file of ../shared/testdata/cdr, or a skip saying which is missing."""
    path = CDR_DIR / name
    if not path.is_file():
        pytest.skip(f"CDR sample {path} is not here (see shared/testdata/cdr/SOURCES.md)")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_from(data_dir=tmp_path / "data")
