"""The schema comes from the migrations alone, and the migrations match the models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from callvault.journal import Journal, migrate
from callvault.journal.schema import metadata


@pytest.fixture
def journal_url(empty_journal_url: str) -> str:
    """These tests open and migrate the journal themselves: it starts empty."""
    return empty_journal_url


@pytest.fixture
def engine(journal_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(journal_url)
    yield engine
    engine.dispose()


def test_opening_an_empty_database_creates_the_schema(journal_url: str, engine: sa.Engine) -> None:
    Journal.open(journal_url).close()
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) == {
        "alembic_version",
        "calls",
        "streams",
        "events",
        "users",
        "api_tokens",
        "audit",
        "teams",
        "team_supervisors",
        "agents",
        "agent_extensions",
        "queues",
        "tracked_numbers",
        "tracked_number_costs",
        "webhooks",
        "webhook_deliveries",
        "sessions",
        "kpi_rollups",
        "kpi_rollup_dirty",
        "kpi_rollup_state",
        "live_calls",
        "saved_searches",
        "user_preferences",
        "consent_checks",
        "quality_scorecards",
        "quality_scorecard_versions",
        "quality_sections",
        "quality_questions",
        "quality_evaluations",
        "quality_answers",
        "quality_moment_comments",
        "quality_playlists",
        "quality_playlist_items",
        "siprec_participants",
        "siprec_streams",
    }
    # Each column leads an index (the call list's are (column, started_at, id)).
    indexed = {tuple(index["column_names"][:1]) for index in inspector.get_indexes("calls")}
    for column in (
        "started_at",
        "caller_number",
        "caller_e164",
        "callee_number",
        "callee_e164",
        "status",
        "direction",
        "sip_call_id",
        "agent_id",
        "team_id",
        "queue_id",
        "channel",
        "campaign",
    ):
        assert (column,) in indexed
    unique = inspector.get_unique_constraints("calls")
    assert [constraint["column_names"] for constraint in unique] == [["uid"]]
    for child in ("streams", "events"):
        (foreign_key,) = inspector.get_foreign_keys(child)
        assert foreign_key["referred_table"] == "calls"
        assert foreign_key["options"].get("ondelete") == "CASCADE"
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()


def test_the_migrations_produce_exactly_the_models(journal_url: str, engine: sa.Engine) -> None:
    """Alembic's autogenerate finds nothing to do: schema.py and versions/ agree."""
    Journal.open(journal_url).close()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_opening_again_changes_nothing(journal_url: str, engine: sa.Engine) -> None:
    Journal.open(journal_url).close()
    before = sorted(sa.inspect(engine).get_table_names())  # PostgreSQL's order is unspecified
    Journal.open(journal_url).close()
    engine.dispose()
    assert sorted(sa.inspect(engine).get_table_names()) == before


def test_every_migration_goes_down_and_up_again(journal_url: str, engine: sa.Engine) -> None:
    Journal.open(journal_url).close()
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    with engine.begin() as connection:
        migrate.upgrade(connection)
        assert migrate.current_revision(connection) == migrate.head_revision()
