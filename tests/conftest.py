"""Suite-wide: no test writes into the user's data directory; PostgreSQL for the tests that
run on it too (an engine for the session or a skip saying why there is none, and a fresh
schema per test, dropped after).

``journal_url`` hands each test a journal already at the head of the migrations, copied from
one migrated once per session (SQLite: the file; PostgreSQL: ``CREATE DATABASE … TEMPLATE``,
≈ 0.1 s where migrating costs ≈ 1 s); ``empty_journal_url`` gives an empty one, for the tests
of opening and migrating.

PostgreSQL: $CALLVAULT_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from callvault.config import Settings
from callvault.journal import Journal


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = os.environ.get("CALLVAULT_DATA_DIR")
    os.environ["CALLVAULT_DATA_DIR"] = str(tmp_path_factory.mktemp("callvault-data"))
    yield
    if previous is None:
        os.environ.pop("CALLVAULT_DATA_DIR", None)
    else:
        os.environ["CALLVAULT_DATA_DIR"] = previous


POSTGRES_URL = os.environ.get(
    "CALLVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[sa.Engine]:
    """An engine on the test server, or a skip saying why there is none."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("PostgreSQL tests need psycopg: pip install 'psycopg[binary]'")
    engine = sa.create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0]
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL} ({reason}); set CALLVAULT_TEST_POSTGRES_URL")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_engine: sa.Engine) -> Iterator[str]:
    """The URL of a fresh, empty schema (the connection's search_path), dropped afterwards."""
    schema = f"callvault_test_{secrets.token_hex(6)}"
    with postgres_engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with postgres_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty journal's URL on each backend: SQLite in the test's data directory, and
    PostgreSQL in a fresh schema (skipped, saying why, where no server answers)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'journal.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite journal at the head of the migrations, its write-ahead log checkpointed."""
    path = tmp_path_factory.mktemp("journal-template") / "journal.sqlite3"
    Journal.open(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def _postgres_template(postgres_engine: sa.Engine) -> Iterator[str | None]:
    """The name of a database at the head of the migrations to clone, or None where this
    server's user may not create databases (each test then migrates a fresh schema)."""
    name = f"callvault_template_{secrets.token_hex(6)}"
    try:
        with postgres_engine.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.DBAPIError:
        yield None
        return
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    Journal.open(url).close()
    sa.create_engine(url).dispose()
    yield name
    with postgres_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A journal URL on each backend, the journal at the head of the migrations and empty of
    calls: SQLite in the test's data directory, PostgreSQL in a database of its own (skipped,
    saying why, where no server answers)."""
    if request.param == "sqlite":
        path = tmp_path / "data" / "journal.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    yield request.getfixturevalue("postgres_journal_url")


@pytest.fixture
def postgres_journal_url(
    request: pytest.FixtureRequest, postgres_engine: sa.Engine, _postgres_template: str | None
) -> Iterator[str]:
    """A PostgreSQL journal at the head of the migrations, empty of calls, in a database of
    its own (a fresh schema migrated where databases cannot be created), dropped after."""
    if _postgres_template is None:
        yield request.getfixturevalue("postgres_url")
        return
    name = f"callvault_test_{secrets.token_hex(6)}"
    with postgres_engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {_postgres_template}")
    yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with postgres_engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def backend_settings(journal_url: str, tmp_path: Path) -> Settings:
    """Settings whose journal is ``journal_url`` (data directory in the test's tmp_path)."""
    if journal_url.startswith("sqlite"):
        return Settings(data_dir=tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", database_url=journal_url)
