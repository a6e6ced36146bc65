"""The journal table's columns: every field of a call, as the CSV export names it, and the
table's three composite columns (a party's number with its name, the recording mark).

The console draws the columns a user chose, in their order; the exports take the same
names (``columns=``) and write the matching CSV fields.
"""

from __future__ import annotations

from typing import Final

from callvault.journal.export import CSV_FIELDS

COMPOSITE: Final[dict[str, tuple[str, ...]]] = {
    "caller": ("caller_number", "caller_display_name"),
    "callee": ("callee_number", "callee_display_name"),
    "recording": ("recording_path",),
}
"""Columns of the table that show several fields; the export writes those fields."""

JOURNAL_COLUMNS: Final[tuple[str, ...]] = (*COMPOSITE, *CSV_FIELDS)
"""Every column a user may choose."""

DEFAULT_COLUMNS: Final[tuple[str, ...]] = (
    "started_at",
    "direction",
    "caller",
    "callee",
    "status",
    "duration_ms",
    "talk_ms",
    "outcome",
    "recording",
)
"""The table's columns until a user chooses."""


def export_fields(columns: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The CSV fields for ``columns`` (each a ``JOURNAL_COLUMNS`` name), in their order,
    each once; ValueError naming the first unknown column."""
    fields: dict[str, None] = {}
    for column in columns:
        if column in COMPOSITE:
            fields.update(dict.fromkeys(COMPOSITE[column]))
        elif column in CSV_FIELDS:
            fields[column] = None
        else:
            raise ValueError(f"unknown column {column!r} (one of: {', '.join(JOURNAL_COLUMNS)})")
    return tuple(fields)
