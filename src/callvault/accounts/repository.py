"""Accounts in the journal's database: users, passwords, API tokens."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from callvault.accounts.credentials import hash_password, new_token, token_digest, verify_password
from callvault.accounts.model import AccountError, ApiToken, Role, User
from callvault.errors import JournalError
from callvault.journal import Journal
from callvault.journal.engine import WRITER, create_engine
from callvault.journal.schema import agents, api_tokens, team_supervisors, users

LAST_USED_RESOLUTION_S = 60.0
"""A token's ``last_used_at`` is rewritten at most this often (not a write per request)."""

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so timing does not tell which names exist."""
    return hash_password("callvault: no such user")


class Accounts:
    """Users and their credentials. Writes are short transactions of their own."""

    def __init__(self, engine: Engine) -> None:
        """Use ``Accounts.open``; this wraps an engine on an already migrated journal."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})

    @classmethod
    def open(cls, url: str) -> Accounts:
        """The accounts of the journal at ``url`` (opened once to create or migrate it)."""
        Journal.open(url).close()
        try:
            return cls(create_engine(sa.make_url(url)))
        except (ArgumentError, SQLAlchemyError, ImportError) as exc:
            raise JournalError(f"cannot open the journal: {exc}") from exc

    @property
    def engine(self) -> Engine:
        """The journal's engine, for what keeps its tables beside the accounts (the
        directory)."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        role: Role | str,
        *,
        password: str | None = None,
        display_name: str | None = None,
        extensions: Iterable[str] = (),
        team: str | None = None,
        now: float | None = None,
    ) -> User:
        if not USERNAME.fullmatch(username):
            raise AccountError(
                f"invalid username {username!r}: 1-64 letters, digits, '.', '_', '@' or '-'"
            )
        role = role if isinstance(role, Role) else Role.parse(role)
        numbers = tuple(dict.fromkeys(e.strip() for e in extensions if e.strip()))
        if any(" " in number for number in numbers):
            raise AccountError("an extension cannot contain spaces")
        row = {
            "username": username,
            "display_name": display_name,
            "role": role.value,
            "extensions": " ".join(numbers),
            "team": team,
            "password_hash": hash_password(password) if password else None,
            "disabled": False,
            "created_at": time.time() if now is None else now,
        }
        try:
            with self._writer.begin() as connection:
                connection.execute(users.insert().values(row))
        except IntegrityError as exc:
            raise AccountError(f"user {username!r} already exists") from exc
        user = self.get_user(username)
        assert user is not None
        return user

    def get_user(self, username: str) -> User | None:
        with self._engine.connect() as connection:
            row = (
                connection.execute(sa.select(users).where(users.c.username == username))
                .mappings()
                .first()
            )
            return None if row is None else _user(row, connection)

    def list_users(self) -> list[User]:
        with self._engine.connect() as connection:
            rows = connection.execute(sa.select(users).order_by(users.c.username)).mappings()
            return [_user(row, connection) for row in rows.all()]

    def set_disabled(self, username: str, disabled: bool = True) -> User:
        with self._writer.begin() as connection:
            done = connection.execute(
                users.update().where(users.c.username == username).values(disabled=disabled)
            )
        if done.rowcount == 0:
            raise AccountError(f"no user {username!r}")
        user = self.get_user(username)
        assert user is not None
        return user

    def set_password(self, username: str, password: str) -> None:
        with self._writer.begin() as connection:
            done = connection.execute(
                users.update()
                .where(users.c.username == username)
                .values(password_hash=hash_password(password))
            )
        if done.rowcount == 0:
            raise AccountError(f"no user {username!r}")

    # -- tokens --------------------------------------------------------------------------

    def issue_token(self, username: str, name: str, *, now: float | None = None) -> str:
        """A new API token for the user: returned once, only its digest is stored."""
        user = self.get_user(username)
        if user is None:
            raise AccountError(f"no user {username!r}")
        token = new_token()
        with self._writer.begin() as connection:
            connection.execute(
                api_tokens.insert().values(
                    user_id=user.id,
                    name=name,
                    digest=token_digest(token),
                    created_at=time.time() if now is None else now,
                    last_used_at=None,
                    revoked=False,
                )
            )
        return token

    def list_tokens(self, username: str) -> list[ApiToken]:
        query = (
            sa.select(api_tokens)
            .join(users, users.c.id == api_tokens.c.user_id)
            .where(users.c.username == username)
            .order_by(api_tokens.c.id)
        )
        with self._engine.connect() as connection:
            return [_token(row) for row in connection.execute(query).mappings()]

    def revoke_token(self, token_id: int) -> None:
        with self._writer.begin() as connection:
            done = connection.execute(
                api_tokens.update().where(api_tokens.c.id == token_id).values(revoked=True)
            )
        if done.rowcount == 0:
            raise AccountError(f"no API token with id {token_id}")

    # -- authentication ------------------------------------------------------------------

    def user_for_token(self, token: str, *, now: float | None = None) -> User | None:
        """The enabled user a live token belongs to; None for unknown or revoked tokens."""
        now = time.time() if now is None else now
        query = (
            sa.select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.digest == token_digest(token), api_tokens.c.revoked.is_(False))
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
            user = None if row is None or row["disabled"] else _user(row, connection)
        if row is None or user is None:
            return None
        last_used = row["last_used_at"]
        if last_used is None or now - last_used >= LAST_USED_RESOLUTION_S:
            with self._writer.begin() as connection:
                connection.execute(
                    api_tokens.update()
                    .where(api_tokens.c.id == row["token_id"])
                    .values(last_used_at=now)
                )
        return user

    def user_for_password(self, username: str, password: str) -> User | None:
        """The enabled user whose password this is; None otherwise (in about the same time)."""
        with self._engine.connect() as connection:
            row = (
                connection.execute(sa.select(users).where(users.c.username == username))
                .mappings()
                .first()
            )
        if row is None or row["password_hash"] is None:
            verify_password(password, _dummy_hash())
            return None
        if not verify_password(password, row["password_hash"]) or row["disabled"]:
            return None
        with self._engine.connect() as connection:
            return _user(row, connection)


def _user(row: RowMapping, connection: Connection) -> User:
    """The account of ``row``, with its links into the directory (the teams it supervises,
    the agents it is): what scopes the calls it may see."""
    supervised = (
        connection.execute(
            sa.select(team_supervisors.c.team_id)
            .where(team_supervisors.c.user_id == row["id"])
            .order_by(team_supervisors.c.team_id)
        )
        .scalars()
        .all()
    )
    linked = (
        connection.execute(
            sa.select(agents.c.id).where(agents.c.user_id == row["id"]).order_by(agents.c.id)
        )
        .scalars()
        .all()
    )
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        extensions=tuple(row["extensions"].split()),
        team=row["team"],
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
        supervised_teams=tuple(supervised),
        agent_ids=tuple(linked),
    )


def _token(row: RowMapping) -> ApiToken:
    return ApiToken(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked=bool(row["revoked"]),
    )
