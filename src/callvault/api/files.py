"""Files served with HTTP Range, whose refusals are the API's error envelope too."""

from __future__ import annotations

import os

from starlette.datastructures import Headers
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from callvault.api.errors import envelope

try:  # Starlette's own Range parsing, so a range is judged exactly as it is served
    from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable
except ImportError:  # pragma: no cover - older Starlette: it answers in plain text
    MalformedRangeHeader = RangeNotSatisfiable = None  # type: ignore[assignment,misc]


class RangeFileResponse(FileResponse):
    """A ``FileResponse`` (200, or 206 for a Range) that refuses a malformed Range with 400
    and a range beyond the file with 416 (``Content-Range: bytes */size``), both in the
    envelope, instead of Starlette's plain-text answers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope) if RangeNotSatisfiable is not None else None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _refusal(self, scope: Scope) -> object | None:
        headers = Headers(scope=scope)
        wanted = headers.get("range")
        if wanted is None or self.status_code != 200:
            return None
        if scope.get("method", "GET").upper() not in ("GET", "HEAD"):
            return None
        if_range = headers.get("if-range")
        size = os.stat(self.path).st_size
        if if_range is not None and not self._should_use_range(if_range):
            return None
        try:
            self._parse_range_header(wanted, size)
        except MalformedRangeHeader as exc:
            return envelope(400, "bad_request", f"header 'Range': {exc.content}")
        except RangeNotSatisfiable:
            return envelope(
                416,
                "range_not_satisfiable",
                f"header 'Range': {wanted!r} starts beyond the file's {size} bytes",
                headers={"Content-Range": f"bytes */{size}"},
            )
        return None
