"""The writer's adapter for None: what the sqlite3 module binds for None stays NULL."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from callvault.journal.writer import CallWriter, EngineConnections


def test_none_is_still_bound_as_null() -> None:
    engine = sa.create_engine("sqlite://")
    try:
        CallWriter(EngineConnections(engine))  # registers the adapter for None
        assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters
        connection = sqlite3.connect(":memory:")
        try:
            found = connection.execute(
                "SELECT typeof(?), ? IS NULL, typeof(?), typeof(?)", (None, None, "", 0)
            ).fetchone()
            connection.execute("CREATE TABLE t (a TEXT NOT NULL)")
            try:
                connection.execute("INSERT INTO t VALUES (?)", (None,))
            except sqlite3.IntegrityError:
                refused = True
            else:
                refused = False
        finally:
            connection.close()
    finally:
        engine.dispose()
    assert found == ("null", 1, "text", "integer")
    assert refused
