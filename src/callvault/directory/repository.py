"""The directory in the journal's database: teams and their supervisors, agents and their
extensions, queues, tracked numbers and their costs; and its re-application to past calls."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from callvault.directory import reapply as reapplying
from callvault.directory.model import (
    Agent,
    Cost,
    DirectoryError,
    Queue,
    Team,
    TrackedNumber,
    UnknownName,
)
from callvault.directory.snapshot import Snapshot, directory_changed, number_forms
from callvault.errors import JournalError
from callvault.journal.engine import WRITER, create_engine
from callvault.journal.schema import (
    agent_extensions,
    agents,
    queues,
    team_supervisors,
    teams,
    tracked_number_costs,
    tracked_numbers,
    users,
)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()
"""The default of the ``update_*`` methods: leave this field as it is (None clears it)."""

NAME_MAX = 200
_NUMBER = re.compile(r"[^\s;,]{1,64}")
_TRACKED = re.compile(r"[^\s;,](?:[^;,]{0,62}[^\s;,])?")
"""A tracked number as written: it may hold spaces ("+45 70 10 10 10")."""
_CURRENCY = re.compile(r"[A-Z]{3}")


class Directory:
    """The directory: every change is a short transaction of its own (an import is one),
    and tells this process's snapshots (``Snapshot``) to reload."""

    def __init__(self, engine: Engine) -> None:
        """Use ``Directory.open``; this wraps an engine on an already migrated journal."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITER: True})

    @classmethod
    def open(cls, url: str) -> Directory:
        """The directory of the journal at ``url`` (opened once to create or migrate it)."""
        # Imported here: the journal's writer reads the directory (snapshot), the directory
        # builds on the journal.
        from callvault.journal import Journal

        Journal.open(url).close()
        try:
            return cls(create_engine(sa.make_url(url)))
        except (ArgumentError, SQLAlchemyError, ImportError) as exc:
            raise JournalError(f"cannot open the journal: {exc}") from exc

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Directory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def changing(self) -> Iterator[Connection]:
        """One transaction of changes; the snapshots reload once it is committed."""
        try:
            with self._writer.begin() as connection:
                yield connection
        except IntegrityError as exc:
            raise DirectoryError(f"conflicting change: {_reason(exc)}") from exc
        except SQLAlchemyError as exc:
            raise JournalError(f"cannot write to the journal: {_reason(exc)}") from exc
        directory_changed()

    def snapshot(self) -> Snapshot:
        """The directory now, as lookups for assigning calls."""
        with self._engine.connect() as connection:
            return Snapshot.load(lambda sql: connection.exec_driver_sql(sql).all())

    # -- teams ---------------------------------------------------------------------------

    def list_teams(self) -> list[Team]:
        with self._engine.connect() as connection:
            return _teams(connection)

    def get_team(self, name: str) -> Team:
        with self._engine.connect() as connection:
            return _teams(connection, _team_id(connection, name))[0]

    def add_team(self, name: str, *, department: str | None = None) -> Team:
        with self.changing() as connection:
            save_team(connection, name, department=department, create_only=True)
        return self.get_team(name)

    def update_team(
        self,
        name: str,
        *,
        new_name: str | _Unchanged = UNCHANGED,
        department: str | _Unchanged | None = UNCHANGED,
    ) -> Team:
        values: dict[str, Any] = {}
        if not isinstance(new_name, _Unchanged):
            values["name"] = _name(new_name, "team name", "name")
        if not isinstance(department, _Unchanged):
            values["department"] = _optional(department, "department")
        with self.changing() as connection:
            team_id = _team_id(connection, name)
            if (
                "name" in values
                and values["name"] != name
                and _find_team(connection, values["name"])
            ):
                raise DirectoryError(f"team {values['name']!r} already exists", field="name")
            if values:
                connection.execute(teams.update().where(teams.c.id == team_id).values(values))
        return self.get_team(values.get("name", name))

    def remove_team(self, name: str) -> None:
        """Remove a team: its agents and queues keep existing, without a team; calls keep
        the team id they were assigned."""
        with self.changing() as connection:
            connection.execute(teams.delete().where(teams.c.id == _team_id(connection, name)))

    def add_supervisor(self, team: str, username: str) -> Team:
        """Let the account ``username`` supervise ``team`` (see its calls)."""
        with self.changing() as connection:
            team_id = _team_id(connection, team)
            user_id = _user_id(connection, username)
            known = connection.execute(
                sa.select(team_supervisors.c.user_id).where(
                    team_supervisors.c.team_id == team_id, team_supervisors.c.user_id == user_id
                )
            ).first()
            if known is None:
                connection.execute(
                    team_supervisors.insert().values(team_id=team_id, user_id=user_id)
                )
        return self.get_team(team)

    def remove_supervisor(self, team: str, username: str) -> Team:
        with self.changing() as connection:
            done = connection.execute(
                team_supervisors.delete().where(
                    team_supervisors.c.team_id == _team_id(connection, team),
                    team_supervisors.c.user_id == _user_id(connection, username),
                )
            )
            if done.rowcount == 0:
                raise UnknownName(f"{username!r} does not supervise team {team!r}")
        return self.get_team(team)

    def supervised_team_ids(self, username: str) -> tuple[int, ...]:
        with self._engine.connect() as connection:
            query = (
                sa.select(team_supervisors.c.team_id)
                .join(users, users.c.id == team_supervisors.c.user_id)
                .where(users.c.username == username)
                .order_by(team_supervisors.c.team_id)
            )
            return tuple(connection.execute(query).scalars())

    # -- agents --------------------------------------------------------------------------

    def list_agents(self) -> list[Agent]:
        with self._engine.connect() as connection:
            return _agents(connection)

    def get_agent(self, ref: str | int) -> Agent:
        """The agent with this employee id, else (digits) this directory id."""
        with self._engine.connect() as connection:
            return _agents(connection, _agent_id(connection, ref))[0]

    def add_agent(
        self,
        name: str,
        *,
        employee_id: str | None = None,
        extensions: Iterable[str] = (),
        team: str | None = None,
        username: str | None = None,
        active: bool = True,
    ) -> Agent:
        with self.changing() as connection:
            agent_id = save_agent(
                connection,
                None,
                {
                    "name": name,
                    "employee_id": employee_id,
                    "extensions": extensions,
                    "team": team,
                    "username": username,
                    "active": active,
                },
            )
        return self.get_agent(agent_id)

    def update_agent(self, ref: str | int, /, **changes: Any) -> Agent:
        """Change the fields given (name, employee_id, extensions, team, username, active);
        None clears an optional one; extensions given replace the agent's."""
        unknown = set(changes) - {"name", "employee_id", "extensions", "team", "username", "active"}
        if unknown:
            raise DirectoryError(f"agents have no field {sorted(unknown)[0]!r}")
        with self.changing() as connection:
            agent_id = save_agent(connection, _agent_id(connection, ref), changes)
        return self.get_agent(agent_id)

    def remove_agent(self, ref: str | int) -> None:
        """Remove an agent and its extensions; calls keep the agent id they were assigned."""
        with self.changing() as connection:
            connection.execute(agents.delete().where(agents.c.id == _agent_id(connection, ref)))

    # -- queues --------------------------------------------------------------------------

    def list_queues(self) -> list[Queue]:
        with self._engine.connect() as connection:
            return _queues(connection)

    def get_queue(self, name: str) -> Queue:
        with self._engine.connect() as connection:
            return _queues(connection, _queue_id(connection, name))[0]

    def add_queue(
        self, name: str, *, numbers: Iterable[str] = (), team: str | None = None
    ) -> Queue:
        with self.changing() as connection:
            save_queue(connection, None, {"name": name, "numbers": numbers, "team": team})
        return self.get_queue(name)

    def update_queue(self, name: str, /, **changes: Any) -> Queue:
        """Change the fields given (name, numbers, team); numbers given replace the queue's."""
        unknown = set(changes) - {"name", "numbers", "team"}
        if unknown:
            raise DirectoryError(f"queues have no field {sorted(unknown)[0]!r}")
        with self.changing() as connection:
            save_queue(connection, _queue_id(connection, name), changes)
        return self.get_queue(changes.get("name", name))

    def remove_queue(self, name: str) -> None:
        with self.changing() as connection:
            connection.execute(queues.delete().where(queues.c.id == _queue_id(connection, name)))

    # -- tracked numbers -----------------------------------------------------------------

    def list_numbers(self) -> list[TrackedNumber]:
        with self._engine.connect() as connection:
            return _numbers(connection)

    def get_number(self, number: str) -> TrackedNumber:
        with self._engine.connect() as connection:
            return _numbers(connection, _number_id(connection, number))[0]

    def add_number(
        self, number: str, *, channel: str, campaign: str | None = None, active: bool = True
    ) -> TrackedNumber:
        with self.changing() as connection:
            save_number(
                connection,
                None,
                {"number": number, "channel": channel, "campaign": campaign, "active": active},
            )
        return self.get_number(number.strip())

    def update_number(self, number: str, /, **changes: Any) -> TrackedNumber:
        """Change the fields given (number, channel, campaign, active)."""
        unknown = set(changes) - {"number", "channel", "campaign", "active"}
        if unknown:
            raise DirectoryError(f"tracked numbers have no field {sorted(unknown)[0]!r}")
        with self.changing() as connection:
            save_number(connection, _number_id(connection, number), changes)
        return self.get_number(str(changes.get("number", number)).strip())

    def remove_number(self, number: str) -> None:
        """Remove a tracked number and its costs; calls keep what they were assigned."""
        with self.changing() as connection:
            connection.execute(
                tracked_numbers.delete().where(
                    tracked_numbers.c.id == _number_id(connection, number)
                )
            )

    def add_cost(
        self,
        number: str,
        period_start: date | str,
        period_end: date | str,
        cost: Decimal | str | float,
        currency: str,
    ) -> Cost:
        """What ``number`` cost from ``period_start`` to ``period_end`` (both inclusive)."""
        with self.changing() as connection:
            cost_id = save_cost(connection, number, period_start, period_end, cost, currency)
        found = [c for c in self.get_number(number).costs if c.id == cost_id]
        return found[0]

    def remove_cost(self, number: str, cost_id: int) -> None:
        with self.changing() as connection:
            done = connection.execute(
                tracked_number_costs.delete().where(
                    tracked_number_costs.c.id == cost_id,
                    tracked_number_costs.c.tracked_number_id == _number_id(connection, number),
                )
            )
            if done.rowcount == 0:
                raise UnknownName(f"tracked number {number!r} has no cost with id {cost_id}")

    # -- re-applying ---------------------------------------------------------------------

    def reapply(
        self,
        *,
        since: datetime | float | None = None,
        until: datetime | float | None = None,
        chunk: int = reapplying.CHUNK_IDS,
    ) -> int:
        """Assign the calls that started in [since, until) anew by the directory as it is
        now (SQL UPDATEs over ranges of ``chunk`` call ids, each committed on its own);
        return how many calls changed."""
        return reapplying.reapply(self._writer, self.snapshot(), since, until, chunk)


# -- writes shared by the methods and the CSV import ---------------------------------------


def save_team(
    connection: Connection, name: str, *, department: str | None, create_only: bool = False
) -> int:
    """Create the team, or (unless ``create_only``) set the department of the one there is."""
    name = _name(name, "team name", "name")
    found = _find_team(connection, name)
    if found is not None:
        if create_only:
            raise DirectoryError(f"team {name!r} already exists", field="name")
        connection.execute(
            teams.update()
            .where(teams.c.id == found)
            .values(department=_optional(department, "department"))
        )
        return found
    inserted = connection.execute(
        teams.insert().values(
            name=name, department=_optional(department, "department"), created_at=time.time()
        )
    )
    return int(inserted.inserted_primary_key[0])


def save_agent(connection: Connection, agent_id: int | None, fields: dict[str, Any]) -> int:
    """Create (``agent_id`` None) or change an agent; ``fields`` holds the fields to set."""
    values: dict[str, Any] = {}
    if "name" in fields or agent_id is None:
        values["name"] = _name(fields.get("name"), "agent name", "name")
    if "employee_id" in fields:
        values["employee_id"] = _optional(fields["employee_id"], "employee_id")
        if values["employee_id"] is not None:
            other = connection.execute(
                sa.select(agents.c.id, agents.c.name).where(
                    agents.c.employee_id == values["employee_id"]
                )
            ).first()
            if other is not None and other.id != agent_id:
                employee = values["employee_id"]
                raise DirectoryError(
                    f"employee id {employee!r} already belongs to agent {other.name!r}",
                    field="employee_id",
                )
    if "team" in fields:
        team = _optional(fields["team"], "team")
        values["team_id"] = None if team is None else _team_id(connection, team, "team")
    if "username" in fields:
        username = _optional(fields["username"], "username")
        values["user_id"] = None if username is None else _user_id(connection, username, "username")
    if "active" in fields or agent_id is None:
        values["active"] = _active(fields.get("active", True))
    if agent_id is None:
        values["created_at"] = time.time()
        agent_id = int(connection.execute(agents.insert().values(values)).inserted_primary_key[0])
    elif values:
        connection.execute(agents.update().where(agents.c.id == agent_id).values(values))
    if "extensions" in fields:
        extensions = numbers_of(fields["extensions"] or (), "extension", "extensions")
        owners = connection.execute(
            sa.select(agent_extensions.c.extension, agents.c.name)
            .join(agents, agents.c.id == agent_extensions.c.agent_id)
            .where(agent_extensions.c.extension.in_(extensions), agents.c.id != agent_id)
        ).first()
        if owners is not None:
            raise DirectoryError(
                f"extension {owners.extension!r} already belongs to agent {owners.name!r}",
                field="extensions",
            )
        connection.execute(agent_extensions.delete().where(agent_extensions.c.agent_id == agent_id))
        if extensions:
            connection.execute(
                agent_extensions.insert(),
                [{"agent_id": agent_id, "extension": number} for number in extensions],
            )
    return agent_id


def save_queue(connection: Connection, queue_id: int | None, fields: dict[str, Any]) -> int:
    values: dict[str, Any] = {}
    if "name" in fields or queue_id is None:
        values["name"] = _name(fields.get("name"), "queue name", "name")
        other = connection.execute(
            sa.select(queues.c.id).where(queues.c.name == values["name"])
        ).scalar()
        if other is not None and other != queue_id:
            raise DirectoryError(f"queue {values['name']!r} already exists", field="name")
    if "numbers" in fields or queue_id is None:
        numbers = numbers_of(fields.get("numbers") or (), "queue number", "numbers")
        for row in connection.execute(sa.select(queues.c.id, queues.c.name, queues.c.numbers)):
            taken = set(numbers) & set(row.numbers.split())
            if taken and row.id != queue_id:
                raise DirectoryError(
                    f"number {sorted(taken)[0]!r} already belongs to queue {row.name!r}",
                    field="numbers",
                )
        values["numbers"] = " ".join(numbers)
    if "team" in fields:
        team = _optional(fields["team"], "team")
        values["team_id"] = None if team is None else _team_id(connection, team, "team")
    if queue_id is None:
        values["created_at"] = time.time()
        return int(connection.execute(queues.insert().values(values)).inserted_primary_key[0])
    if values:
        connection.execute(queues.update().where(queues.c.id == queue_id).values(values))
    return queue_id


def save_number(connection: Connection, number_id: int | None, fields: dict[str, Any]) -> int:
    values: dict[str, Any] = {}
    if "number" in fields or number_id is None:
        number = str(fields.get("number") or "").strip()
        if not _TRACKED.fullmatch(number):
            raise DirectoryError(
                f"tracked number {number!r}: send a phone number (up to 64 characters)",
                field="number",
            )
        forms = set(number_forms(number))
        for row in connection.execute(sa.select(tracked_numbers.c.id, tracked_numbers.c.number)):
            if row.id != number_id and forms & set(number_forms(row.number)):
                same = "already tracked" if row.number == number else f"tracked as {row.number!r}"
                raise DirectoryError(f"number {number!r} is {same}", field="number")
        values["number"] = number
    if "channel" in fields or number_id is None:
        values["channel"] = _name(fields.get("channel"), "channel", "channel")
    if "campaign" in fields:
        values["campaign"] = _optional(fields["campaign"], "campaign")
    if "active" in fields or number_id is None:
        values["active"] = _active(fields.get("active", True))
    if number_id is None:
        values["created_at"] = time.time()
        inserted = connection.execute(tracked_numbers.insert().values(values))
        return int(inserted.inserted_primary_key[0])
    if values:
        connection.execute(
            tracked_numbers.update().where(tracked_numbers.c.id == number_id).values(values)
        )
    return number_id


def save_cost(
    connection: Connection,
    number: str,
    period_start: date | str,
    period_end: date | str,
    cost: Decimal | str | float,
    currency: str,
) -> int:
    start = _date(period_start, "period_start")
    end = _date(period_end, "period_end")
    if end < start:
        raise DirectoryError(f"period_end {end} is before period_start {start}", field="period_end")
    amount = _amount(cost)
    code = str(currency or "").strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise DirectoryError(
            f"currency {currency!r}: send an ISO 4217 code such as EUR", field="currency"
        )
    inserted = connection.execute(
        tracked_number_costs.insert().values(
            tracked_number_id=_number_id(connection, number, "number"),
            period_start=start,
            period_end=end,
            cost=amount,
            currency=code,
        )
    )
    return int(inserted.inserted_primary_key[0])


def numbers_of(given: Iterable[str] | str, what: str, field: str | None = None) -> list[str]:
    """Numbers from a list, or from text separated by spaces, ';' or ','; each checked."""
    if isinstance(given, str):
        given = re.split(r"[\s;,]+", given)
    found: list[str] = []
    for number in given:
        number = str(number).strip()
        if not number:
            continue
        if not _NUMBER.fullmatch(number):
            raise DirectoryError(
                f"{what} {number!r}: up to 64 characters without spaces, ';' or ','",
                field=field,
            )
        if number not in found:
            found.append(number)
    return found


# -- reads ---------------------------------------------------------------------------------


def _teams(connection: Connection, team_id: int | None = None) -> list[Team]:
    query = sa.select(teams).order_by(teams.c.name)
    if team_id is not None:
        query = query.where(teams.c.id == team_id)
    supervisors: dict[int, list[str]] = {}
    for row in connection.execute(
        sa.select(team_supervisors.c.team_id, users.c.username)
        .join(users, users.c.id == team_supervisors.c.user_id)
        .order_by(users.c.username)
    ):
        supervisors.setdefault(row.team_id, []).append(row.username)
    return [
        Team(row.id, row.name, row.department, tuple(supervisors.get(row.id, ())))
        for row in connection.execute(query)
    ]


def _agents(connection: Connection, agent_id: int | None = None) -> list[Agent]:
    query = (
        sa.select(agents, teams.c.name.label("team"), users.c.username)
        .outerjoin(teams, teams.c.id == agents.c.team_id)
        .outerjoin(users, users.c.id == agents.c.user_id)
        .order_by(agents.c.name, agents.c.id)
    )
    extensions_query = sa.select(agent_extensions).order_by(agent_extensions.c.id)
    if agent_id is not None:
        query = query.where(agents.c.id == agent_id)
        extensions_query = extensions_query.where(agent_extensions.c.agent_id == agent_id)
    extensions: dict[int, list[str]] = {}
    for row in connection.execute(extensions_query):
        extensions.setdefault(row.agent_id, []).append(row.extension)
    return [
        Agent(
            id=row.id,
            name=row.name,
            employee_id=row.employee_id,
            extensions=tuple(extensions.get(row.id, ())),
            team=row.team,
            username=row.username,
            active=bool(row.active),
        )
        for row in connection.execute(query)
    ]


def _queues(connection: Connection, queue_id: int | None = None) -> list[Queue]:
    query = (
        sa.select(queues, teams.c.name.label("team"))
        .outerjoin(teams, teams.c.id == queues.c.team_id)
        .order_by(queues.c.name)
    )
    if queue_id is not None:
        query = query.where(queues.c.id == queue_id)
    return [
        Queue(row.id, row.name, tuple(row.numbers.split()), row.team)
        for row in connection.execute(query)
    ]


def _numbers(connection: Connection, number_id: int | None = None) -> list[TrackedNumber]:
    query = sa.select(tracked_numbers).order_by(tracked_numbers.c.number)
    costs_query = (
        sa.select(tracked_number_costs, tracked_numbers.c.number)
        .join(tracked_numbers, tracked_numbers.c.id == tracked_number_costs.c.tracked_number_id)
        .order_by(tracked_number_costs.c.period_start, tracked_number_costs.c.id)
    )
    if number_id is not None:
        query = query.where(tracked_numbers.c.id == number_id)
        costs_query = costs_query.where(tracked_number_costs.c.tracked_number_id == number_id)
    costs: dict[int, list[Cost]] = {}
    for row in connection.execute(costs_query):
        costs.setdefault(row.tracked_number_id, []).append(
            Cost(
                row.id,
                row.number,
                row.period_start,
                row.period_end,
                Decimal(row.cost).quantize(Decimal("0.01")),
                row.currency,
            )
        )
    return [
        TrackedNumber(
            row.id,
            row.number,
            row.channel,
            row.campaign,
            bool(row.active),
            tuple(costs.get(row.id, ())),
        )
        for row in connection.execute(query)
    ]


# -- lookups by name -----------------------------------------------------------------------


def _find_team(connection: Connection, name: str) -> int | None:
    found = connection.execute(sa.select(teams.c.id).where(teams.c.name == name)).scalar()
    return None if found is None else int(found)


def _team_id(connection: Connection, name: str, field: str | None = None) -> int:
    found = _find_team(connection, str(name).strip())
    if found is None:
        raise UnknownName(f"no team {name!r}", field=field)
    return found


def _user_id(connection: Connection, username: str, field: str | None = None) -> int:
    found = connection.execute(
        sa.select(users.c.id).where(users.c.username == str(username).strip())
    ).scalar()
    if found is None:
        raise UnknownName(f"no user {username!r}", field=field)
    return int(found)


def _agent_id(connection: Connection, ref: str | int) -> int:
    text = str(ref).strip()
    found = connection.execute(sa.select(agents.c.id).where(agents.c.employee_id == text)).scalar()
    if found is None and text.isascii() and text.isdigit() and int(text) < 2**31:
        found = connection.execute(sa.select(agents.c.id).where(agents.c.id == int(text))).scalar()
    if found is None:
        raise UnknownName(f"no agent with employee id or id {text!r}")
    return int(found)


def _queue_id(connection: Connection, name: str) -> int:
    found = connection.execute(sa.select(queues.c.id).where(queues.c.name == name)).scalar()
    if found is None:
        raise UnknownName(f"no queue {name!r}")
    return int(found)


def _number_id(connection: Connection, number: str, field: str | None = None) -> int:
    text = str(number).strip()
    found = connection.execute(
        sa.select(tracked_numbers.c.id).where(tracked_numbers.c.number == text)
    ).scalar()
    if found is None:
        raise UnknownName(f"no tracked number {text!r}", field=field)
    return int(found)


# -- values --------------------------------------------------------------------------------


def _name(value: object, what: str, field: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise DirectoryError(f"the {what} is empty", field=field)
    if len(text) > NAME_MAX:
        raise DirectoryError(f"the {what} is longer than {NAME_MAX} characters", field=field)
    return text


def _optional(value: object, field: str) -> str | None:
    text = "" if value is None else str(value).strip()
    if len(text) > NAME_MAX:
        raise DirectoryError(f"{field} is longer than {NAME_MAX} characters", field=field)
    return text or None


def _active(value: object) -> bool:
    if not isinstance(value, bool):
        raise DirectoryError(f"active {value!r}: send true or false", field="active")
    return value


def _date(value: date | str, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise DirectoryError(f"{what} {value!r}: send a date as YYYY-MM-DD", field=what) from None


def _amount(value: Decimal | str | float) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError:
        raise DirectoryError(
            f"cost {value!r}: send an amount such as 1250.00", field="cost"
        ) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise DirectoryError(
            f"cost {value!r}: send an amount from 0 to 999999999999.99", field="cost"
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise DirectoryError(f"cost {value!r}: at most two decimals", field="cost")
    return amount


def _reason(exc: SQLAlchemyError) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


__all__ = ["UNCHANGED", "Directory", "numbers_of"]
