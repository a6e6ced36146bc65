"""The exception tree of callvault.

    CallvaultError                  every error callvault raises on purpose
    ├── ParseError (ValueError)     bytes that are not what they claim to be (packet, SIP, SDP, RTP)
    │   └── Truncated               input ends before the structure it announced
    ├── CaptureError                a capture file that cannot be read on (names file and byte offset)
    ├── ConfigError                 a setting or argument that cannot be used
    └── JournalError                the journal cannot be opened or written

Parsers raise ParseError with a short fixed message; the capture boundary counts and drops
the packet. CaptureError, ConfigError and JournalError reach the user as one line.
"""

from __future__ import annotations


class CallvaultError(Exception):
    """Base of every error callvault raises on purpose."""


class ParseError(CallvaultError, ValueError):
    """Bytes that do not parse as the protocol unit they should be."""


class Truncated(ParseError):
    """Input ends before the structure it announced."""


class CaptureError(CallvaultError):
    """A capture file that cannot be read (on): missing, not a capture, truncated, corrupt."""

    def __init__(self, path: str, reason: str, offset: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.offset = offset
        where = f" at byte {offset}" if offset is not None else ""
        super().__init__(f"{path}{where}: {reason}")


class ConfigError(CallvaultError):
    """A setting or command-line value that cannot be used."""


class JournalError(CallvaultError):
    """The journal cannot be opened, migrated or written."""
