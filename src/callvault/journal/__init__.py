"""The call journal: schema, Alembic migrations, the repository that reads and writes it."""

from callvault.journal.filters import CallFilter
from callvault.journal.repository import Journal

__all__ = ["CallFilter", "Journal"]
