"""Suite-wide: no test writes into the user's data directory."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = os.environ.get("CALLVAULT_DATA_DIR")
    os.environ["CALLVAULT_DATA_DIR"] = str(tmp_path_factory.mktemp("callvault-data"))
    yield
    if previous is None:
        os.environ.pop("CALLVAULT_DATA_DIR", None)
    else:
        os.environ["CALLVAULT_DATA_DIR"] = previous
