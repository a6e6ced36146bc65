"""Least privilege: what each role may do, as one table.

Every route states the permission it needs with ``Allowed(Permission.X)``; which *calls* a
user may see is the other half (``api.scope``). ``docs/roles.md`` shows this table and a
test walks it, route by route and role by role.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Final

from fastapi import Depends

from callvault.accounts import Role, User
from callvault.api.deps import current_user
from callvault.api.errors import Forbidden


class Permission(StrEnum):
    CALLS_READ = "calls.read"
    """List and read calls, client histories, play recordings (within the user's scope)."""
    CALLS_ANNOTATE = "calls.annotate"
    """Set comment, outcome and tags (within the user's scope)."""
    CALLS_EXPORT = "calls.export"
    """CSV/XLSX export of a filtered list (within the user's scope)."""
    AUDIT_READ = "audit.read"
    """Read the audit trail."""
    CDR_PUSH = "cdr.push"
    """Push PBX call logs (mod_json_cdr)."""
    DIRECTORY_READ = "directory.read"
    """Read agents, teams, queues and tracked numbers."""
    DIRECTORY_MANAGE = "directory.manage"
    """Change the directory and re-apply it to past calls."""
    WEBHOOKS_MANAGE = "webhooks.manage"
    """Configure webhooks and read their deliveries."""
    ANALYTICS_READ = "analytics.read"
    """KPIs, heatmaps, staffing and marketing reports (within the user's scope)."""
    QUALITY_READ = "quality.read"
    """Read scorecards, playlists, evaluations and moment comments (agents: their own)."""
    QUALITY_SCORE = "quality.score"
    """Score calls against scorecards and comment at moments (within the user's scope)."""
    QUALITY_MANAGE = "quality.manage"
    """Define scorecards and training playlists."""
    RECORDING_CONTROL = "recording.control"
    """Start, stop, pause and resume the recording of a call in progress (within the user's
    scope)."""
    METRICS_READ = "metrics.read"
    """Read Prometheus metrics and the recorders' health details (operations)."""


_EVERYONE_READS = {Permission.CALLS_READ, Permission.CALLS_EXPORT, Permission.DIRECTORY_READ}

ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.AGENT: frozenset({*_EVERYONE_READS, Permission.CALLS_ANNOTATE,
                           Permission.QUALITY_READ, Permission.RECORDING_CONTROL}),
    Role.SUPERVISOR: frozenset({
        *_EVERYONE_READS,
        Permission.CALLS_ANNOTATE,
        Permission.ANALYTICS_READ,
        Permission.QUALITY_READ,
        Permission.QUALITY_SCORE,
        Permission.QUALITY_MANAGE,
        Permission.RECORDING_CONTROL,
    }),
    Role.MANAGER: frozenset({
        *_EVERYONE_READS,
        Permission.ANALYTICS_READ,
        Permission.DIRECTORY_MANAGE,
        Permission.QUALITY_READ,
        Permission.QUALITY_MANAGE,
    }),
    Role.COMPLIANCE: frozenset({
        *_EVERYONE_READS,
        Permission.AUDIT_READ,
        Permission.QUALITY_READ,
    }),
    Role.ADMIN: frozenset(Permission),
}
"""The table: which role holds which permission."""

_REFUSALS: Final[dict[Permission, str]] = {
    Permission.CALLS_ANNOTATE: "may not annotate calls",
    Permission.CALLS_EXPORT: "may not export calls",
    Permission.AUDIT_READ: "may not read the audit trail (compliance and admin may)",
    Permission.CDR_PUSH: "may not push CDRs: give the PBX an admin account",
    Permission.DIRECTORY_MANAGE: "may not change the directory (managers and admins may)",
    Permission.WEBHOOKS_MANAGE: "may not configure webhooks (admins may)",
    Permission.ANALYTICS_READ: "may not read analytics",
    Permission.QUALITY_READ: "may not read quality reviews",
    Permission.QUALITY_SCORE: "may not score calls (supervisors and admins may)",
    Permission.QUALITY_MANAGE: (
        "may not define scorecards or playlists (supervisors, managers and admins may)"
    ),
    Permission.RECORDING_CONTROL: (
        "may not control recording (agents on their calls, supervisors and admins may)"
    ),
    Permission.METRICS_READ: "may not read metrics (admins and the metrics token may)",
}


def may(user: User, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[user.role]


def check(user: User, permission: Permission) -> None:
    """Raise ``Forbidden`` (403) unless ``user``'s role holds ``permission``."""
    if not may(user, permission):
        why = _REFUSALS.get(permission, f"may not do this ({permission.value})")
        article = "an" if user.role.value[0] in "aeiou" else "a"
        raise Forbidden(f"{article} {user.role.value} account {why}")


def _requirement(permission: Permission) -> Callable[[User], User]:
    def allowed_user(user: Annotated[User, Depends(current_user)]) -> User:
        check(user, permission)
        return user

    allowed_user.permission = permission  # type: ignore[attr-defined]
    return allowed_user


_DEPENDENCIES: Final = {permission: _requirement(permission) for permission in Permission}


def Allowed(permission: Permission) -> object:  # noqa: N802 - reads as a type in signatures
    """``user: Annotated[User, Allowed(Permission.X)]``: the authenticated user, 403 unless
    their role holds the permission."""
    return Depends(_DEPENDENCIES[permission])


def permission_of(dependency: Callable[..., object]) -> Permission | None:
    """The permission a route's dependency requires (for the role-table test)."""
    return getattr(dependency, "permission", None)
