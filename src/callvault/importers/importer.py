"""One entry point per CDR format: read the files, group legs into calls, attach recordings,
write the calls to the journal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callvault.calls.classify import Classifier
from callvault.calls.model import Call
from callvault.config import Settings
from callvault.errors import ConfigError
from callvault.importers import asterisk, freeswitch
from callvault.importers.calls import calls_of
from callvault.importers.csvrows import csv_rows, read_bytes
from callvault.importers.legs import CdrFileError, ImportReport, Leg
from callvault.importers.recordings import RecordingIndex, store_recording
from callvault.vault.filesystem import FilesystemVault

FORMATS = ("asterisk-csv", "asterisk-custom", "freeswitch-csv", "freeswitch-sqlite",
           "freeswitch-json")


def zone_named(name: str | None) -> tzinfo | None:
    """The IANA zone ``name`` (None: the machine's local zone)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r}") from exc


@dataclass(slots=True)
class ImportResult:
    report: ImportReport = field(default_factory=ImportReport)
    calls: list[Call] = field(default_factory=list)
    recordings: int = 0


def read_legs(fmt: str, path: Path, report: ImportReport, zone: tzinfo | None = None,
              columns: Sequence[str] | None = None, table: str = "cdr") -> list[Leg]:
    """The legs of one file in format ``fmt`` (one of FORMATS); skipped rows go to ``report``."""
    if fmt == "asterisk-csv":
        return asterisk.read_legs(csv_rows(read_bytes(path), report), report, zone)
    if fmt == "asterisk-custom":
        return asterisk.read_legs(csv_rows(read_bytes(path), report), report, zone,
                                  columns or asterisk.CUSTOM_PRESET)
    if fmt == "freeswitch-csv":
        return freeswitch.read_csv_legs(csv_rows(read_bytes(path), report), report, zone,
                                        columns or freeswitch.CSV_COLUMNS)
    if fmt == "freeswitch-sqlite":
        db = freeswitch.open_sqlite_or_dump(path, report)
        try:
            return freeswitch.read_table_legs(db, table, report, zone)
        finally:
            db.close()
    if fmt == "freeswitch-json":
        return freeswitch.read_json_legs(read_bytes(path), report)
    raise ConfigError(f"unknown CDR format {fmt!r}")


def read_calls(fmt: str, paths: Sequence[Path], settings: Settings, *,
               zone: tzinfo | None = None, columns: Sequence[str] | None = None,
               table: str = "cdr", recordings: Path | None = None) -> ImportResult:
    """The calls of ``paths`` (legs grouped across all of them), recordings attached from
    ``recordings`` into the settings' vault. Nothing is written to the journal."""
    result = ImportResult()
    if fmt == "freeswitch-json":
        paths = freeswitch.json_files(paths)
    legs: list[Leg] = []
    for path in paths:
        result.report.file = path.name if len(paths) > 1 else ""
        try:
            legs.extend(read_legs(fmt, path, result.report, zone, columns, table))
        except CdrFileError as exc:
            if str(path) in str(exc):
                raise
            raise CdrFileError(f"{path}: {exc}") from exc
    source = f"{fmt}:{','.join(p.name for p in paths)}"[:200]
    found = calls_of(legs, fmt, source, Classifier(settings))
    index = RecordingIndex(recordings) if recordings is not None else None
    vault = FilesystemVault(settings.recordings_dir)
    for call, ids in found:
        if index is not None and (audio := index.find(ids)) is not None:
            call.recording = store_recording(audio, vault, call.uid, call.started_at)
            result.recordings += call.recording is not None
        result.calls.append(call)
    return result
