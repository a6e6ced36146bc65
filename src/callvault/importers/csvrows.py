"""CSV rows out of a CDR file, defensively: bytes that are not UTF-8 are read as Latin-1
(Asterisk writes caller names byte for byte as the trunk sent them) and a row the csv module
cannot split is skipped, not raised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from callvault.importers.legs import CdrFileError, ImportReport

MAX_FILE_BYTES = 1 << 30


def read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CdrFileError(f"{path}: larger than 1 GiB; split it first")
        return path.read_bytes()
    except IsADirectoryError as exc:
        raise CdrFileError(f"{path}: is a directory, not a CDR file") from exc
    except OSError as exc:
        raise CdrFileError(f"{path}: cannot read: {exc.strerror}") from exc


def fix_field(text: str) -> str:
    """A field decoded with surrogateescape: undecodable bytes re-read as Latin-1."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("latin-1")
    return text


def csv_rows(data: bytes, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every non-empty CSV row; rows csv cannot split are skipped."""
    text = data.decode("utf-8", "surrogateescape").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.rows += 1
            report.skip(reader.line_num, f"not CSV: {exc}")
            continue
        if not any(field.strip() for field in row):
            continue
        report.rows += 1
        yield reader.line_num, [fix_field(field) for field in row]
