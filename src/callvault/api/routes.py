"""The routes: every one depends on ``CurrentUser``."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import Field

from callvault.accounts import User
from callvault.api.deps import CurrentUser, JournalDep
from callvault.api.errors import InvalidRequest, NotFound
from callvault.api.files import RangeFileResponse
from callvault.api.permissions import Allowed, Permission, check
from callvault.api.schemas import (
    AuditPublic,
    CallAnnotation,
    CallsPublic,
    Health,
    UserPublic,
)
from callvault.api.scope import ClientFilter, may_see, scoped
from callvault.calls.model import Call, CallStatus, Direction, Side
from callvault.console_prefs.columns import JOURNAL_COLUMNS, export_fields
from callvault.journal import CallFilter, Journal
from callvault.journal.export import CSV_FIELDS, call_record, csv_row, iso_time
from callvault.journal.filters import FilterError, number_forms
from callvault.journal.repository import AuditFilter
from callvault.ops import health as ops_health
from callvault.recording.peaks import CACHE as PEAKS
from callvault.recording.peaks import MAX_POINTS, PeaksError
from callvault.vault.filesystem import FilesystemVault, VaultError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50
MAX_OFFSET = 2**31 - 1
"""Beyond what any journal holds; larger numbers do not fit the database's integers."""
EXPORT_CHUNK = 500
"""Calls read from the journal at a time while an export streams."""

COUNT_CAP = 1_000
"""``count=capped`` counts at most this many calls (cheap on any journal)."""
COUNT_HELP = (
    f"capped (default): exact up to {COUNT_CAP:,}, else {COUNT_CAP:,} with count_capped; "
    "exact: a full count (slow on millions of calls); none: no count (null)."
)
Id = Annotated[int, Field(ge=0, le=MAX_OFFSET)]
SipCode = Annotated[int, Field(ge=100, le=699)]
CountMode = Literal["capped", "exact", "none"]
SortKey = Literal["started_at", "duration", "talk", "ring", "status", "caller", "callee"]

MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "opus": "audio/ogg", "ogg": "audio/ogg"}

router = APIRouter(prefix="/api")


@router.get("/health")
def health(request: Request, user: CurrentUser, journal: JournalDep) -> Health:
    """"ok", or "degraded" while a recorder is down or the disk nearly full (the reasons:
    ``GET /api/health/details``)."""
    status = ops_health.check(request.app.state.settings).status
    return Health(status=status, calls=journal.count_calls(scoped(CallFilter(), user)))


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)


def _several(description: str) -> Any:
    return Query(description=f"{description} Repeat the parameter for several (any of them).")


class Filters:
    """The filters and order of the call list and its exports (paging aside): every field
    of ``CallFilter``, as query parameters."""

    def __init__(
        self,
        since: Annotated[
            datetime | None,
            Query(
                description="Calls that started at or after: ISO 8601 (UTC unless zoned), epoch s."
            ),
        ] = None,
        until: Annotated[datetime | None, Query(description="Calls that started before.")] = None,
        number: Annotated[
            str | None,
            Query(max_length=64, description="Part of the caller's or callee's number (slow)."),
        ] = None,
        party: Annotated[
            str | None,
            Query(max_length=64, description="A whole number as caller or callee (indexed)."),
        ] = None,
        caller: Annotated[
            str | None, Query(max_length=64, description="A whole number as the caller.")
        ] = None,
        callee: Annotated[
            str | None, Query(max_length=64, description="A whole number as the callee.")
        ] = None,
        status: Annotated[list[CallStatus] | None, _several("Call status.")] = None,
        direction: Annotated[list[Direction] | None, _several("Direction.")] = None,
        agent_id: Annotated[list[Id] | None, _several("Agent id (directory).")] = None,
        team_id: Annotated[list[Id] | None, _several("Team id.")] = None,
        queue_id: Annotated[list[Id] | None, _several("Queue id.")] = None,
        tracked_number_id: Annotated[list[Id] | None, _several("Tracked number id.")] = None,
        agent: Annotated[
            str | None, Query(max_length=200, description="An agent's name (whole, any case).")
        ] = None,
        team: Annotated[str | None, Query(max_length=200, description="A team's name.")] = None,
        queue: Annotated[str | None, Query(max_length=200, description="A queue's name.")] = None,
        min_duration_ms: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
        max_duration_ms: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
        min_talk_ms: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
        max_talk_ms: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
        min_ring_ms: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
        max_ring_ms: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
        has_recording: Annotated[
            bool | None, Query(description="true: recorded calls; false: the others.")
        ] = None,
        has_audio_issue: Annotated[
            bool | None, Query(description="true: calls whose audio was not usable.")
        ] = None,
        consent: Annotated[
            Literal["missing", "heard", "not heard"] | None,
            Query(description="The consent notice: missing (required, not heard), heard…"),
        ] = None,
        outcome: Annotated[list[str] | None, _several("Outcome (any case).")] = None,
        tag: Annotated[
            list[str] | None, Query(description="A tag; repeated: calls with every one.")
        ] = None,
        channel: Annotated[list[str] | None, _several("Marketing channel.")] = None,
        campaign: Annotated[list[str] | None, _several("Campaign.")] = None,
        sip_code: Annotated[list[SipCode] | None, _several("Final SIP response code.")] = None,
        hangup_by: Annotated[Side | None, Query(description="Who hung up.")] = None,
        codec: Annotated[list[str] | None, _several("Negotiated codec, e.g. PCMA.")] = None,
        transport: Annotated[list[str] | None, _several("SIP transport, e.g. udp.")] = None,
        source: Annotated[list[str] | None, _several("Where the call came from.")] = None,
        comment: Annotated[
            str | None,
            Query(max_length=200, description="Text in the comment, any case (not indexed)."),
        ] = None,
        after_id: Annotated[
            Id | None,
            Query(description="Calls journaled after the call with this id: what is new."),
        ] = None,
        sort: Annotated[SortKey, Query(description="The sort key; the call id breaks ties.")] = (
            "started_at"
        ),
        order: Literal["desc", "asc"] = "desc",
    ) -> None:
        self.since = _utc(since)
        self.until = _utc(until)
        self.given: dict[str, Any] = {
            "number": number,
            "party": party,
            "caller": caller,
            "callee": callee,
            "status": status,
            "direction": direction,
            "agent_id": agent_id,
            "team_id": team_id,
            "queue_id": queue_id,
            "tracked_number_id": tracked_number_id,
            "agent": agent,
            "team": team,
            "queue": queue,
            "min_duration_ms": min_duration_ms,
            "max_duration_ms": max_duration_ms,
            "min_talk_ms": min_talk_ms,
            "max_talk_ms": max_talk_ms,
            "min_ring_ms": min_ring_ms,
            "max_ring_ms": max_ring_ms,
            "has_recording": has_recording,
            "has_audio_issue": has_audio_issue,
            "consent": consent,
            "outcome": outcome,
            "tags": tag,
            "channel": channel,
            "campaign": campaign,
            "sip_code": sip_code,
            "hangup_by": hangup_by,
            "codec": codec,
            "transport": transport,
            "source": source,
            "comment": comment,
            "after_id": after_id,
        }
        self.sort = sort
        self.order = order

    def call_filter(
        self, limit: int | None, offset: int = 0, cursor: str | None = None
    ) -> CallFilter:
        given = {name: value for name, value in self.given.items() if value is not None}
        try:
            return CallFilter(
                since=self.since,
                until=self.until,
                **{name: tuple(v) if isinstance(v, list) else v for name, v in given.items()},
                sort=self.sort,
                newest_first=self.order == "desc",
                cursor=cursor,
                limit=limit,
                offset=offset,
            )
        except FilterError as exc:
            raise _invalid(exc) from exc

    def text(self) -> str:
        """The filters given, as the audit trail keeps them."""
        given = {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            # One value of a repeatable parameter as a value, several as a list.
            **{
                name: value[0] if isinstance(value, list) and len(value) == 1 else value
                for name, value in self.given.items()
            },
        }
        if self.sort != "started_at" or self.order != "desc":
            given.update(sort=self.sort, order=self.order)
        return json.dumps({key: value for key, value in given.items() if value is not None})


FiltersDep = Annotated[Filters, Depends()]


@router.get("/calls")
def list_calls(
    user: CurrentUser,
    journal: JournalDep,
    filters: FiltersDep,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=1000, description="A previous page's next_cursor: the page after it."),
    ] = None,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Skip calls (after the cursor, if any).")
    ] = 0,
    count: Annotated[CountMode, Query(description=COUNT_HELP)] = "capped",
) -> CallsPublic:
    wanted = scoped(filters.call_filter(limit, offset, cursor), user)
    return _page(journal, wanted, count)


ColumnsQuery = Annotated[
    list[str] | None,
    Query(
        max_length=len(JOURNAL_COLUMNS),
        description="The columns to write, in order (the journal's column names); "
        "default: every field. Repeat the parameter for several.",
    ),
]


@router.get("/calls/export.csv", response_class=StreamingResponse)
def export_csv(
    request: Request,
    user: CurrentUser,
    journal: JournalDep,
    filters: FiltersDep,
    columns: ColumnsQuery = None,
) -> StreamingResponse:
    """Every call the filters select (no limit), as CSV with ``CSV_FIELDS`` (or the
    ``columns`` chosen); streamed."""
    check(user, Permission.CALLS_EXPORT)
    fields = _export_fields(columns)
    wanted = scoped(filters.call_filter(None, 0), user)
    _audit(journal, request, user, "export", detail=_export_detail("csv", filters))

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=fields, lineterminator="\r\n", extrasaction="ignore"
        )
        writer.writeheader()
        for call in _all_calls(journal, wanted):
            writer.writerow(csv_row(call))
            if buffer.tell() >= 1 << 16:
                yield _drain(buffer)
        yield _drain(buffer)

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="calls.csv"'},
    )


# Out of the served schema: generic clients (and schema walkers) expect text answers.
@router.get("/calls/export.xlsx", response_class=StreamingResponse, include_in_schema=False)
def export_xlsx(
    request: Request,
    user: CurrentUser,
    journal: JournalDep,
    filters: FiltersDep,
    columns: ColumnsQuery = None,
) -> StreamingResponse:
    """The CSV export as an Excel workbook (needs openpyxl): built in a temporary file
    (write-only, rows never all in memory), then streamed."""
    check(user, Permission.CALLS_EXPORT)
    try:
        from openpyxl import Workbook
    except ImportError:
        raise NotFound("XLSX export needs openpyxl on the server; use export.csv") from None
    fields = _export_fields(columns)
    wanted = scoped(filters.call_filter(None, 0), user)
    _audit(journal, request, user, "export", detail=_export_detail("xlsx", filters))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("calls")
    sheet.append(list(fields))
    for call in _all_calls(journal, wanted):
        row = csv_row(call)
        sheet.append([row[field] for field in fields])
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 (closed below)
    workbook.save(spool)
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := spool.read(1 << 16):
                yield chunk
        finally:
            spool.close()

    return StreamingResponse(
        chunks(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="calls.xlsx"'},
    )


@router.get("/clients/{number}/calls")
def client_calls(
    number: str,
    user: CurrentUser,
    journal: JournalDep,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=1000, description="A previous page's next_cursor: the page after it."),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    count: Annotated[CountMode, Query(description=COUNT_HELP)] = "capped",
) -> CallsPublic:
    """Every call with ``number`` as caller or callee, newest first: the number as captured
    or in E.164, compared by its digits ("+45 99 88-77 66" finds +4599887766)."""
    forms = number_forms(number)
    if not forms:
        raise InvalidRequest("path parameter 'number': send a phone number or extension")
    try:
        client = ClientFilter(client=forms, limit=limit, offset=offset, cursor=cursor)
    except FilterError as exc:
        raise _invalid(exc) from exc
    return _page(journal, scoped(client, user), count)


def _page(journal: Journal, wanted: CallFilter, count: CountMode) -> CallsPublic:
    page = journal.page_calls(wanted)
    total: int | None = None
    capped = False
    if count == "exact":
        total = journal.count_calls(wanted)
    elif count == "capped":
        total = journal.count_calls(wanted, cap=COUNT_CAP)
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
    return CallsPublic(
        data=[call_record(call) for call in page.calls],
        count=total,
        count_capped=capped,
        next_cursor=page.next_cursor,
    )


@router.get("/audit")
def list_audit(
    user: CurrentUser,
    journal: JournalDep,
    since: Annotated[datetime | None, Query(description="Entries at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Entries before.")] = None,
    username: Annotated[str | None, Query(max_length=200)] = None,
    action: Literal[
        "playback", "download", "export", "annotate", "recording_control", "evaluate"
    ] | None = None,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditPublic:
    """The audit trail, newest first: compliance and admin only."""
    check(user, Permission.AUDIT_READ)
    wanted = AuditFilter(
        since=None if since is None else _utc(since).timestamp(),  # type: ignore[union-attr]
        until=None if until is None else _utc(until).timestamp(),  # type: ignore[union-attr]
        username=username,
        action=action,
        limit=limit,
        offset=offset,
    )
    return AuditPublic(
        data=[
            {
                "id": entry.id,
                "at": iso_time(entry.at),
                "username": entry.username,
                "action": entry.action,
                "call_id": entry.call_id,
                "detail": entry.detail,
                "client": entry.client,
            }
            for entry in journal.list_audit(wanted)
        ],
        count=journal.count_audit(wanted),
    )


@router.get("/calls/{ref}")
def get_call(ref: str, user: CurrentUser, journal: JournalDep) -> dict[str, Any]:
    """One call by journal id, uid or SIP Call-ID, with its streams and events. A call the
    user may not see is 404, like a call that does not exist: ids do not leak."""
    from callvault.recording.consent import consent_record

    found = _visible_call(journal, ref, user)
    return {**call_record(found, detail=True), "consent": consent_record(journal, found)}


@router.patch("/calls/{ref}")
def annotate_call(
    ref: str, body: CallAnnotation, request: Request, user: CurrentUser, journal: JournalDep
) -> dict[str, Any]:
    """Set a call's comment, outcome and tags (those sent; null clears one). Agents on their
    own calls, supervisors and admins on any; compliance and managers read only."""
    check(user, Permission.CALLS_ANNOTATE)
    given = body.model_fields_set
    if not given:
        raise InvalidRequest("request body: send at least one of comment, outcome, tags")
    found = _visible_call(journal, ref, user)
    assert found.id is not None
    changes = {name: getattr(body, name) for name in sorted(given)}
    if not journal.annotate(found.id, **changes):
        raise NotFound(f"no call {ref!r}")
    _audit(journal, request, user, "annotate", call_id=found.id, detail=json.dumps(changes))
    return call_record(_visible_call(journal, str(found.id), user), detail=True)


@router.get("/calls/{ref}/recording", response_class=FileResponse)
def get_recording(
    ref: str,
    request: Request,
    user: CurrentUser,
    journal: JournalDep,
    download: Annotated[
        bool, Query(description="As an attachment (audited as a download, not a playback).")
    ] = False,
) -> FileResponse:
    """The call's recording, with Range support (206, Content-Range); ETag is its SHA-256."""
    found = _visible_call(journal, ref, user)
    path = _recording_file(request, found, ref)
    recording = found.recording
    assert recording is not None
    action = "download" if download else "playback"
    _audit(
        journal,
        request,
        user,
        action,
        call_id=found.id,
        detail=json.dumps({"range": request.headers.get("range")}),
    )
    name = f"{found.uid}.{recording.format}"
    return RangeFileResponse(
        path,
        media_type=MEDIA_TYPES.get(recording.format, "application/octet-stream"),
        headers={"ETag": f'"{recording.sha256}"'},
        filename=name,
        content_disposition_type="attachment" if download else "inline",
    )


@router.get("/calls/{ref}/recording/peaks")
def get_recording_peaks(
    ref: str,
    request: Request,
    user: Annotated[User, Allowed(Permission.CALLS_READ)],
    journal: JournalDep,
    points: Annotated[
        int, Query(ge=1, le=MAX_POINTS, description="Peaks per channel (one per pixel).")
    ] = 2000,
) -> dict[str, Any]:
    """The recording's waveform as per-channel minimum and maximum samples (-1…1) in
    ``points`` equal buckets, its duration, and the spans where both parties are silent
    (``docs/console.md``): the player draws from these before any audio is fetched.
    Audited as a playback."""
    found = _visible_call(journal, ref, user)
    try:
        peaks = PEAKS.get(_recording_file(request, found, ref), points)
    except PeaksError as exc:
        raise NotFound(f"call {ref!r}: {exc}") from exc
    _audit(journal, request, user, "playback", call_id=found.id,
           detail=json.dumps({"peaks": points}))
    return peaks.as_record()


def _recording_file(request: Request, found: Call, ref: str) -> Path:
    """The path of ``found``'s recording in the vault; 404 when it has none."""
    recording = found.recording
    if recording is None:
        why = found.audio_issue or "none was stored"
        raise NotFound(f"call {ref!r} has no recording: {why}")
    vault = FilesystemVault(request.app.state.settings.recordings_dir)
    try:
        path = vault.path(recording.path)
    except VaultError as exc:
        raise NotFound(f"call {ref!r} has no readable recording: {exc}") from exc
    if not path.is_file():
        raise NotFound(f"call {ref!r}: its recording is missing from the vault")
    return path


def _visible_call(journal: Journal, ref: str, user: User) -> Call:
    found = journal.get_call(ref)
    if found is None or not may_see(found, user):
        raise NotFound(f"no call {ref!r}")
    return found


def _audit(
    journal: Journal,
    request: Request,
    user: User,
    action: str,
    *,
    call_id: int | None = None,
    detail: str | None = None,
) -> None:
    client = request.client.host if request.client else None
    journal.record_audit(user.username, action, call_id=call_id, detail=detail, client=client)


def _export_fields(columns: list[str] | None) -> tuple[str, ...]:
    if not columns:
        return CSV_FIELDS
    try:
        return export_fields(columns)
    except ValueError as exc:
        raise InvalidRequest(f"query parameter 'columns': {exc}") from None


def _export_detail(fmt: str, filters: Filters) -> str:
    return f"{fmt} {filters.text()}"


def _all_calls(journal: Journal, wanted: CallFilter) -> Iterator[Call]:
    """The calls ``wanted`` selects, read EXPORT_CHUNK at a time (keyset pages: calls
    saved meanwhile neither repeat nor shift one)."""
    page = journal.page_calls(replace(wanted, limit=EXPORT_CHUNK, offset=0))
    while True:
        yield from page.calls
        if page.next_cursor is None:
            return
        page = journal.page_calls(replace(wanted, limit=EXPORT_CHUNK, cursor=page.next_cursor))


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _invalid(exc: FilterError) -> InvalidRequest:
    """A CallFilter's complaint, naming the query parameter it is about."""
    parameter = {"tags": "tag", "newest_first": "order"}.get(exc.field, exc.field)
    return InvalidRequest(f"query parameter '{parameter}': {exc}")


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
