"""/api/analytics: KPIs by any dimension, the volume heatmap, intervals, outcomes and
marketing, within the user's scope (a supervisor's cover the calls of their teams), for the
calls matching the filters given (``team=``, ``queue=``, ``agent=``, … repeatable)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.engine import Engine

from callvault.accounts import User
from callvault.analytics import query
from callvault.analytics.kpis import AnalyticsError, KpiSettings, center_settings
from callvault.api.deps import JournalDep
from callvault.api.errors import BadRequest
from callvault.api.permissions import Allowed, Permission
from callvault.api.scope import scope_of
from callvault.journal import Journal

analytics_router = APIRouter(prefix="/api/analytics", tags=["analytics"])

Reader = Annotated[User, Allowed(Permission.ANALYTICS_READ)]
Since = Annotated[
    datetime | None,
    Query(description="Calls that started at or after: ISO 8601 (UTC unless zoned), epoch s. "
          "Default: 30 days before until."),
]
Until = Annotated[datetime | None, Query(description="Calls that started before. Default: now.")]
ServiceLevel = Annotated[
    int | None, Query(ge=0, le=3600, description="Service level threshold N (answered within "
                      "N s); default: the center's.")
]
ShortAbandon = Annotated[
    int | None, Query(ge=0, le=3600, description="Abandons within N s are short (not offered).")
]
DEFAULT_DAYS = 30


def _chosen(
    team: Annotated[list[str] | None, Query(
        description="Only calls of this team (id or name); repeatable.")] = None,
    department: Annotated[list[str] | None, Query(
        description="Only calls of this department's teams.")] = None,
    queue: Annotated[list[str] | None, Query(
        description="Only calls of this queue (id or name).")] = None,
    agent: Annotated[list[str] | None, Query(
        description="Only calls of this agent (id or name).")] = None,
    direction: Annotated[list[str] | None, Query(description="inbound or outbound.")] = None,
    channel: Annotated[list[str] | None, Query(
        description="Only calls of this marketing channel.")] = None,
    campaign: Annotated[list[str] | None, Query(
        description="Only calls of this campaign.")] = None,
    tracked_number: Annotated[list[str] | None, Query(
        description="Only calls to this tracked number (id or number).")] = None,
) -> dict[str, list[str]]:
    """The filters of a request: values of one dimension ORed, dimensions ANDed."""
    given = {"team": team, "department": department, "queue": queue, "agent": agent,
             "direction": direction, "channel": channel, "campaign": campaign,
             "tracked_number": tracked_number}
    chosen = {name: values for name, values in given.items() if values}
    for name, values in chosen.items():
        if len(values) > 200 or any(len(v) > 200 for v in values):
            raise BadRequest(f"too many or too long {name} values: at most 200 of 200 characters")
    return chosen


Chosen = Annotated[dict[str, list[str]], Depends(_chosen)]


def _engine(journal: Journal) -> Engine:
    engine: Engine = journal.engine  # the journal's own pool: analytics reads beside it
    return engine


def _settings(
    service_level_s: int | None = None, short_abandon_s: int | None = None
) -> KpiSettings:
    try:
        return center_settings(service_level_s=service_level_s, short_abandon_s=short_abandon_s)
    except AnalyticsError as exc:
        raise BadRequest(str(exc)) from exc


def _range(since: datetime | None, until: datetime | None) -> tuple[float, float]:
    end = until.timestamp() if until is not None else time.time()
    start = since.timestamp() if since is not None else end - DEFAULT_DAYS * 86400
    return start, end


def _teams(user: User) -> tuple[int, ...] | None:
    """The teams whose calls the user's KPIs cover; None: every call."""
    scope = scope_of(user)
    if scope is None:
        return None
    _, _, team_ids = scope
    return team_ids


def _filters(journal: Journal, chosen: dict[str, list[str]]) -> query.Filters:
    filters: query.Filters = _answer(lambda: query.filters(_engine(journal), chosen))
    return filters


def _source(journal: Journal, start: float, end: float, by: str, settings: KpiSettings,
            filters: query.Filters) -> str:
    found: str = _answer(lambda: query.source(_engine(journal), start, end, by=by,
                                              settings=settings, filters=filters))
    return found


def _answer(action: Any) -> Any:
    try:
        return action()
    except AnalyticsError as exc:
        raise BadRequest(str(exc)) from exc


@analytics_router.get("/kpis")
def kpis(
    user: Reader,
    journal: JournalDep,
    chosen: Chosen,
    since: Since = None,
    until: Until = None,
    by: Annotated[
        str, Query(max_length=40, description=f"Group by: {', '.join(query.GROUPINGS)}.")
    ] = "center",
    kpi: Annotated[
        list[str] | None, Query(description="A KPI's name; repeat for several (default: all).")
    ] = None,
    service_level_s: ServiceLevel = None,
    short_abandon_s: ShortAbandon = None,
) -> dict[str, Any]:
    """The KPIs of the contacts that started in the range, per group and in total."""
    settings = _settings(service_level_s, short_abandon_s)
    start, end = _range(since, until)
    filters = _filters(journal, chosen)
    report = _answer(lambda: query.kpis(_engine(journal), start, end, by=by, settings=settings,
                                        teams_only=_teams(user), names=kpi, filters=filters))
    return {
        "by": report.by,
        "since": report.since,
        "until": report.until,
        "timezone": settings.timezone,
        "service_level_s": settings.service_level_s,
        "short_abandon_s": settings.short_abandon_s,
        "source": report.source,
        "filters": chosen,
        "kpis": [{"name": k.name, "version": k.version, "unit": k.unit, "label": k.label}
                 for k in report.kpis],
        "rows": [{"key": r.key, "label": r.label, "values": r.values} for r in report.rows],
        "total": report.total.values,
    }


@analytics_router.get("/heatmap")
def heatmap(user: Reader, journal: JournalDep, chosen: Chosen, since: Since = None,
            until: Until = None) -> dict[str, Any]:
    """Offered inbound calls per local weekday (Monday first) and hour of day."""
    start, end = _range(since, until)
    settings = _settings()
    filters = _filters(journal, chosen)
    grid = _answer(lambda: query.heatmap(_engine(journal), start, end, settings=settings,
                                         teams_only=_teams(user), filters=filters))
    return {"since": start, "until": end, "timezone": settings.timezone, "filters": chosen,
            "source": _source(journal, start, end, "weekday_hour", settings, filters),
            "weekdays": list(query.WEEKDAYS), "hours": list(range(24)), "offered": grid}


@analytics_router.get("/intervals")
def intervals(
    user: Reader,
    journal: JournalDep,
    chosen: Chosen,
    since: Since = None,
    until: Until = None,
    minutes: Annotated[int, Query(description="Interval length: 15, 30 or 60.")] = 60,
    service_level_s: ServiceLevel = None,
) -> dict[str, Any]:
    """Arrivals, answers, abandons, handle time and service level per interval (staffing)."""
    if minutes not in (15, 30, 60):
        raise BadRequest("minutes must be 15, 30 or 60")
    start, end = _range(since, until)
    if (end - start) / (minutes * 60) > 50_000:
        raise BadRequest("too many intervals: shorten the range or lengthen the interval")
    settings = _settings(service_level_s)
    filters = _filters(journal, chosen)
    found = _answer(lambda: query.intervals(_engine(journal), start, end, minutes=minutes,
                                            settings=settings, teams_only=_teams(user),
                                            filters=filters))
    source = (_source(journal, start, end, "interval", settings, filters) if minutes == 60
              else "calls")
    return {"minutes": minutes, "filters": chosen, "source": source,
            "data": [vars_of(i) for i in found]}


@analytics_router.get("/staffing")
def staffing(
    user: Reader,
    journal: JournalDep,
    chosen: Chosen,
    since: Since = None,
    until: Until = None,
    target: Annotated[float, Query(gt=0, lt=1, description="Service level to reach.")] = 0.8,
    answer_within_s: Annotated[float, Query(ge=0, le=3600)] = 20.0,
    shrinkage: Annotated[float, Query(ge=0, lt=1)] = 0.0,
    max_occupancy: Annotated[float | None, Query(gt=0, le=1)] = None,
) -> dict[str, Any]:
    """Agents needed per hour of the range's typical week (Erlang C, or A where callers
    gave up), from its observed arrivals, handle times and patience."""
    from callvault.analytics.staffing import StaffingTarget

    start, end = _range(since, until)
    settings = _settings()
    goal = StaffingTarget(service_level=target, answer_within_s=answer_within_s,
                          shrinkage=shrinkage, max_occupancy=max_occupancy)
    filters = _filters(journal, chosen)
    profile = _answer(lambda: query.weekly_profile(_engine(journal), start, end,
                                                   settings=settings, teams_only=_teams(user),
                                                   filters=filters))
    plan = query.staffing_plan(profile, goal)
    return {"timezone": settings.timezone, "filters": chosen,
            "source": _source(journal, start, end, "weekday_hour", settings, filters),
            "data": [{
        "weekday": p.weekday, "hour": p.hour, "calls_per_week": p.calls_per_week,
        "aht_s": r.interval.aht_s, "patience_s": p.patience_s, "model": r.model,
        "agents": r.agents, "scheduled": r.scheduled, "service_level": r.service_level,
        "asa_s": r.average_speed_of_answer, "occupancy": r.occupancy,
    } for p, r in zip(profile, plan, strict=True)]}


@analytics_router.get("/outcomes")
def outcomes(user: Reader, journal: JournalDep, chosen: Chosen, since: Since = None,
             until: Until = None) -> dict[str, Any]:
    """How many contacts ended with each outcome ("" for none), read from the calls."""
    start, end = _range(since, until)
    filters = _filters(journal, chosen)
    found = _answer(lambda: query.outcomes(_engine(journal), start, end,
                                           teams_only=_teams(user), filters=filters))
    return {"filters": chosen, "source": "calls",
            "data": [{"outcome": o, "calls": n} for o, n in found]}


@analytics_router.get("/marketing")
def marketing(
    user: Reader,
    journal: JournalDep,
    chosen: Chosen,
    since: Since = None,
    until: Until = None,
    by: Annotated[Literal["channel", "campaign"], Query()] = "channel",
) -> dict[str, Any]:
    """Calls, answers, conversions, cost per call and ROI per channel or campaign."""
    start, end = _range(since, until)
    settings = _settings()
    filters = _filters(journal, chosen)
    found = _answer(lambda: query.marketing(_engine(journal), start, end, by=by,
                                            settings=settings, teams_only=_teams(user),
                                            filters=filters))
    return {"by": by, "deal_value": settings.deal_value, "filters": chosen,
            "source": _source(journal, start, end, by, settings, filters),
            "data": [vars_of(r) for r in found]}


def vars_of(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}
