"""API shapes, apart from table shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from callvault.accounts import Role, User


class UserPublic(BaseModel):
    username: str
    display_name: str | None
    role: Role
    extensions: list[str]
    team: str | None

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            extensions=list(user.extensions),
            team=user.team,
        )


class CallsPublic(BaseModel):
    data: list[dict[str, Any]]
    """Calls as ``callvault.journal.export.call_record`` writes them."""
    count: int | None
    """How many calls the filter selects in all (cursor, limit and offset aside); with
    ``count=capped`` at most the cap, with ``count=none`` null."""
    count_capped: bool = False
    """True when more calls match than ``count`` says (the count stopped at its cap)."""
    next_cursor: str | None = None
    """Send as ``cursor`` for the next page; null on the last page."""


class Health(BaseModel):
    status: str
    calls: int
    """Calls the caller may see."""


class CallAnnotation(BaseModel):
    """``PATCH /api/calls/{ref}``: the annotations to set; null clears one."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=10_000)
    outcome: str | None = Field(default=None, max_length=64)
    tags: list[str] | None = Field(default=None, max_length=50)

    @field_validator("outcome")
    @classmethod
    def _outcome(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        return value or None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        seen: list[str] = []
        for tag in value:
            tag = tag.strip()
            if len(tag) > 64:
                raise ValueError("a tag is at most 64 characters")
            if tag and tag not in seen:
                seen.append(tag)
        return seen


class AuditPublic(BaseModel):
    data: list[dict[str, Any]]
    """Entries: id, at, username, action, call_id, detail, client."""
    count: int
