"""Saved searches and preferences in the journal's database (``schema_console``).

Every read and write names the user: a user reaches only their own rows, whatever id they
send. Filters are stored as given after validation by the API (``preference_routes``);
this module keeps them as JSON and gives them back unchanged.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from callvault.console_prefs.columns import JOURNAL_COLUMNS
from callvault.errors import CallvaultError
from callvault.journal.engine import WRITER
from callvault.journal.schema_console import saved_searches, user_preferences

MAX_SAVED_SEARCHES: Final = 200
"""Per user: enough for anyone's habits, few enough that the list stays a list."""


class DuplicateName(CallvaultError):
    """The user already has a saved search of that name."""


class TooMany(CallvaultError):
    """The user has ``MAX_SAVED_SEARCHES`` saved searches already."""


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    name: str
    filters: dict[str, Any]
    created_at: float
    updated_at: float


class Preferences(BaseModel):
    """What a user chose; null: the console's default."""

    model_config = ConfigDict(extra="forbid")

    journal_columns: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=len(JOURNAL_COLUMNS),
        description="The journal's columns, in order: names of GET /api/preferences/columns.",
    )

    @field_validator("journal_columns")
    @classmethod
    def _known_columns(cls, columns: list[str] | None) -> list[str] | None:
        if columns is None:
            return None
        for column in columns:
            if column not in JOURNAL_COLUMNS:
                raise ValueError(f"unknown column {column!r}")
        if len(set(columns)) != len(columns):
            raise ValueError("each column at most once")
        return columns


class PrefsStore:
    """The console's per-user rows, on the journal's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})

    # -- saved searches -------------------------------------------------------------------

    def searches(self, user_id: int) -> list[SavedSearch]:
        """The user's saved searches by name."""
        query = (
            sa.select(saved_searches)
            .where(saved_searches.c.user_id == user_id)
            .order_by(saved_searches.c.name, saved_searches.c.id)
        )
        with self._engine.connect() as connection:
            return [_search(row) for row in connection.execute(query).mappings()]

    def search(self, user_id: int, search_id: int) -> SavedSearch | None:
        query = sa.select(saved_searches).where(
            saved_searches.c.user_id == user_id, saved_searches.c.id == search_id
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else _search(row)

    def add_search(self, user_id: int, name: str, filters: dict[str, Any]) -> SavedSearch:
        now = time.time()
        counted = sa.select(sa.func.count()).where(saved_searches.c.user_id == user_id)
        try:
            with self._writer.begin() as connection:
                self._check_free(connection, user_id, name, None)
                if connection.execute(counted).scalar_one() >= MAX_SAVED_SEARCHES:
                    raise TooMany(
                        f"{MAX_SAVED_SEARCHES} saved searches already: delete one first"
                    )
                key = connection.execute(
                    saved_searches.insert().values(
                        user_id=user_id,
                        name=name,
                        filters=json.dumps(filters, ensure_ascii=False),
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key
        except IntegrityError:  # the same name saved meanwhile
            raise DuplicateName(_duplicate(name)) from None
        assert key is not None
        found = self.search(user_id, int(key[0]))
        assert found is not None
        return found

    def change_search(
        self,
        user_id: int,
        search_id: int,
        *,
        name: str | None = None,
        filters: dict[str, Any] | None = None,
    ) -> SavedSearch | None:
        """Rename a saved search and/or replace its filters; None when the user has no
        saved search ``search_id``."""
        values: dict[str, Any] = {"updated_at": time.time()}
        if name is not None:
            values["name"] = name
        if filters is not None:
            values["filters"] = json.dumps(filters, ensure_ascii=False)
        statement = (
            saved_searches.update()
            .where(saved_searches.c.user_id == user_id, saved_searches.c.id == search_id)
            .values(values)
        )
        try:
            with self._writer.begin() as connection:
                if name is not None:
                    self._check_free(connection, user_id, name, search_id)
                if connection.execute(statement).rowcount == 0:
                    return None
        except IntegrityError:
            raise DuplicateName(_duplicate(name or "")) from None
        return self.search(user_id, search_id)

    def remove_search(self, user_id: int, search_id: int) -> bool:
        statement = saved_searches.delete().where(
            saved_searches.c.user_id == user_id, saved_searches.c.id == search_id
        )
        with self._writer.begin() as connection:
            return connection.execute(statement).rowcount > 0

    @staticmethod
    def _check_free(
        connection: sa.Connection, user_id: int, name: str, but: int | None
    ) -> None:
        query = sa.select(saved_searches.c.id).where(
            saved_searches.c.user_id == user_id, saved_searches.c.name == name
        )
        if but is not None:
            query = query.where(saved_searches.c.id != but)
        if connection.execute(query).first() is not None:
            raise DuplicateName(_duplicate(name))

    # -- preferences ----------------------------------------------------------------------

    def preferences(self, user_id: int) -> Preferences:
        query = sa.select(user_preferences.c.preferences).where(
            user_preferences.c.user_id == user_id
        )
        with self._engine.connect() as connection:
            text = connection.execute(query).scalar_one_or_none()
        if text is None:
            return Preferences()
        # Stored by this module after validation; a column since removed is dropped.
        stored = json.loads(text)
        columns = stored.get("journal_columns")
        if columns is not None:
            stored["journal_columns"] = [c for c in columns if c in JOURNAL_COLUMNS] or None
        return Preferences.model_validate(stored)

    def set_preferences(self, user_id: int, preferences: Preferences) -> Preferences:
        text = preferences.model_dump_json(exclude_none=True)
        now = time.time()
        where = user_preferences.c.user_id == user_id
        for _ in range(2):  # a concurrent first write may win the insert: then update
            try:
                with self._writer.begin() as connection:
                    changed = connection.execute(
                        user_preferences.update().where(where).values(
                            preferences=text, updated_at=now
                        )
                    ).rowcount
                    if not changed:
                        connection.execute(
                            user_preferences.insert().values(
                                user_id=user_id, preferences=text, updated_at=now
                            )
                        )
                break
            except IntegrityError:
                continue
        return self.preferences(user_id)


def _search(row: Any) -> SavedSearch:
    return SavedSearch(
        id=int(row["id"]),
        name=row["name"],
        filters=json.loads(row["filters"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
    )


def _duplicate(name: str) -> str:
    return f"a saved search named {name!r} exists already: choose another name"
