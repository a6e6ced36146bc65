"""Importer tests: settings in a private data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from callvault.commands.common import settings_from
from callvault.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_from(data_dir=tmp_path / "data")
