"""Suite-wide: no test writes into the user's data directory; PostgreSQL for the tests that
run on it too (an engine for the session or a skip saying why there is none, and a fresh
schema per test, dropped after).

PostgreSQL: $CALLVAULT_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from callvault.config import Settings


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
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A journal URL on each backend: SQLite in the test's data directory, and PostgreSQL in
    a fresh schema (skipped, saying why, where no server answers)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'journal.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def backend_settings(journal_url: str, tmp_path: Path) -> Settings:
    """Settings whose journal is ``journal_url`` (data directory in the test's tmp_path)."""
    if journal_url.startswith("sqlite"):
        return Settings(data_dir=tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", database_url=journal_url)
