"""Accounts as values: roles, users, API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from callvault.errors import CallvaultError


class AccountError(CallvaultError):
    """An account operation that cannot be done: duplicate or unknown user, unknown role."""


class Role(StrEnum):
    """What an account may see and do (docs/api.md has the table)."""

    AGENT = "agent"
    """Sees only calls where one party's number is one of the agent's extensions, or that
    the directory assigned to the agent linked to the account."""
    SUPERVISOR = "supervisor"
    """Sees only the calls of the teams the account supervises."""
    MANAGER = "manager"
    COMPLIANCE = "compliance"
    ADMIN = "admin"

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            accepted = ", ".join(role.value for role in cls)
            raise AccountError(f"unknown role {text!r} (one of: {accepted})") from None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str | None
    role: Role
    extensions: tuple[str, ...]
    """The agent's own numbers and extensions, as they appear in the journal."""
    team: str | None
    disabled: bool
    created_at: float
    """Epoch seconds."""
    supervised_teams: tuple[int, ...] = ()
    """Directory ids of the teams the account supervises (``team_supervisors``)."""
    agent_ids: tuple[int, ...] = ()
    """Directory ids of the agents linked to the account (``agents.user_id``)."""

    @property
    def sees_all_calls(self) -> bool:
        """Every role but agents and supervisors (``callvault.api.scope``)."""
        return self.role not in (Role.AGENT, Role.SUPERVISOR)


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: float
    last_used_at: float | None
    revoked: bool
