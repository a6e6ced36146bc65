"""Saved searches and preferences: the console's per-user state, as an API.

A saved search is a name and the filters of ``GET /api/calls`` (its query parameters as a
JSON object: ``{"status": ["missed"], "since": "2024-05-01T00:00:00Z"}``). The filters are
checked by the very parser of ``GET /api/calls`` — the same parameter names, types, bounds
and ``CallFilter`` rules — so a saved search always applies; a bad one is a 400 naming the
parameter. Every user sees and changes only their own.
"""

from __future__ import annotations

import inspect
import re
import typing
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from callvault.accounts import User
from callvault.api.errors import ApiError, BadRequest, NotFound
from callvault.api.permissions import Allowed, Permission
from callvault.api.routes import MAX_OFFSET, Filters
from callvault.console_prefs import (
    DEFAULT_COLUMNS,
    JOURNAL_COLUMNS,
    DuplicateName,
    Preferences,
    PrefsStore,
    SavedSearch,
    TooMany,
)

preference_router = APIRouter(prefix="/api")

Reader = Annotated[User, Allowed(Permission.CALLS_READ)]

NOT_SAVED: typing.Final = frozenset({"after_id"})
"""List parameters that mean "now", not a search."""
MAX_FILTERS_CHARS: typing.Final = 8000


class Conflict(ApiError):
    status = 409
    code = "conflict"


def _store(request: Request) -> PrefsStore:
    store: PrefsStore | None = getattr(request.app.state, "prefs", None)
    if store is None:
        store = request.app.state.prefs = PrefsStore(request.app.state.journal.engine)
    return store


StoreDep = Annotated[PrefsStore, Depends(_store)]


def _filter_model() -> type[BaseModel]:
    """A model of ``Filters``' parameters, with their annotations and constraints."""
    hints = typing.get_type_hints(Filters.__init__, include_extras=True)
    fields: dict[str, Any] = {
        name: (hints[name], parameter.default)
        for name, parameter in inspect.signature(Filters.__init__).parameters.items()
        if name != "self" and name not in NOT_SAVED
    }
    return create_model("SavedFilters", __config__=ConfigDict(extra="forbid"), **fields)


_FILTERS = _filter_model()
_LISTS = frozenset(
    name for name, field in _FILTERS.model_fields.items() if "list[" in str(field.annotation)
)
"""The repeatable parameters: a single value given for one becomes a list."""


def checked_filters(given: dict[str, Any]) -> dict[str, Any]:
    """``given`` as ``GET /api/calls`` would read it, normalized (defaults and empty
    values left out, one value of a repeatable parameter as a list); BadRequest naming
    the parameter otherwise."""
    text = str(given)
    if len(text) > MAX_FILTERS_CHARS:
        raise BadRequest(f"filters: at most {MAX_FILTERS_CHARS} characters of filters")
    cleaned = {
        name: [value] if name in _LISTS and not isinstance(value, list) else value
        for name, value in given.items()
        if value is not None and value != "" and value != []
    }
    try:
        parsed = _FILTERS.model_validate(cleaned)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        shown = f" (got {error['input']!r})" if error["type"] != "extra_forbidden" else ""
        why = "not a filter of GET /api/calls" if error["type"] == "extra_forbidden" else (
            error["msg"]
        )
        raise BadRequest(f"filters.{where}: {why}{shown}") from None
    values = parsed.model_dump(exclude_defaults=True)
    try:
        Filters(**parsed.model_dump()).call_filter(None)
    except ApiError as exc:
        raise BadRequest(re.sub(r"^query parameter '(\w+)'", r"filters.\1", exc.message)) from None
    return parsed.model_validate(values).model_dump(mode="json", exclude_defaults=True)


Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")]


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    filters: dict[str, Any] = Field(description="Query parameters of GET /api/calls.")


class SavedSearchChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    filters: dict[str, Any] | None = None


class SavedSearchPublic(BaseModel):
    id: int
    name: str
    filters: dict[str, Any]
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, search: SavedSearch) -> SavedSearchPublic:
        return cls(
            id=search.id,
            name=search.name,
            filters=search.filters,
            created_at=_iso(search.created_at),
            updated_at=_iso(search.updated_at),
        )


class SavedSearchesPublic(BaseModel):
    data: list[SavedSearchPublic]


class PreferencesPublic(Preferences):
    """The preferences, with what the console needs to show them."""

    columns_available: list[str] = Field(default_factory=lambda: list(JOURNAL_COLUMNS))
    default_columns: list[str] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))


SearchId = Annotated[int, Field(ge=1, le=MAX_OFFSET)]


@preference_router.get("/saved-searches")
def list_saved_searches(user: Reader, store: StoreDep) -> SavedSearchesPublic:
    """The user's saved searches, by name."""
    return SavedSearchesPublic(data=[SavedSearchPublic.of(s) for s in store.searches(user.id)])


@preference_router.post("/saved-searches", status_code=201)
def create_saved_search(
    body: SavedSearchCreate, user: Reader, store: StoreDep
) -> SavedSearchPublic:
    """Save filters under a name (unique per user: 409 when taken)."""
    filters = checked_filters(body.filters)
    try:
        return SavedSearchPublic.of(store.add_search(user.id, body.name.strip(), filters))
    except (DuplicateName, TooMany) as exc:
        raise Conflict(str(exc)) from None


@preference_router.patch("/saved-searches/{search_id}")
def change_saved_search(
    search_id: SearchId, body: SavedSearchChange, user: Reader, store: StoreDep
) -> SavedSearchPublic:
    """Rename a saved search and/or replace its filters."""
    if body.name is None and body.filters is None:
        raise BadRequest("request body: send name, filters or both")
    filters = None if body.filters is None else checked_filters(body.filters)
    name = None if body.name is None else body.name.strip()
    try:
        changed = store.change_search(user.id, search_id, name=name, filters=filters)
    except DuplicateName as exc:
        raise Conflict(str(exc)) from None
    if changed is None:
        raise NotFound(f"no saved search {search_id}")
    return SavedSearchPublic.of(changed)


@preference_router.delete("/saved-searches/{search_id}", status_code=204)
def delete_saved_search(search_id: SearchId, user: Reader, store: StoreDep) -> Response:
    if not store.remove_search(user.id, search_id):
        raise NotFound(f"no saved search {search_id}")
    return Response(status_code=204)


@preference_router.get("/preferences")
def get_preferences(user: Reader, store: StoreDep) -> PreferencesPublic:
    """The user's preferences (null: the default), and the journal columns there are."""
    return PreferencesPublic(**store.preferences(user.id).model_dump())


@preference_router.put("/preferences")
def put_preferences(body: Preferences, user: Reader, store: StoreDep) -> PreferencesPublic:
    """Replace the user's preferences (null or absent: back to the default)."""
    return PreferencesPublic(**store.set_preferences(user.id, body).model_dump())


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
