"""What the importer tests share: where the public CDR samples and the fixtures are."""

from __future__ import annotations

from pathlib import Path

import pytest

CDR_DIR = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "cdr"
DATA = Path(__file__).parent / "data"


def cdr_file(name: str) -> Path:
    """A file of ../shared/testdata/cdr, or a skip saying which is missing."""
    path = CDR_DIR / name
    if not path.is_file():
        pytest.skip(f"CDR sample {path} is not here (see shared/testdata/cdr/SOURCES.md)")
    return path
