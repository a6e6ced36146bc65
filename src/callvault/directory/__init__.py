"""The directory: agents, teams, queues and tracked numbers, and which of them each call
belongs to (``docs/directory.md``)."""

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
