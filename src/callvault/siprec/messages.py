"""SIP responses and requests the recording server writes (RFC 3261 §8.2.6, §12.2.1)."""

from __future__ import annotations

import re

from callvault.sip.headers import header_key
from callvault.sip.message import SipRequest

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"
SERVER = "callvault"
_RPORT = re.compile(r";\s*rport(?=\s*(?:;|$))", re.IGNORECASE)
_COPIED = ("from", "call-id", "cseq")


def response(
    request: SipRequest,
    status: int,
    phrase: str,
    remote: tuple[str, int],
    *,
    to_tag: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> bytes:
    """A response to ``request`` received from ``remote``: its Vias (the top one told the
    source address, RFC 3261 §18.2.1 and RFC 3581 rport), From, To (tagged), Call-ID, CSeq."""
    lines = [f"SIP/2.0 {status} {phrase}"]
    first = True
    to_value = None
    for name, value in request.headers.multi_items():
        key = header_key(name)
        if key == "via":
            if first:
                value = _received(value, remote)
                first = False
            lines.append(f"Via: {value}")
        elif key == "to" and to_value is None:
            to_value = value
    for key in _COPIED:
        value = request.headers.get(key)
        if value is not None:
            lines.append(f"{_NAMES[key]}: {value}")
    if to_value is not None:
        if to_tag and status != 100 and ";tag=" not in to_value.replace(" ", "").lower():
            to_value = f"{to_value};tag={to_tag}"
        lines.append(f"To: {to_value}")
    lines.append(f"Server: {SERVER}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    if content_type and body:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace") + body


_NAMES = {"from": "From", "call-id": "Call-ID", "cseq": "CSeq"}


def _received(via: str, remote: tuple[str, int]) -> str:
    """The first Via value of a comma-separated field with received= and a filled rport."""
    head, comma, rest = via.partition(",")
    host, port = remote
    if _RPORT.search(head):
        head = _RPORT.sub(f";rport={port}", head, count=1)
    if ";received=" not in head.lower():
        head = f"{head};received={host}"
    return head + comma + rest


def bye(
    *,
    target: str,
    call_id: str,
    local: str,
    remote: str,
    cseq: int,
    via: str,
    branch: str,
    reason: str,
) -> bytes:
    """A BYE from the recording server ending a session (graceful shutdown, no ACK)."""
    lines = [
        f"BYE {target} SIP/2.0",
        f"Via: SIP/2.0/{via};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: {local}",
        f"To: {remote}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} BYE",
        f"Reason: {reason}",
        f"User-Agent: {SERVER}",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
