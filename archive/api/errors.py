"""Every error the API returns is JSON, ``{"error": message, "status": code}``, with the right status: never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from archive.errors import (
    ArchiveBusyError,
    ArchiveError,
    NotFoundError,
    ReadOnlyError,
    StoreError,
)

log = logging.getLogger("archive.api")

# The archive's errors by what they mean for a client; the first class an error is an instance of decides.
STATUS = ((NotFoundError, 404), (ReadOnlyError, 403), (ArchiveBusyError, 503), (StoreError, 503), (ArchiveError, 400))


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a JSON error."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):
        message = e.detail if isinstance(e.detail, str) else str(e.detail)
        if e.status_code == 404 and message == "Not Found":
            message = f"no such path: {request.url.path} (the paths are in /openapi.json and docs/api.md)"
        if e.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return error(e.status_code, message, getattr(e, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        parts = []
        for problem in e.errors():
            where = ".".join(str(x) for x in problem.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{where or 'request'}: {problem.get('msg', 'invalid')}")
        return error(400, "; ".join(parts) or "the request is not valid")

    @app.exception_handler(ArchiveError)
    async def archive_error(request: Request, e: ArchiveError):
        status = next(code for cls, code in STATUS if isinstance(e, cls))
        return error(status, str(e), {"retry-after": "5"} if status == 503 else None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, e: Exception):
        log.exception("error answering %s %s", request.method, request.url.path)  # the traceback stays in the log
        return error(500, f"the server failed to answer ({type(e).__name__}); the error is in its log")
