"""The journal's schema stays cheap to import for SQLite and complete for PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from callvault.journal import schema


def test_importing_the_schema_does_not_load_the_postgresql_dialect() -> None:
    code = (
        "import sys, callvault.journal.schema\n"
        "assert 'sqlalchemy.dialects.postgresql' not in sys.modules, 'PostgreSQL dialect loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_commented_index_is_partial_in_both_dialects() -> None:
    schema.declare_postgresql_options()
    schema.declare_postgresql_options()
    index = next(i for i in schema.calls.indexes if i.name == "ix_calls_commented_started_at_id")
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        ddl = str(CreateIndex(index).compile(dialect=dialect))
        assert ddl.endswith(" WHERE comment IS NOT NULL"), ddl
