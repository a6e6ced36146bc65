"""API shapes, apart from table shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

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
    count: int
    """How many calls the filter selects in all (limit and offset aside)."""


class Health(BaseModel):
    status: str
    calls: int
    """Calls the caller may see."""
