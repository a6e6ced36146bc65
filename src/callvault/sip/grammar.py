"""Lexical helpers shared by the SIP parsers (RFC 3261 §25.1 basic rules).

Everything here works on already unfolded header text (folded lines joined with one space),
never raises anything but ParseError, and never looks further than the text it is given.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from callvault.errors import ParseError

TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
"""RFC 3261 §25.1 token: alphanumerics and - . ! % * _ + ` ' ~."""

TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
WHITESPACE = " \t"

Params = tuple[tuple[str, str | None], ...]
"""Generic parameters in order: (name, value), value None for a parameter written without "="."""


Frozen = TypeVar("Frozen")

_new_object = object.__new__


def frozen_instance(cls: type[Frozen], fields: dict[str, Any]) -> Frozen:
    """An instance of a frozen dataclass without ``__slots__`` holding exactly ``fields``
    (every field, in field order), built without its ``__init__``: that one sets each
    field with object.__setattr__ (a third of an SDP parse), this fills the instance dict
    at once. For the objects the parsers build for every message."""
    instance = _new_object(cls)
    instance.__dict__.update(fields)
    return instance


def is_token(text: str) -> bool:
    """RFC 3261 §25.1: whether ``text`` is a non-empty token."""
    return TOKEN_RE.fullmatch(text) is not None


def split_outside(text: str, separator: str) -> list[str]:
    """Splits at ``separator`` where it is outside double quotes and outside <...>.

    RFC 3261 §7.3.1: a header carrying a comma-separated list may only be split at commas
    that are not inside a quoted string or an angle-bracketed URI. A backslash escapes the
    next character inside quotes (quoted-pair, §25.1).
    """
    if separator not in text:
        return [text]
    if '"' not in text and "<" not in text:
        return text.split(separator)
    parts: list[str] = []
    start = 0
    quoted = False
    angle = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "<":
            angle = True
        elif c == ">":
            angle = False
        elif c == separator and not angle:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def read_quoted(text: str, start: int) -> tuple[str, int]:
    """Reads the quoted-string opening at ``text[start]``; returns (unescaped text, index after it).

    RFC 3261 §25.1: quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F).
    """
    close = text.find('"', start + 1)
    if close >= 0 and "\\" not in text[start + 1 : close]:
        return text[start + 1 : close], close + 1
    out: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n:
                break
            out.append(text[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise ParseError("unterminated quoted string")


def quote(text: str) -> str:
    """``text`` as a quoted-string, escaping backslash and double quote."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_params(text: str) -> Params:
    """Parses ``;name=value;flag`` generic parameters (RFC 3261 §25.1 generic-param).

    LWS around names, "=" and values is allowed; quoted values are unescaped. Empty
    parameters (";;") are skipped here: check_message reports them.
    """
    if not text:
        return ()
    out: list[tuple[str, str | None]] = []
    for piece in split_outside(text, ";"):
        piece = piece.strip(WHITESPACE)
        if not piece:
            continue
        name, eq, value = piece.partition("=")
        name = name.strip(WHITESPACE)
        if not name:
            raise ParseError("parameter without a name")
        if not eq:
            out.append((name, None))
            continue
        value = value.strip(WHITESPACE)
        if value.startswith('"'):
            value = read_quoted(value, 0)[0]
        out.append((name, value))
    return tuple(out)


def has_empty_param(text: str) -> bool:
    """Whether a ``;``-separated parameter list has an empty member (";;" or a trailing ";")."""
    pieces = split_outside(text, ";")
    return any(not p.strip(WHITESPACE) for p in pieces[1:])


def find_param(params: Params, name: str) -> str | None:
    """Value of the first parameter called ``name`` (case-insensitive); "" if it has no value."""
    lowered = name.lower()
    for key, value in params:
        if key.lower() == lowered:
            return "" if value is None else value
    return None


def format_params(params: Params) -> str:
    """Writes parameters back as ``;name=value``; values that are not tokens are quoted."""
    out = []
    for name, value in params:
        if value is None:
            out.append(f";{name}")
        elif value == "" or is_token(value) or _is_host_like(value):
            out.append(f";{name}={value}")
        else:
            out.append(f";{name}={quote(value)}")
    return "".join(out)


def _is_host_like(value: str) -> bool:
    return value.startswith("[") and value.endswith("]") and " " not in value
