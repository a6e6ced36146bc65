"""The schema builds the tables writing calls needs on import and every other one on first
use: the same tables, the same DDL, whichever module asks first."""

from __future__ import annotations

import subprocess
import sys

import pytest

from callvault.journal import schema

_DDL = (
    "from sqlalchemy.dialects import postgresql, sqlite\n"
    "from sqlalchemy.schema import CreateIndex, CreateTable\n"
    "from callvault.journal import schema\n"
    "schema.declare_postgresql_options()\n"
    "for dialect in (sqlite.dialect(), postgresql.dialect()):\n"
    "    for table in schema.metadata.sorted_tables:\n"
    "        print(CreateTable(table).compile(dialect=dialect))\n"
    "        for index in sorted(table.indexes, key=lambda i: i.name):\n"
    "            print(CreateIndex(index).compile(dialect=dialect))\n"
)


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return done.stdout


def test_the_ingest_command_builds_only_the_tables_it_writes_and_reads() -> None:
    code = (
        "import sys, callvault.commands.ingest\n"
        "from callvault.journal import schema\n"
        "print(sorted(schema._metadata.tables))\n"
        "print(sorted(m for m in sys.modules if m in schema.FEATURE_MODULES))\n"
    )
    tables, modules = _run(code).splitlines()
    assert tables == repr(
        sorted(
            {
                "calls",
                "streams",
                "events",
                "audit",
                "teams",
                "agents",
                "agent_extensions",
                "queues",
                "tracked_numbers",
                "webhooks",
                "webhook_deliveries",
            }
        )
    )
    assert modules == "[]"


@pytest.mark.parametrize(
    "first",
    [
        "import callvault.journal.schema",
        "import callvault.journal.schema_quality",
        "import callvault.journal.schema_accounts",
        "from callvault.journal.schema import kpi_rollups",
        "import callvault.commands.ingest",
    ],
)
def test_every_table_is_there_whichever_module_comes_first(first: str) -> None:
    ddl = _run(f"{first}\n{_DDL}")
    assert ddl == _run(_DDL)
    assert ddl.count("CREATE TABLE") == 2 * 34


def test_moved_tables_are_read_from_the_schema_module_too() -> None:
    from callvault.journal import schema_accounts, schema_analytics

    assert schema.users is schema_accounts.users
    assert schema.kpi_rollups is schema_analytics.kpi_rollups
    assert schema.metadata.tables["users"] is schema_accounts.users
    assert set(schema.metadata.tables) >= {"quality_answers", "live_calls", "consent_checks"}
    with pytest.raises(AttributeError, match="no_such_table"):
        _ = schema.no_such_table  # type: ignore[attr-defined]
