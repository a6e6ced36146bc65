"""Browser sessions: a random cookie per login, kept server-side as its SHA-256.

A session lasts at most ``MAX_AGE_S`` from login and ends after ``IDLE_S`` without a
request, at logout, when revoked, or when its user is disabled. State-changing requests
made with the cookie must carry the session's CSRF token (``csrf_token``) in the
``X-CSRF-Token`` header; the cookie itself is HttpOnly and SameSite=Strict.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from callvault.accounts.credentials import new_token, token_digest
from callvault.accounts.model import User
from callvault.accounts.repository import _user
from callvault.errors import JournalError
from callvault.journal.engine import WRITER, create_engine
from callvault.journal.schema import sessions, users

COOKIE: Final = "callvault_session"
CSRF_HEADER: Final = "X-CSRF-Token"
MAX_AGE_S: Final = 7 * 24 * 3600.0
IDLE_S: Final = 12 * 3600.0
SEEN_RESOLUTION_S: Final = 60.0
"""``last_seen_at`` is rewritten at most this often (not a write per request)."""


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    user: User
    expires_at: float
    csrf_token: str


def csrf_token(cookie: str) -> str:
    """The CSRF token that goes with a session cookie (derived: nothing more to store)."""
    return hmac.new(cookie.encode(), b"callvault csrf", hashlib.sha256).hexdigest()[:32]


class Sessions:
    """The browser sessions of the accounts in a journal's database."""

    def __init__(self, engine: Engine) -> None:
        """Use ``Sessions.open``; this wraps an engine on an already migrated journal."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})

    @classmethod
    def connect(cls, url: str) -> Sessions:
        """The sessions of the (already opened and migrated) journal at ``url``."""
        try:
            return cls(create_engine(sa.make_url(url)))
        except (ArgumentError, SQLAlchemyError, ImportError) as exc:
            raise JournalError(f"cannot open the journal: {exc}") from exc

    def dispose(self) -> None:
        self._engine.dispose()

    def open(self, user: User, *, client: str | None = None, now: float | None = None) -> str:
        """Start a session for ``user``; return the cookie value (only its digest is kept)."""
        now = time.time() if now is None else now
        cookie = new_token()
        with self._writer.begin() as connection:
            connection.execute(
                sessions.insert().values(
                    user_id=user.id,
                    digest=token_digest(cookie),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + MAX_AGE_S,
                    client=client[:300] if client else None,
                    revoked=False,
                )
            )
        return cookie

    def find(self, cookie: str, *, now: float | None = None) -> Session | None:
        """The live session of this cookie, its enabled user, and its CSRF token; None for
        an unknown, ended, idle or revoked session or a disabled user."""
        now = time.time() if now is None else now
        query = (
            sa.select(
                users,
                sessions.c.id.label("session_id"),
                sessions.c.last_seen_at,
                sessions.c.expires_at,
            )
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.digest == token_digest(cookie), sessions.c.revoked.is_(False))
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None or row["disabled"]:
            return None
        if now >= row["expires_at"] or now - row["last_seen_at"] >= IDLE_S:
            return None
        if now - row["last_seen_at"] >= SEEN_RESOLUTION_S:
            with self._writer.begin() as connection:
                connection.execute(
                    sessions.update()
                    .where(sessions.c.id == row["session_id"])
                    .values(last_seen_at=now)
                )
        with self._engine.connect() as connection:
            user = _user(row, connection)
        return Session(row["session_id"], user, row["expires_at"], csrf_token(cookie))

    def close(self, cookie: str) -> bool:
        """End the session of this cookie (logout); False when there was none."""
        with self._writer.begin() as connection:
            done = connection.execute(
                sessions.update()
                .where(sessions.c.digest == token_digest(cookie), sessions.c.revoked.is_(False))
                .values(revoked=True)
            )
        return done.rowcount > 0

    def close_all(self, user_id: int) -> int:
        """End every session of a user (password change, account disabled)."""
        with self._writer.begin() as connection:
            done = connection.execute(
                sessions.update()
                .where(sessions.c.user_id == user_id, sessions.c.revoked.is_(False))
                .values(revoked=True)
            )
        return done.rowcount

    def purge(self, *, now: float | None = None) -> int:
        """Delete sessions that ended more than a day ago."""
        now = time.time() if now is None else now
        with self._writer.begin() as connection:
            done = connection.execute(
                sessions.delete().where(
                    sa.or_(
                        sessions.c.expires_at < now - 86400,
                        sessions.c.last_seen_at < now - IDLE_S - 86400,
                    )
                )
            )
        return done.rowcount
