"""PBX call detail records (Asterisk, FreeSWITCH) imported into the call journal.

    read_calls(fmt, paths, settings, zone=, columns=, recordings=) -> ImportResult
    read_legs(fmt, path, report, zone=, columns=) -> [Leg]

Malformed rows are skipped and counted in ImportReport (line, reason); a file that cannot
be read at all raises CdrFileError.
"""

from callvault.importers.importer import FORMATS, ImportResult, read_calls, read_legs, zone_named
from callvault.importers.legs import CdrFileError, ImportReport, Leg, RowError

__all__ = ["FORMATS", "CdrFileError", "ImportReport", "ImportResult", "Leg", "RowError",
           "read_calls", "read_legs", "zone_named"]
