"""A case-insensitive, ordered multi-dict of SIP header fields that knows compact forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from callvault.sip.grammar import WHITESPACE, split_outside

COMPACT_FORMS: dict[str, str] = {
    "a": "accept-contact",  # RFC 3841
    "b": "referred-by",  # RFC 3892
    "c": "content-type",  # RFC 3261 §7.3.3
    "d": "request-disposition",  # RFC 3841
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",  # RFC 3841
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",  # RFC 4474
    "o": "event",  # RFC 6665
    "r": "refer-to",  # RFC 3515
    "s": "subject",
    "t": "to",
    "u": "allow-events",  # RFC 6665
    "v": "via",
    "x": "session-expires",  # RFC 4028
    "y": "identity",  # RFC 8224
}
"""RFC 3261 §7.3.3 and later RFCs: one-letter header names and the header each stands for."""

CANONICAL_NAMES: dict[str, str] = {
    name.lower(): name
    for name in (
        "Accept",
        "Accept-Contact",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Authentication-Info",
        "Authorization",
        "Call-ID",
        "Call-Info",
        "Contact",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Diversion",
        "Error-Info",
        "Event",
        "Expires",
        "From",
        "History-Info",
        "Identity",
        "Identity-Info",
        "In-Reply-To",
        "Max-Forwards",
        "MIME-Version",
        "Min-Expires",
        "Min-SE",
        "Organization",
        "P-Asserted-Identity",
        "P-Preferred-Identity",
        "Priority",
        "Privacy",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Require",
        "RAck",
        "Reason",
        "Record-Route",
        "Refer-To",
        "Referred-By",
        "Reject-Contact",
        "Remote-Party-ID",
        "Replaces",
        "Reply-To",
        "Request-Disposition",
        "Require",
        "Retry-After",
        "Route",
        "RSeq",
        "Server",
        "Session-Expires",
        "Subject",
        "Subscription-State",
        "Supported",
        "Timestamp",
        "To",
        "Unsupported",
        "User-Agent",
        "Via",
        "Warning",
        "WWW-Authenticate",
    )
}
"""Spelling used by ``canonical_name`` for headers it knows."""


def header_key(name: str) -> str:
    """Lookup key of a header name: lower-cased, compact forms expanded ("I" -> "call-id")."""
    key = name.lower()
    return COMPACT_FORMS.get(key, key)


def canonical_name(name: str) -> str:
    """Conventional spelling of a header name ("i" -> "Call-ID", "cseq" -> "CSeq")."""
    key = header_key(name)
    return CANONICAL_NAMES.get(key, name)


class Headers:
    """Header fields in message order, looked up case-insensitively and by compact form.

    ``get`` returns the first field's value; ``get_list`` returns every field's value, and
    with ``split_commas`` also splits comma-joined values (RFC 3261 §7.3.1) outside quotes
    and <>. Values are unfolded: continuation lines are joined with one space.
    """

    __slots__ = ("_fields_read", "_index", "_lines", "_read_field")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields_read: list[tuple[str, str]] | None = list(fields)
        self._lines: list[str] | None = None
        self._read_field: Callable[[str], tuple[str, str]] | None = None
        self._index = _index((header_key(name), value) for name, value in self._fields_read)

    @classmethod
    def from_lines(
        cls,
        lines: list[str],
        read_field: Callable[[str], tuple[str, str]],
        pairs: list[tuple[str, str]],
    ) -> Headers:
        """Headers of header lines, one field each, for a parser that has the (lookup key,
        value) of each line already (``pairs``, in order). The (name as written, value)
        fields are read from the lines with ``read_field`` only when something asks for
        them in order (``multi_items``, ``keys``, ``len``, ``==``): lookups, all that a
        correlator makes, never do."""
        index: dict[str, str | list[str]] = dict(pairs)
        if len(index) < len(pairs):  # a repeated header (Via, Record-Route ...)
            index = _index(pairs)
        headers = cls.__new__(cls)
        headers._fields_read = None
        headers._lines = lines
        headers._read_field = read_field
        headers._index = index
        return headers

    @property
    def _fields(self) -> list[tuple[str, str]]:
        """(name as written, value) of every field, in order; read from the lines on first use."""
        fields = self._fields_read
        if fields is None:
            fields = self._fields_read = list(map(self._read_field, self._lines))  # type: ignore[arg-type]
            self._lines = self._read_field = None
        return fields

    def lookups(self) -> dict[str, str | list[str]]:
        """Lookup key → value of every header: the value itself for a header that appears
        once, a list of them for a repeated one. The dict the accessors read, for a parser
        that reads several fields at once: it must not be changed."""
        return self._index

    def _lookup(self, name: str) -> str | list[str] | None:
        """The index entry of ``name``; names already in key form (as the parsers ask for
        them, e.g. "call-id") skip the lower-casing: every key is its own header_key."""
        found = self._index.get(name)
        if found is None:
            found = self._index.get(header_key(name))
        return found

    def get(self, name: str, default: str | None = None) -> str | None:
        """Value of the first field called ``name`` (any case, compact form or not)."""
        found = self._index.get(name)  # _lookup, inlined: parsers read each message this way
        if found is None:
            found = self._index.get(header_key(name))
            if found is None:
                return default
        return found if type(found) is str else found[0]

    def get_list(self, name: str, split_commas: bool = False) -> list[str]:
        """Values of every field called ``name``, in order; optionally split at commas."""
        found = self._lookup(name)
        if found is None:
            return []
        values = [found] if type(found) is str else list(found)
        if not split_commas:
            return values
        out: list[str] = []
        for value in values:
            out.extend(
                p.strip(WHITESPACE) for p in split_outside(value, ",") if p.strip(WHITESPACE)
            )
        return out

    def count(self, name: str) -> int:
        """Number of fields called ``name``."""
        found = self._lookup(name)
        if found is None:
            return 0
        return 1 if type(found) is str else len(found)

    def multi_items(self) -> list[tuple[str, str]]:
        """(name as written, value) for every field, in message order."""
        return list(self._fields)

    def keys(self) -> list[str]:
        """Names of the headers present, in order of first appearance: the canonical spelling
        for known headers (compact forms expanded), else as first written."""
        seen: dict[str, str] = {}
        for name, _ in self._fields:
            key = header_key(name)
            if key not in seen:
                seen[key] = canonical_name(name)
        return list(seen.values())

    def __getitem__(self, name: str) -> str:
        found = self._lookup(name)
        if found is None:
            raise KeyError(name)
        return found if type(found) is str else found[0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and header_key(name) in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._fields == other._fields

    def __hash__(self) -> int:
        return hash(tuple(self._fields))

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


def _index(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Lookup key → value of (lookup key, value) pairs. One value per key is the rule, so a
    lone value is kept as the string itself and only repeated headers (Via, Record-Route ...)
    get a list: fewer objects per message."""
    index: dict[str, str | list[str]] = {}
    for key, value in pairs:
        found = index.get(key)
        if found is None:
            index[key] = value
        elif type(found) is str:
            index[key] = [found, value]
        else:
            found.append(value)
    return index
