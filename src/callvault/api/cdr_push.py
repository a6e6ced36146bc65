"""FreeSWITCH mod_json_cdr pushing its CDRs: ``POST /api/cdr/freeswitch``.

mod_json_cdr POSTs one JSON document per call leg at hangup. Its ``encode`` parameter says how:

- ``false``: the document itself (``Content-Type: application/json``);
- ``true`` (the default): a form, ``cdr=<the document, URL-encoded>``;
- ``base64``: a form, ``cdr=<the document, Base64>``.

All three are accepted, as is a JSON-lines body (one document per line). Each document is read by
the FreeSWITCH JSON importer (``callvault.importers.freeswitch.leg_of_json``), the legs are grouped
into calls exactly as ``callvault import freeswitch-json`` groups them, and the calls are saved
through the journal: the call uid is a hash of the leg's uuid and start, so a retried POST (or the
same CDR imported from disk later) replaces the call, it never duplicates it. The B-leg posted on
its own (``log-b-leg``) is a call of its own unless it arrives in the same body as its A-leg, as
with the file importer given one file per leg.

Only admins may push: create an account for the PBX with role admin. mod_json_cdr authenticates
with HTTP Basic only (``auth-scheme`` basic, ``cred`` user:password), so give that account a
password; a proxy in front may send ``Authorization: Bearer <token>`` (``callvault user token``)
instead. Configuration (conf/autoload_configs/json_cdr.conf.xml)::

    <param name="url" value="https://callvault.example.com/api/cdr/freeswitch"/>
    <param name="auth-scheme" value="basic"/>
    <param name="cred" value="pbx:the-pbx-password"/>
    <param name="encode" value="false"/>
    <param name="retries" value="2"/>

Answers: 200 ``{"data": {"calls": N}}``; 400 (not JSON, or a form without ``cdr``), 422 (JSON
that is not a CDR: the message says which field is missing), 413 (over ``MAX_BODY`` bytes),
401/403 (not authenticated, not an admin), all in the error envelope.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from callvault.api.deps import CurrentUser, JournalDep
from callvault.api.errors import BadRequest, InvalidRequest, PayloadTooLarge
from callvault.api.permissions import Permission, check
from callvault.calls.classify import Classifier
from callvault.importers.calls import calls_of
from callvault.importers.freeswitch import leg_of_json
from callvault.importers.legs import Leg, RowError

FORMAT = "freeswitch-json"
"""The importer's format name: the call uids are the ones ``callvault import`` gives."""

SOURCE = "freeswitch-json:http"

MAX_BODY = 1024 * 1024
"""The largest body accepted, in bytes (a CDR is a few KiB)."""

cdr_router = APIRouter(prefix="/api/cdr", tags=["cdr"])


@cdr_router.post(
    "/freeswitch",
    summary="Receive CDRs pushed by FreeSWITCH mod_json_cdr (admins only)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"cdr": {"type": "string"}},
                        "required": ["cdr"],
                    }
                },
            },
        }
    },
)
async def push_freeswitch(
    request: Request, user: CurrentUser, journal: JournalDep
) -> dict[str, dict[str, int]]:
    check(user, Permission.CDR_PUSH)
    body = await _read_body(request)
    documents = _documents(body, request.headers.get("content-type", ""))
    legs = _legs(documents)
    classifier = Classifier(request.app.state.settings)
    found = [call for call, _ in calls_of(legs, FORMAT, SOURCE, classifier)]
    await run_in_threadpool(journal.save_many, found)
    return {"data": {"calls": len(found)}}


async def _read_body(request: Request) -> bytes:
    """The body, refused with 413 as soon as it is known to pass MAX_BODY."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise PayloadTooLarge(_too_large())
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge(_too_large())
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> str:
    return f"the body is over {MAX_BODY} bytes: post one CDR (one call leg) per request"


def _documents(body: bytes, content_type: str) -> list[tuple[int, Any]]:
    """The JSON documents of the body with their line numbers (1 for a single document)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text: send the JSON CDR") from None
    media = content_type.split(";", 1)[0].strip().lower()
    stripped = text.strip()
    # A form is read as one whatever its Content-Type says, unless the body is plainly JSON.
    if stripped.startswith("cdr=") or (
        media == "application/x-www-form-urlencoded" and not stripped.startswith(("{", "["))
    ):
        stripped = _form_cdr(stripped)
    if not stripped:
        raise BadRequest("empty body: send the JSON CDR (or a form field cdr=<JSON>)")
    try:
        return [(1, json.loads(stripped))]
    except (ValueError, RecursionError) as exc:
        whole = exc
    documents = []
    lines = stripped.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            documents.append((number, json.loads(line)))
        except (ValueError, RecursionError):
            if len(lines) == 1:
                raise BadRequest(
                    f"the body is not JSON ({_why(whole)}): send the JSON CDR "
                    "mod_json_cdr writes, or a form field cdr=<JSON>"
                ) from None
            raise BadRequest(
                f"line {number} of the body is not JSON: send one JSON CDR, or one per line"
            ) from None
    return documents


def _why(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _form_cdr(text: str) -> str:
    """The ``cdr`` field of a form: URL-encoded JSON (encode=true) or Base64 (encode=base64).

    mod_json_cdr does not escape Base64's ``+`` and ``/``, so the raw field is decoded as
    Base64 when the URL-decoded one is not JSON."""
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except ValueError:
        raise BadRequest("malformed form body: send cdr=<JSON CDR>") from None
    values = fields.get("cdr")
    if not values:
        raise BadRequest(
            "the form has no field 'cdr': send cdr=<JSON CDR> "
            "(or the JSON document itself as application/json)"
        )
    value = values[0].strip()
    if value.startswith(("{", "[")):
        return value
    raw = next((part[4:] for part in text.split("&") if part.startswith("cdr=")), value)
    try:
        decoded = base64.b64decode(
            raw.replace("%2B", "+").replace("%2F", "/").replace("%3D", "=").strip(), validate=True
        )
        return decoded.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return value


def _legs(documents: list[tuple[int, Any]]) -> list[Leg]:
    legs = []
    for line, document in documents:
        try:
            legs.append(leg_of_json(document, line))
        except RowError as exc:
            where = f"the CDR on line {line}" if len(documents) > 1 else "the CDR"
            raise InvalidRequest(
                f"{where} cannot be used: {exc} (mod_json_cdr's document has "
                "a 'variables' object with uuid and start_epoch "
                "or start_uepoch)"
            ) from None
    return legs
