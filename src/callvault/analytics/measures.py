"""The measures of calls: what each call adds to a group's sums, read from the journal.

A call counts (in every KPI) when it is a contact with a client: direction inbound or
outbound and status answered, missed, busy or rejected. Internal and unknown-direction calls,
failed calls and unsignalled conversations are left out. A call belongs to the hour (and day,
date, interval) in which it *started*, however long it lasted.

Every call's measures are a row of ``KPI_MEASURES`` integers; a group's measures are their
sums (``wait_max_ms``: their maximum). The client of a call (inbound: the caller's number,
outbound: the callee's; E.164 where known) links it to the client's other calls for the
repeat-call and contacts-before-deal measures, which read the client's whole history.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from callvault.analytics.kpis import POOR_MOS, KpiSettings
from callvault.journal.schema import KPI_MEASURES, KPI_WAIT_BOUNDS_S, calls, streams

CONTACT_DIRECTIONS: Final = ("inbound", "outbound")
CONTACT_STATUSES: Final = ("answered", "missed", "busy", "rejected")
REPEAT_WINDOWS_S: Final = {"repeat_24h": 24 * 3600, "repeat_7d": 7 * 24 * 3600}
"""A call is repeated when the client calls in again within this long of its start."""
DIMENSIONS: Final = ("agent", "queue", "direction", "channel", "campaign", "tracked_number")
"""The dimensions rolled up besides the whole center (team is every rollup row's key)."""

INDEX: Final = {name: i for i, name in enumerate(KPI_MEASURES)}
WAIT_MAX: Final = INDEX["wait_max_ms"]
_KEY_CHUNK = 400

client_key = sa.case(
    (calls.c.direction == "inbound", sa.func.coalesce(calls.c.caller_e164, calls.c.caller_number)),
    else_=sa.func.coalesce(calls.c.callee_e164, calls.c.callee_number),
)
"""The client's number: the caller's of an inbound call, the callee's of an outbound one."""

_COLUMNS = (
    calls.c.id, calls.c.started_at, calls.c.direction, calls.c.status, calls.c.ring_ms,
    calls.c.talk_ms, calls.c.hold_ms, calls.c.wrap_up_ms, calls.c.transferred,
    calls.c.outcome, calls.c.csat, calls.c.agent_id, calls.c.team_id, calls.c.queue_id,
    calls.c.tracked_number_id, calls.c.channel, calls.c.campaign, client_key.label("client"),
)


def extra_names(settings: KpiSettings) -> list[str]:
    """The threshold measures ``settings`` need beyond the histogram's (read from calls)."""
    return [
        f"{prefix}_within_{seconds}"
        for prefix, seconds in (("answered", settings.service_level_s),
                                ("abandoned", settings.short_abandon_s))
        if seconds and seconds not in KPI_WAIT_BOUNDS_S
    ]


def names(settings: KpiSettings) -> list[str]:
    return [*KPI_MEASURES, *extra_names(settings)]


def contact_conditions(since: float, until: float) -> list[sa.ColumnElement[bool]]:
    return [
        calls.c.started_at >= since,
        calls.c.started_at < until,
        calls.c.direction.in_(CONTACT_DIRECTIONS),
        calls.c.status.in_(CONTACT_STATUSES),
    ]


@dataclass(slots=True)
class CallMeasures:
    """The measures of a set of calls, one row per call, with what groups them."""

    started_at: npt.NDArray[np.float64]
    matrix: npt.NDArray[np.int64]
    """One row per call, one column per ``KPI_MEASURES`` name."""
    keys: dict[str, list[str]]
    """Per dimension (and "team"), each call's value ("" for none)."""
    follow_hours: set[int]
    """With ``read(follow=True)``: the UTC hours of the same clients' calls from a week
    before ``since`` on, whose repeat and contacts-before-deal measures these calls move."""

    def __len__(self) -> int:
        return len(self.started_at)


def read(
    connection: Connection,
    since: float,
    until: float,
    settings: KpiSettings,
    teams: Sequence[int] | None = None,
    *,
    follow: bool = False,
    known_flags: dict[int, dict[str, int]] | None = None,
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> CallMeasures:
    """The measures of the contacts that started in [since, until) (of ``teams`` only, when
    given), exactly, from the calls, their streams and their clients' histories
    (``known_flags``: those histories' measures, already worked out by ``all_flags``;
    ``where``: further conditions on ``calls``, e.g. a report's filters)."""
    conditions = contact_conditions(since, until)
    if teams is not None:
        conditions.append(calls.c.team_id.in_(list(teams)))
    conditions.extend(where)
    rows = connection.execute(sa.select(*_COLUMNS).where(*conditions)).all()
    quality = _quality(connection, conditions)
    if known_flags is not None:
        flags, history = known_flags, []
    else:
        clients = {row.client for row in rows if row.client}
        flags, history = _client_flags(connection, clients, settings)
    found = _measure(rows, quality, flags, settings)
    if follow:
        horizon = since - max(REPEAT_WINDOWS_S.values())
        found.follow_hours = {int(at // 3600) * 3600 for at in history if at >= horizon}
    return found


def _quality(
    connection: Connection, conditions: list[sa.ColumnElement[bool]]
) -> dict[int, tuple[float | None, int, int]]:
    query = (
        sa.select(
            streams.c.call_id,
            sa.func.avg(streams.c.mos),
            sa.func.sum(streams.c.expected),
            sa.func.sum(streams.c.lost),
        )
        .join(calls, calls.c.id == streams.c.call_id)
        .where(*conditions)
        .group_by(streams.c.call_id)
    )
    return {
        call_id: (None if mos is None else float(mos), int(expected or 0), int(lost or 0))
        for call_id, mos, expected, lost in connection.execute(query)
    }


Contact = tuple[float, int, str, str, str | None]
"""(started_at, id, direction, status, outcome) of one of a client's calls."""


def all_flags(connection: Connection, settings: KpiSettings) -> dict[int, dict[str, int]]:
    """``_client_flags`` of every client at once, in one pass over the calls in order of
    client (for a rebuild)."""
    client = client_key.label("client")
    query = (
        sa.select(calls.c.started_at, calls.c.id, calls.c.direction, calls.c.status,
                  calls.c.outcome, client)
        .where(calls.c.direction.in_(CONTACT_DIRECTIONS), calls.c.status.in_(CONTACT_STATUSES),
               client_key.is_not(None))
        .order_by(client_key, calls.c.started_at, calls.c.id)
    )
    flags: dict[int, dict[str, int]] = {}
    current: str | None = None
    contacts: list[Contact] = []
    result = connection.execute(query.execution_options(stream_results=True, yield_per=20_000))
    for row in result:
        if row.client != current:
            client_flags(contacts, settings, flags)
            current, contacts = row.client, []
        contacts.append((row.started_at, row.id, row.direction, row.status, row.outcome))
    client_flags(contacts, settings, flags)
    return flags


def _client_flags(
    connection: Connection, clients: set[str], settings: KpiSettings
) -> tuple[dict[int, dict[str, int]], list[float]]:
    """Per call id of these clients' calls: repeat_24h / repeat_7d (an inbound answered call
    followed by another inbound contact of the client within the window) and, for a deal,
    deal_prior_contacts (the client's contacts since their previous deal); and the start of
    every call of theirs."""
    history: dict[str, list[Contact]] = defaultdict(list)
    keys = sorted(clients)
    columns = (calls.c.id, calls.c.started_at, calls.c.direction, calls.c.status,
               calls.c.outcome, client_key.label("client"))
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start : start + _KEY_CHUNK]
        query = sa.select(*columns).where(
            calls.c.direction.in_(CONTACT_DIRECTIONS),
            calls.c.status.in_(CONTACT_STATUSES),
            sa.or_(
                calls.c.caller_e164.in_(chunk), calls.c.caller_number.in_(chunk),
                calls.c.callee_e164.in_(chunk), calls.c.callee_number.in_(chunk),
            ),
        )
        wanted = set(chunk)
        for row in connection.execute(query):
            if row.client in wanted:
                history[row.client].append(
                    (row.started_at, row.id, row.direction, row.status, row.outcome)
                )
    flags: dict[int, dict[str, int]] = {}
    for contacts in history.values():
        contacts.sort()
        client_flags(contacts, settings, flags)
    return flags, [c[0] for contacts in history.values() for c in contacts]


def client_flags(
    contacts: Sequence[Contact], settings: KpiSettings, flags: dict[int, dict[str, int]]
) -> None:
    """Add to ``flags`` the repeat and contacts-before-deal measures of one client's
    contacts (in order of their start)."""
    next_inbound: float | None = None
    for started_at, call_id, direction, status, _ in reversed(contacts):
        if direction == "inbound":
            if status == "answered" and next_inbound is not None:
                gap = next_inbound - started_at
                marks = {name: 1 for name, window in REPEAT_WINDOWS_S.items() if gap <= window}
                if marks:
                    flags.setdefault(call_id, {}).update(marks)
            next_inbound = started_at
    since_deal = 0
    for _, call_id, _, _, outcome in contacts:
        if _normal(outcome) in settings.deal_outcomes:
            flags.setdefault(call_id, {})["deal_prior_contacts"] = since_deal
            since_deal = 0
        else:
            since_deal += 1


def _normal(outcome: str | None) -> str | None:
    return None if outcome is None else outcome.strip().lower() or None


def _measure(
    rows: Sequence[Any],
    quality: dict[int, tuple[float | None, int, int]],
    flags: dict[int, dict[str, int]],
    settings: KpiSettings,
) -> CallMeasures:
    n = len(rows)
    extras = extra_names(settings)
    matrix = np.zeros((n, len(KPI_MEASURES) + len(extras)), dtype=np.int64)
    started = np.fromiter((r.started_at for r in rows), dtype=np.float64, count=n)
    inbound = np.fromiter((r.direction == "inbound" for r in rows), dtype=bool, count=n)
    answered = np.fromiter((r.status == "answered" for r in rows), dtype=bool, count=n)
    gave_up = np.fromiter((r.status == "missed" for r in rows), dtype=bool, count=n)
    wait = np.fromiter((r.ring_ms or 0 for r in rows), dtype=np.int64, count=n)
    talk = np.fromiter((r.talk_ms or 0 for r in rows), dtype=np.int64, count=n)
    hold = np.fromiter((r.hold_ms or 0 for r in rows), dtype=np.int64, count=n)
    wrap = np.fromiter((r.wrap_up_ms or 0 for r in rows), dtype=np.int64, count=n)
    transferred = np.fromiter((bool(r.transferred) for r in rows), dtype=bool, count=n)
    outcomes = [_normal(r.outcome) for r in rows]
    csat = [r.csat for r in rows]

    def put(name: str, values: npt.NDArray[Any]) -> None:
        matrix[:, INDEX[name]] = values

    inbound_answered = inbound & answered
    put("calls", 1)
    put("inbound", inbound)
    put("inbound_answered", inbound_answered)
    put("inbound_abandoned", inbound & gave_up)
    put("outbound", ~inbound)
    put("outbound_answered", ~inbound & answered)
    put("handled", answered)
    put("talk_ms", talk * answered)
    put("hold_ms", hold * answered)
    put("wrap_up_ms", wrap * answered)
    put("handle_ms", (talk + wrap) * answered)  # talk time includes time on hold
    put("wait_ms", wait * inbound)
    put("answer_wait_ms", wait * inbound_answered)
    put("wait_max_ms", wait * inbound)
    for bound in KPI_WAIT_BOUNDS_S:
        put(f"answered_within_{bound}", inbound_answered & (wait <= bound * 1000))
        put(f"abandoned_within_{bound}", inbound & gave_up & (wait < bound * 1000))
    for i, name in enumerate(extras, start=len(KPI_MEASURES)):
        bound = int(name.rsplit("_", 1)[1]) * 1000
        matrix[:, i] = (inbound_answered & (wait <= bound) if name.startswith("answered")
                        else inbound & gave_up & (wait < bound))
    put("transferred", answered & transferred)
    put("with_outcome", np.fromiter((o is not None for o in outcomes), dtype=bool, count=n))
    put("resolved", np.fromiter((o in settings.resolved_outcomes for o in outcomes), bool, n))
    put("deals", np.fromiter((o in settings.deal_outcomes for o in outcomes), bool, n))
    put("csat_scored", np.fromiter((c is not None for c in csat), dtype=bool, count=n))
    put("csat_sum", np.fromiter((c or 0 for c in csat), dtype=np.int64, count=n))
    has_client = np.fromiter((bool(r.client) for r in rows), dtype=bool, count=n)
    put("repeat_base", inbound_answered & has_client)
    for i, row in enumerate(rows):
        if (marks := flags.get(row.id)) is not None:
            for name, value in marks.items():
                matrix[i, INDEX[name]] = value
        if (measured := quality.get(row.id)) is not None:
            mos, expected, lost = measured
            if mos is not None:
                matrix[i, INDEX["mos_calls"]] = 1
                matrix[i, INDEX["mos_milli_sum"]] = mos_milli(mos)
                matrix[i, INDEX["mos_poor"]] = mos < POOR_MOS
            matrix[i, INDEX["rtp_expected"]] = expected
            matrix[i, INDEX["rtp_lost"]] = lost
    keys = {
        "team": [str(r.team_id) if r.team_id is not None else "" for r in rows],
        "agent": [str(r.agent_id) if r.agent_id is not None else "" for r in rows],
        "queue": [str(r.queue_id) if r.queue_id is not None else "" for r in rows],
        "direction": [r.direction for r in rows],
        "channel": [r.channel or "" for r in rows],
        "campaign": [r.campaign or "" for r in rows],
        "tracked_number": [
            str(r.tracked_number_id) if r.tracked_number_id is not None else "" for r in rows
        ],
    }
    return CallMeasures(started, matrix, keys, set())


def mos_milli(mos: float) -> int:
    """A mean MOS in thousandths, rounded half up (as the rollups' SQL rounds it)."""
    return math.floor(mos * 1000 + 0.5)


def group(
    labels: Iterable[Any], matrix: npt.NDArray[np.int64]
) -> dict[Any, npt.NDArray[np.int64]]:
    """The measures of ``matrix``'s rows summed per label (``wait_max_ms``: the maximum)."""
    codes: dict[Any, int] = {}
    indices = np.fromiter((codes.setdefault(label, len(codes)) for label in labels),
                          dtype=np.int64, count=len(matrix))
    if not codes:
        return {}
    order = np.argsort(indices, kind="stable")
    ordered = matrix[order]
    starts = np.flatnonzero(np.diff(indices[order], prepend=-1))
    sums = np.add.reduceat(ordered, starts, axis=0)
    sums[:, WAIT_MAX] = np.maximum.reduceat(ordered[:, WAIT_MAX], starts)
    return {label: sums[code] for label, code in codes.items()}


def combine(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Several groups' (or calls') measures as one group's."""
    total = rows.sum(axis=0, dtype=np.int64)
    if len(rows):
        total[WAIT_MAX] = rows[:, WAIT_MAX].max()
    return total


def as_mapping(vector: npt.NDArray[np.int64], settings: KpiSettings) -> dict[str, int]:
    return {name: int(v) for name, v in zip(names(settings), vector.tolist(), strict=True)}


def empty(settings: KpiSettings) -> npt.NDArray[np.int64]:
    return np.zeros(len(names(settings)), dtype=np.int64)
