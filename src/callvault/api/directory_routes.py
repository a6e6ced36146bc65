"""The directory over HTTP: teams and their supervisors, agents, queues, tracked numbers and
their costs; CSV imports; re-applying the directory to past calls.

Reading needs ``directory.read`` (every role), changing ``directory.manage`` (managers and
admins). Unknown names are 404, bad values and conflicts 422, each with a message that
says what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from callvault.accounts import User
from callvault.api.deps import AccountsDep
from callvault.api.errors import InvalidRequest, NotFound, PayloadTooLarge
from callvault.api.permissions import Allowed, Permission
from callvault.directory import (
    KINDS,
    Agent,
    Directory,
    DirectoryError,
    Queue,
    Team,
    TrackedNumber,
    UnknownName,
    import_csv,
)

MAX_CSV_BYTES = 16 << 20

directory_router = APIRouter(prefix="/api/directory", tags=["directory"])

Reader = Annotated[User, Allowed(Permission.DIRECTORY_READ)]
Manager = Annotated[User, Allowed(Permission.DIRECTORY_MANAGE)]


def _directory(accounts: AccountsDep) -> Directory:
    return Directory(accounts.engine)


DirectoryDep = Annotated[Directory, Depends(_directory)]

_Name = Field(min_length=1, max_length=200)
_Optional = Field(default=None, max_length=200)
_Numbers = Field(default_factory=list, max_length=1000)


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = _Name
    department: str | None = _Optional


class TeamChange(BaseModel):
    """The fields sent are changed (null clears an optional one)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = _Optional
    department: str | None = _Optional


class AgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = _Name
    employee_id: str | None = _Optional
    extensions: list[str] = _Numbers
    team: str | None = _Optional
    username: str | None = _Optional
    active: bool = True


class AgentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = _Optional
    employee_id: str | None = _Optional
    extensions: list[str] | None = Field(default=None, max_length=1000)
    team: str | None = _Optional
    username: str | None = _Optional
    active: bool | None = None


class QueueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = _Name
    numbers: list[str] = _Numbers
    team: str | None = _Optional


class QueueChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = _Optional
    numbers: list[str] | None = Field(default=None, max_length=1000)
    team: str | None = _Optional


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=1, max_length=64)
    channel: str = _Name
    campaign: str | None = _Optional
    active: bool = True


class NumberChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str | None = Field(default=None, max_length=64)
    channel: str | None = _Optional
    campaign: str | None = _Optional
    active: bool | None = None


class CostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period_start: date
    period_end: date
    cost: Decimal = Field(ge=0, lt=Decimal("1e12"), decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)


class ReapplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: datetime | None = None
    """Calls that started at or after (ISO 8601, UTC unless zoned)."""
    until: datetime | None = None
    """Calls that started before."""


@contextmanager
def _answering() -> Iterator[None]:
    """The directory's errors as API errors: unknown names 404, the rest 422."""
    try:
        yield
    except UnknownName as exc:
        raise NotFound(str(exc)) from exc
    except DirectoryError as exc:
        raise InvalidRequest(str(exc)) from exc


def _changes(body: BaseModel) -> dict[str, Any]:
    given = {name: getattr(body, name) for name in body.model_fields_set}
    if not given:
        raise InvalidRequest("request body: send at least one field to change")
    return given


def _data(value: Any) -> dict[str, Any]:
    return {"data": value}


def _team(team: Team) -> dict[str, Any]:
    return {**asdict(team), "supervisors": list(team.supervisors)}


def _agent(agent: Agent) -> dict[str, Any]:
    return {**asdict(agent), "extensions": list(agent.extensions)}


def _queue(queue: Queue) -> dict[str, Any]:
    return {**asdict(queue), "numbers": list(queue.numbers)}


def _number(number: TrackedNumber) -> dict[str, Any]:
    return {
        **asdict(number),
        "costs": [
            {
                "id": cost.id,
                "period_start": cost.period_start.isoformat(),
                "period_end": cost.period_end.isoformat(),
                "cost": str(cost.cost),
                "currency": cost.currency,
            }
            for cost in number.costs
        ],
    }


# -- teams -------------------------------------------------------------------------------


@directory_router.get("/teams")
def list_teams(_: Reader, directory: DirectoryDep) -> dict[str, Any]:
    return _data([_team(team) for team in directory.list_teams()])


@directory_router.post("/teams", status_code=201)
def add_team(body: TeamIn, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    with _answering():
        return _data(_team(directory.add_team(body.name, department=body.department)))


@directory_router.patch("/teams/{name}")
def change_team(name: str, body: TeamChange, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    changes = _changes(body)
    if "name" in changes:
        changes["new_name"] = changes.pop("name")
    with _answering():
        return _data(_team(directory.update_team(name, **changes)))


@directory_router.delete("/teams/{name}", status_code=204)
def remove_team(name: str, _: Manager, directory: DirectoryDep) -> None:
    with _answering():
        directory.remove_team(name)


@directory_router.put("/teams/{name}/supervisors/{username}")
def add_supervisor(name: str, username: str, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    """Let the account ``username`` supervise the team: it sees the team's calls."""
    with _answering():
        return _data(_team(directory.add_supervisor(name, username)))


@directory_router.delete("/teams/{name}/supervisors/{username}")
def remove_supervisor(
    name: str, username: str, _: Manager, directory: DirectoryDep
) -> dict[str, Any]:
    with _answering():
        return _data(_team(directory.remove_supervisor(name, username)))


# -- agents ------------------------------------------------------------------------------


@directory_router.get("/agents")
def list_agents(_: Reader, directory: DirectoryDep) -> dict[str, Any]:
    return _data([_agent(agent) for agent in directory.list_agents()])


@directory_router.post("/agents", status_code=201)
def add_agent(body: AgentIn, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    with _answering():
        return _data(_agent(directory.add_agent(**body.model_dump())))


@directory_router.patch("/agents/{ref}")
def change_agent(
    ref: str, body: AgentChange, _: Manager, directory: DirectoryDep
) -> dict[str, Any]:
    """``ref``: the agent's employee id, else its directory id."""
    changes = _changes(body)
    with _answering():
        return _data(_agent(directory.update_agent(ref, **changes)))


@directory_router.delete("/agents/{ref}", status_code=204)
def remove_agent(ref: str, _: Manager, directory: DirectoryDep) -> None:
    with _answering():
        directory.remove_agent(ref)


# -- queues ------------------------------------------------------------------------------


@directory_router.get("/queues")
def list_queues(_: Reader, directory: DirectoryDep) -> dict[str, Any]:
    return _data([_queue(queue) for queue in directory.list_queues()])


@directory_router.post("/queues", status_code=201)
def add_queue(body: QueueIn, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    with _answering():
        return _data(_queue(directory.add_queue(body.name, numbers=body.numbers, team=body.team)))


@directory_router.patch("/queues/{name}")
def change_queue(
    name: str, body: QueueChange, _: Manager, directory: DirectoryDep
) -> dict[str, Any]:
    changes = _changes(body)
    with _answering():
        return _data(_queue(directory.update_queue(name, **changes)))


@directory_router.delete("/queues/{name}", status_code=204)
def remove_queue(name: str, _: Manager, directory: DirectoryDep) -> None:
    with _answering():
        directory.remove_queue(name)


# -- tracked numbers ---------------------------------------------------------------------


@directory_router.get("/numbers")
def list_numbers(_: Reader, directory: DirectoryDep) -> dict[str, Any]:
    return _data([_number(number) for number in directory.list_numbers()])


@directory_router.post("/numbers", status_code=201)
def add_number(body: NumberIn, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    with _answering():
        return _data(_number(directory.add_number(**body.model_dump())))


@directory_router.patch("/numbers/{number}")
def change_number(
    number: str, body: NumberChange, _: Manager, directory: DirectoryDep
) -> dict[str, Any]:
    changes = _changes(body)
    with _answering():
        return _data(_number(directory.update_number(number, **changes)))


@directory_router.delete("/numbers/{number}", status_code=204)
def remove_number(number: str, _: Manager, directory: DirectoryDep) -> None:
    with _answering():
        directory.remove_number(number)


@directory_router.post("/numbers/{number}/costs", status_code=201)
def add_cost(number: str, body: CostIn, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    """What the number cost over a period (both dates inclusive)."""
    with _answering():
        directory.add_cost(number, body.period_start, body.period_end, body.cost, body.currency)
        return _data(_number(directory.get_number(number)))


@directory_router.delete("/numbers/{number}/costs/{cost_id}", status_code=204)
def remove_cost(number: str, cost_id: int, _: Manager, directory: DirectoryDep) -> None:
    with _answering():
        directory.remove_cost(number, cost_id)


# -- import and re-apply -----------------------------------------------------------------


@directory_router.post("/{kind}/import")
async def import_file(
    kind: str, request: Request, _: Manager, directory: DirectoryDep
) -> dict[str, Any]:
    """A CSV file of ``kind`` (teams, agents, queues, numbers, costs) as the request body
    (``text/csv``, UTF-8): imported whole or not at all (docs/directory.md)."""
    if kind not in KINDS:
        raise NotFound(f"no CSV import for {kind!r} (one of: {', '.join(KINDS)})")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > MAX_CSV_BYTES:
            raise PayloadTooLarge(f"a CSV file is at most {MAX_CSV_BYTES >> 20} MiB; split it")
    with _answering():
        rows = await run_in_threadpool(import_csv, directory, kind, bytes(body))
    return _data({"kind": kind, "rows": rows})


@directory_router.post("/reapply")
def reapply(body: ReapplyIn, _: Manager, directory: DirectoryDep) -> dict[str, Any]:
    """Assign the calls that started in [since, until) (all calls without them) anew by
    the directory as it is now; answers how many calls changed."""
    since, until = _utc(body.since), _utc(body.until)
    if since is not None and until is not None and until <= since:
        raise InvalidRequest("request body: until must be after since")
    return _data({"changed": directory.reapply(since=since, until=until)})


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
