"""The directory: agents, teams, queues and tracked numbers, and which of them each call
belongs to (``docs/directory.md``).

The names below are imported from their submodules on first use (:func:`__getattr__`):
ingest needs only ``directory.snapshot``, and importing a submodule runs this file first,
so importing the CSV import, repository and model here would add ≈ 40 ms to its start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callvault.directory.csvimport import KINDS, import_csv
    from callvault.directory.model import (
        Agent,
        Cost,
        DirectoryError,
        Queue,
        Team,
        TrackedNumber,
        UnknownName,
    )
    from callvault.directory.repository import UNCHANGED, Directory
    from callvault.directory.snapshot import Snapshot, Verdict

_SUBMODULE = {
    "KINDS": "csvimport",
    "import_csv": "csvimport",
    "Agent": "model",
    "Cost": "model",
    "DirectoryError": "model",
    "Queue": "model",
    "Team": "model",
    "TrackedNumber": "model",
    "UnknownName": "model",
    "UNCHANGED": "repository",
    "Directory": "repository",
    "Snapshot": "snapshot",
    "Verdict": "snapshot",
}
"""Which submodule defines each public name."""

__all__ = [
    "KINDS",
    "UNCHANGED",
    "Agent",
    "Cost",
    "Directory",
    "DirectoryError",
    "Queue",
    "Snapshot",
    "Team",
    "TrackedNumber",
    "UnknownName",
    "Verdict",
    "import_csv",
]


def __getattr__(name: str) -> object:
    """Import a public name's submodule when the name is first read, and keep the name."""
    if name not in _SUBMODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_SUBMODULE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, imported or not, for ``dir()`` and completion."""
    return sorted(set(globals()) | set(__all__))
