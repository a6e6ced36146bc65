"""FreeSWITCH CDRs: mod_cdr_csv, mod_cdr_sqlite (database or ``.dump``) and mod_json_cdr.

CSV and SQLite stamps are the switch's local time; JSON CDRs carry epoch seconds (UTC)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from callvault.importers.csvrows import read_bytes
from callvault.importers.legs import (
    CdrFileError,
    ImportReport,
    Leg,
    RowError,
    parse_int,
    parse_stamp,
    status_from_cause,
)

CSV_COLUMNS = (
    "caller_id_name", "caller_id_number", "destination_number", "context", "start_stamp",
    "answer_stamp", "end_stamp", "duration", "billsec", "hangup_cause", "uuid", "bleg_uuid",
    "accountcode", "read_codec", "write_codec",
)
"""mod_cdr_csv's default template (cdr_csv.conf.xml ``<template name="example">``)."""


def parse_columns(text: str) -> tuple[str, ...]:
    """A ``--columns`` list for a custom template: ``${caller_id_number}`` or bare names."""
    names = tuple(n.strip().strip('"').removeprefix("${").removesuffix("}").strip()
                  for n in text.split(","))
    if not names or any(not n for n in names):
        raise ValueError("empty column name")
    if "start_stamp" not in names or "uuid" not in names:
        raise ValueError("the columns must include start_stamp and uuid")
    return names


def read_csv_legs(rows: Iterator[tuple[int, list[str]]], report: ImportReport,
                  zone: tzinfo | None, columns: Sequence[str] = CSV_COLUMNS) -> list[Leg]:
    legs = []
    for line, fields in rows:
        try:
            if len(fields) != len(columns):
                raise RowError(f"{len(fields)} fields, expected {len(columns)}")
            legs.append(leg_of_row(dict(zip(columns, fields, strict=True)), line, zone))
        except RowError as exc:
            report.skip(line, str(exc))
    return legs


def leg_of_row(row: Mapping[str, Any], line: int, zone: tzinfo | None) -> Leg:
    """A leg of a CSV or SQLite row (stamps in local time).

    A stamp without seconds (a spreadsheet re-saved ``2020/2/10 22:41``) is made good from the
    exact whole seconds FreeSWITCH counted: end = start + duration, answer = end - billsec."""
    text = {k: ("" if v is None else str(v)) for k, v in row.items()}
    started = parse_stamp(text.get("start_stamp", ""), zone)
    if started is None:
        raise RowError("no start_stamp")
    answer = parse_stamp(text.get("answer_stamp", ""), zone)
    end = parse_stamp(text.get("end_stamp", ""), zone)
    duration = parse_int(text.get("duration"), "duration")
    billsec = parse_int(text.get("billsec"), "billsec")
    precise = started[1] and (end is None or end[1]) and (answer is None or answer[1])
    ended_at = end[0] if end else None
    answered_at = answer[0] if answer else None
    if duration is not None and (not precise or ended_at is None):
        ended_at = started[0] + duration
    if answer is not None and billsec is not None and ended_at is not None and not precise:
        answered_at = ended_at - billsec
    if ended_at is not None and ended_at < started[0]:
        raise RowError("ends before it starts")
    uuid = text.get("uuid", "").strip()
    if not uuid:
        raise RowError("no uuid")
    bleg = text.get("bleg_uuid", "").strip()
    cause = text.get("hangup_cause", "").strip() or None
    return Leg(
        group=uuid,
        ids=tuple(i for i in (uuid, bleg) if i),
        line=line,
        started_at=started[0],
        answered_at=answered_at,
        ended_at=ended_at,
        status=status_from_cause(cause, answered_at is not None),
        billsec=billsec,
        caller_number=text.get("caller_id_number", "").strip() or None,
        caller_name=text.get("caller_id_name", "").strip() or None,
        dialled=text.get("destination_number", "").strip() or None,
        hangup_cause=cause,
        codec=text.get("read_codec", "").strip() or None,
    )


# -- mod_cdr_sqlite --------------------------------------------------------------------------

_DENIED_ACTIONS = {
    getattr(sqlite3, name) for name in (
        "SQLITE_ATTACH", "SQLITE_DETACH", "SQLITE_PRAGMA", "SQLITE_DROP_TABLE",
        "SQLITE_CREATE_TRIGGER", "SQLITE_CREATE_VIEW", "SQLITE_CREATE_VTABLE",
        "SQLITE_ALTER_TABLE", "SQLITE_DELETE", "SQLITE_TRANSACTION", "SQLITE_SELECT",
        "SQLITE_RECURSIVE",
    )
}

DUMP_FUNCTIONS = frozenset({"replace", "char", "unistr"})
"""What `.dump` writes inside INSERTs: replace('a\\nb','\\n',char(10)) for newlines."""


def _authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None,
                source: str | None) -> int:
    if action == sqlite3.SQLITE_UPDATE:
        # CREATE TABLE writes the schema table; nothing else may be updated
        return sqlite3.SQLITE_OK if (arg1 or "").startswith("sqlite_") else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_OK if (arg2 or "").lower() in DUMP_FUNCTIONS else sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_DENY if action in _DENIED_ACTIONS else sqlite3.SQLITE_OK


def load_dump(text: str, report: ImportReport) -> sqlite3.Connection:
    """An in-memory database from a ``sqlite3 .dump``: only CREATE TABLE and INSERT statements
    run (transaction lines and PRAGMAs are passed over); anything else is skipped and counted."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.set_authorizer(_authorizer)
    statement, first_line = "", 1
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if not statement.strip():
            statement, first_line = "", number
        statement += line
        if not sqlite3.complete_statement(statement):
            continue
        sql, statement = statement.strip(), ""
        head = " ".join(sql.split()[:2]).upper()
        if head.startswith(("BEGIN", "COMMIT", "PRAGMA", "--")) or head in {"", ";"}:
            continue
        if not head.startswith(("CREATE TABLE", "INSERT INTO")):
            report.skip(first_line, f"statement not allowed in a dump: {head[:30]}")
            continue
        try:
            db.execute(sql)
        except (sqlite3.Error, sqlite3.Warning, OverflowError) as exc:
            report.skip(first_line, f"SQL: {str(exc)[:80]}")
    db.set_authorizer(None)
    return db


def open_database(path: Path) -> sqlite3.Connection:
    """A mod_cdr_sqlite database, read only."""
    if not path.is_file():
        raise CdrFileError(f"{path}: no such file")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise CdrFileError(f"{path}: not an SQLite database ({exc})") from exc
    return db


def open_sqlite_or_dump(path: Path, report: ImportReport) -> sqlite3.Connection:
    """The database file, or the ``.dump`` SQL text loaded into memory."""
    data = read_bytes(path)
    if data.startswith(b"SQLite format 3\x00"):
        return open_database(path)
    if b"\x00" in data:
        raise CdrFileError(f"{path}: neither an SQLite database nor a .dump (NUL bytes)")
    return load_dump(data.decode("utf-8", "replace"), report)


def read_table_legs(db: sqlite3.Connection, table: str, report: ImportReport,
                    zone: tzinfo | None) -> list[Leg]:
    """Legs of every row of ``table`` (columns by name); line = the row's rowid."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if table not in names:
        raise CdrFileError(f"no table {table!r} (tables: {', '.join(sorted(names)) or 'none'})")
    db.row_factory = sqlite3.Row
    quoted = '"' + table.replace('"', '""') + '"'
    legs = []
    try:
        cursor = db.execute(f"SELECT rowid AS _rowid_, * FROM {quoted}")
        for row in cursor:
            report.rows += 1
            line = row["_rowid_"]
            try:
                legs.append(leg_of_row(dict(row), line, zone))
            except RowError as exc:
                report.skip(line, str(exc))
    except sqlite3.Error as exc:
        raise CdrFileError(f"table {table!r}: {exc}") from exc
    return legs


# -- mod_json_cdr ----------------------------------------------------------------------------


def json_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the ``*.json`` files of the directories named, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.exists():
            found.append(path)
        else:
            raise CdrFileError(f"{path}: no such file or directory")
    return found


def _epoch(variables: Mapping[str, str], name: str) -> float | None:
    """``<name>_uepoch`` (microseconds) or ``<name>_epoch`` (seconds); 0 means never."""
    for suffix, scale in (("_uepoch", 1e-6), ("_epoch", 1.0)):
        raw = variables.get(name + suffix)
        if raw not in (None, ""):
            try:
                value = float(raw) * scale
            except (TypeError, ValueError) as exc:
                raise RowError(f"{name}{suffix} is not a number") from exc
            if value != value or value < 0 or value > 1e11:
                raise RowError(f"{name}{suffix} out of range")
            return value or None
    return None


def leg_of_json(document: Any, line: int) -> Leg:
    """A leg of one mod_json_cdr document (``variables`` values may be URL-encoded)."""
    if not isinstance(document, dict) or not isinstance(document.get("variables"), dict):
        raise RowError("no variables object")
    variables = {str(k): unquote(str(v)) for k, v in document["variables"].items()
                 if isinstance(v, str | int | float)}
    profile = _caller_profile(document)
    started = _epoch(variables, "start")
    if started is None:
        raise RowError("no start_epoch")
    answered = _epoch(variables, "answer")
    ended = _epoch(variables, "end")
    if ended is not None and ended < started:
        raise RowError("ends before it starts")
    uuid = variables.get("uuid") or str(profile.get("uuid", ""))
    if not uuid:
        raise RowError("no uuid")
    bleg = (variables.get("bleg_uuid") or variables.get("originating_leg_uuid")
            or variables.get("originator") or "")
    cause = variables.get("hangup_cause") or None
    return Leg(
        group=uuid,
        ids=tuple(dict.fromkeys(i for i in (uuid, bleg) if i)),
        line=line,
        started_at=started,
        answered_at=answered,
        ended_at=ended,
        status=status_from_cause(cause, answered is not None),
        billsec=parse_int(variables.get("billsec"), "billsec"),
        caller_number=variables.get("caller_id_number") or _text(profile, "caller_id_number"),
        caller_name=variables.get("caller_id_name") or _text(profile, "caller_id_name"),
        dialled=variables.get("destination_number") or _text(profile, "destination_number"),
        callee_extension=variables.get("dialed_user") or variables.get("callee_id_number"),
        hangup_cause=cause,
        codec=variables.get("read_codec") or None,
        hangup_disposition=variables.get("sip_hangup_disposition") or None,
    )


def _caller_profile(document: dict[str, Any]) -> dict[str, Any]:
    flow = document.get("callflow")
    first = flow[0] if isinstance(flow, list) and flow else flow
    profile = first.get("caller_profile") if isinstance(first, dict) else None
    return profile if isinstance(profile, dict) else {}


def _text(profile: Mapping[str, Any], key: str) -> str | None:
    value = profile.get(key)
    return unquote(str(value)) if isinstance(value, str | int) and str(value) else None


def read_json_legs(data: bytes, report: ImportReport) -> list[Leg]:
    """The leg of one JSON CDR file (one document), or of each line of a JSON-lines file."""
    text = data.decode("utf-8", "replace").strip()
    try:
        documents: list[tuple[int, Any]] = [(1, json.loads(text))]
    except (ValueError, RecursionError):
        documents = []
        for number, text_line in enumerate(text.splitlines(), start=1):
            if not text_line.strip():
                continue
            try:
                documents.append((number, json.loads(text_line)))
            except (ValueError, RecursionError):
                report.rows += 1
                report.skip(number, "not JSON")
    legs = []
    for line, document in documents:
        report.rows += 1
        try:
            legs.append(leg_of_json(document, line))
        except RowError as exc:
            report.skip(line, str(exc))
    return legs
