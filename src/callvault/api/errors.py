"""API errors and the one JSON error envelope: ``{"error": {"code": ..., "message": ...}}``.

Every 4xx and 5xx answer has it: ours, Starlette's (unknown path, wrong method), request
validation (422) and internal errors (500, never a traceback).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from callvault.errors import CallvaultError, JournalError

logger = logging.getLogger(__name__)

AUTHENTICATE = 'Bearer realm="callvault", Basic realm="callvault"'


class ApiError(CallvaultError):
    """An answer other than success; the HTTP status lives on the class."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, {"WWW-Authenticate": AUTHENTICATE})


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(ApiError):
    status = 429
    code = "too_many_requests"


class InvalidRequest(ApiError):
    status = 422
    code = "invalid_request"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    416: "range_not_satisfiable",
    422: "invalid_request",
    429: "too_many_requests",
}


def envelope(status: int, code: str, message: str, headers: Any = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Map every error an app can meet to the envelope."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return envelope(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(
            exc.status_code, "error" if exc.status_code >= 500 else "bad_request"
        )
        return envelope(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        message = "; ".join(validation_message(error) for error in exc.errors())
        return envelope(422, "invalid_request", message or "invalid request")

    @app.exception_handler(JournalError)
    async def _journal(_: Request, exc: JournalError) -> JSONResponse:
        logger.error("journal error: %s", exc)
        return envelope(503, "journal_unavailable", "the journal cannot be read just now")

    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("internal error", exc_info=exc)
        return envelope(500, "internal_error", "internal error; the server log has details")


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error as a sentence saying which parameter and what to send instead:
    "query parameter 'limit': Input should be a valid integer (got 'ten')"."""
    location = [str(part) for part in error.get("loc", ())]
    if location[:1] == ["query"]:  # a repeated parameter's position is no part of its name
        location = [part for part in location if not part.isdigit()]
    where = location[0] if location else "request"
    name = ".".join(location[1:])
    subject = f"{where} parameter '{name}'" if name else where
    message = f"{subject}: {error.get('msg', 'invalid value')}"
    if "input" in error and error["input"] is not None and not isinstance(error["input"], dict):
        message += f" (got {error['input']!r})"
    return message
