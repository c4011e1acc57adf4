"""The one place errors become HTTP responses, always ``{"code": <status>, "message": "..."}``.

OpenMetadata's client reads the ``code`` key of the JSON body to tell "not found" from a
failure, so every error (including 404s for unknown routes, 405s and validation failures)
has exactly that shape.
"""

from __future__ import annotations

import logging
import uuid

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tessera.errors import TesseraError

log = logging.getLogger("tessera.api")

CORRELATION_HEADER = "X-Correlation-Id"


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=orjson.dumps({"code": status, "message": message}),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(TesseraError)
    async def _tessera_error(request: Request, exc: TesseraError) -> Response:
        headers = dict(exc.headers)
        if exc.status >= 500:
            correlation = headers.setdefault(CORRELATION_HEADER, _correlation(request))
            log.error(
                "request %s %s failed (%s): %s", request.method, request.url.path, correlation, exc.message
            )
        return error_response(exc.status, exc.message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = f"No API at {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, message, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(400, _describe_validation(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        correlation = _correlation(request)
        log.exception(
            "unexpected error in %s %s (correlation id %s)", request.method, request.url.path, correlation
        )
        return error_response(
            500,
            f"Internal error; the server log has the details under correlation id {correlation}",
            {CORRELATION_HEADER: correlation},
        )


def _correlation(request: Request) -> str:
    # The request's own id (observability.middleware), so the caller's response, the access
    # log line and this error's line all carry the same one.
    return str(getattr(request.state, "correlation_id", None) or uuid.uuid4().hex)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        where = loc[0] if loc else "request"
        field = ".".join(loc[1:])
        if where == "body" and error.get("type") == "json_invalid":
            parts.append(f"the request body is not valid JSON: {error.get('msg')}")
            continue
        label = (
            f"{where} parameter '{field}'"
            if where in ("query", "path", "header")
            else f"field '{field or where}'"
        )
        parts.append(f"{label}: {error.get('msg')}")
    return "Invalid request: " + "; ".join(parts)
