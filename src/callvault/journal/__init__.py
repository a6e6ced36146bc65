"""The call journal: schema, Alembic migrations, the repository that reads and writes it.

``CallFilter`` is imported from ``journal.filters`` on first use (:func:`__getattr__`): it
builds SQLAlchemy conditions, and writing a capture to a SQLite journal needs no SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callvault.journal.repository import Journal

if TYPE_CHECKING:
    from callvault.journal.filters import CallFilter

__all__ = ["CallFilter", "Journal"]


def __getattr__(name: str) -> object:
    if name == "CallFilter":
        from callvault.journal.filters import CallFilter

        globals()["CallFilter"] = CallFilter
        return CallFilter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
