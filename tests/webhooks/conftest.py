"""A real HTTP receiver on 127.0.0.1 that checks signatures, and journals on SQLite and
PostgreSQL (a schema of its own per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_helpers import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
