"""The directory from CSV files: one kind per file, a header row naming the columns.

=========  =====================================================  ==========================
kind       columns (header row; * required)                       a row with a known key
=========  =====================================================  ==========================
teams      name*, department                                      updates that team
agents     name*, employee_id, extensions, team, username, active updates that employee's agent
queues     name*, numbers, team                                   updates that queue
numbers    number*, channel*, campaign, active                    updates that number
costs      number*, period_start*, period_end*, cost*, currency*  adds a cost
=========  =====================================================  ==========================

Extensions and queue numbers are separated by spaces or ';'. ``active`` is yes/no, true/false
or 1/0 (empty: yes). An import is one transaction: a bad row stops it, nothing of the file
is kept, and the message names the line and the column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from callvault.directory import repository as repo
from callvault.directory.model import DirectoryError
from callvault.directory.repository import Directory
from callvault.journal.schema import agents, queues, tracked_numbers


@dataclass(frozen=True, slots=True)
class CsvKind:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    save: Callable[[Connection, dict[str, str]], None]


def _team(connection: Connection, row: dict[str, str]) -> None:
    repo.save_team(connection, row["name"], department=row.get("department"))


def _agent(connection: Connection, row: dict[str, str]) -> None:
    fields: dict[str, Any] = {
        name: row[name] for name in ("name", "employee_id", "team", "username") if name in row
    }
    if "extensions" in row:
        fields["extensions"] = row["extensions"]
    if "active" in row:
        fields["active"] = _yes(row["active"])
    employee = (row.get("employee_id") or "").strip()
    found = None
    if employee:
        found = connection.execute(
            sa.select(agents.c.id).where(agents.c.employee_id == employee)
        ).scalar()
    repo.save_agent(connection, found, fields)


def _queue(connection: Connection, row: dict[str, str]) -> None:
    found = connection.execute(
        sa.select(queues.c.id).where(queues.c.name == row["name"].strip())
    ).scalar()
    repo.save_queue(
        connection, found, {name: row[name] for name in ("name", "numbers", "team") if name in row}
    )


def _number(connection: Connection, row: dict[str, str]) -> None:
    found = connection.execute(
        sa.select(tracked_numbers.c.id).where(tracked_numbers.c.number == row["number"].strip())
    ).scalar()
    fields: dict[str, Any] = {
        name: row[name] for name in ("number", "channel", "campaign") if name in row
    }
    if "active" in row:
        fields["active"] = _yes(row["active"])
    repo.save_number(connection, found, fields)


def _cost(connection: Connection, row: dict[str, str]) -> None:
    repo.save_cost(
        connection,
        row["number"],
        row["period_start"],
        row["period_end"],
        row["cost"],
        row["currency"],
    )


KINDS: Final[dict[str, CsvKind]] = {
    "teams": CsvKind(("name", "department"), ("name",), _team),
    "agents": CsvKind(
        ("name", "employee_id", "extensions", "team", "username", "active"), ("name",), _agent
    ),
    "queues": CsvKind(("name", "numbers", "team"), ("name",), _queue),
    "numbers": CsvKind(("number", "channel", "campaign", "active"), ("number", "channel"), _number),
    "costs": CsvKind(
        ("number", "period_start", "period_end", "cost", "currency"),
        ("number", "period_start", "period_end", "cost", "currency"),
        _cost,
    ),
}
"""What each kind of file holds."""

MAX_ROWS = 100_000


def import_csv(directory: Directory, kind: str, text: str | bytes) -> int:
    """Import one CSV file of ``kind`` (see ``KINDS``) in one transaction; return how many
    rows it had."""
    spec = KINDS.get(kind)
    if spec is None:
        raise DirectoryError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DirectoryError(f"the file is not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        raise DirectoryError(f"line 1: {exc}") from None
    _check_header(kind, spec, header)
    count = 0
    with directory.changing() as connection:
        line = 1
        try:
            for values in reader:
                line = reader.line_num
                if not any(value.strip() for value in values):
                    continue
                if len(values) > len(header):
                    raise DirectoryError(
                        f"line {line}: {len(values)} columns, the header names {len(header)}"
                    )
                row = dict(zip(header, values, strict=False))
                for name in spec.required:
                    if not row.get(name, "").strip():
                        raise DirectoryError(f"line {line}, column {name!r}: empty", field=name)
                count += 1
                if count > MAX_ROWS:
                    raise DirectoryError(f"line {line}: more than {MAX_ROWS} rows; split the file")
                try:
                    spec.save(connection, row)
                except DirectoryError as exc:
                    where = f"column {exc.field!r}" if exc.field else "row"
                    raise DirectoryError(f"line {line}, {where}: {exc}", field=exc.field) from None
        except csv.Error as exc:
            raise DirectoryError(f"line {reader.line_num}: {exc}") from None
    return count


def _check_header(kind: str, spec: CsvKind, header: list[str]) -> None:
    if not header or not any(header):
        raise DirectoryError(
            f"line 1: the file is empty; a {kind} file starts with the header "
            f"{','.join(spec.columns)}"
        )
    unknown = [name for name in header if name not in spec.columns]
    if unknown:
        raise DirectoryError(
            f"line 1: unknown column {unknown[0]!r} (a {kind} file has: {', '.join(spec.columns)})"
        )
    missing = [name for name in spec.required if name not in header]
    if missing:
        raise DirectoryError(f"line 1: column {missing[0]!r} is missing from the header")
    if len(set(header)) != len(header):
        raise DirectoryError("line 1: a column is named twice")


def _yes(text: str) -> bool:
    word = text.strip().lower()
    if word in ("", "yes", "y", "true", "1"):
        return True
    if word in ("no", "n", "false", "0"):
        return False
    raise DirectoryError(f"active {text!r}: send yes or no", field="active")
