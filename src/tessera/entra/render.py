"""The one place errors become responses, plus the JSON response helper.

- :class:`EntraError` → Entra's JSON error body with its status (``errors.error_body``);
- :class:`SignInPageError` → Entra's error page;
- :class:`RedirectError` → a redirect to the client with ``error``, ``error_description``,
  ``error_uri`` (and ``suberror``), in the request's response mode;
- :class:`DirectoryError` (admin API) → Microsoft Graph's ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from tessera.entra.directory import DirectoryError
from tessera.entra.errors import (
    EntraError,
    ErrorContext,
    ManagedIdentityError,
    RedirectError,
    SignInPageError,
    error_body,
    redirect_params,
)
from tessera.entra.state import emulator

NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json; charset=utf-8", headers=headers
    )


def _context(request: Request) -> ErrorContext:
    st = emulator(request)
    correlation = request.headers.get("client-request-id") or request.query_params.get("client-request-id")
    return ErrorContext.new(st.origin(request), correlation, st.now())


async def entra_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EntraError)
    headers = dict(NO_STORE, **exc.headers)
    if exc.status == 401:
        # RFC 6749 §5.2: invalid_client with 401 carries a challenge for the scheme used.
        headers.setdefault("WWW-Authenticate", 'Basic realm="tessera.entra"')
    return json_response(error_body(exc, _context(request)), status=exc.status, headers=headers)


async def sign_in_page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInPageError)
    return emulator(request).pages.error(exc.cause, _context(request))


async def redirect_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RedirectError)
    from tessera.entra.endpoints.authorize import respond

    params = redirect_params(exc.cause, _context(request))
    if exc.state is not None:
        params["state"] = exc.state
    return respond(emulator(request), exc.redirect_uri, exc.response_mode, params)


async def managed_identity_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ManagedIdentityError)
    body = (
        {"statusCode": exc.status, "message": exc.description}
        if exc.app_service
        else {"error": exc.error, "error_description": exc.description}
    )
    return json_response(body, status=exc.status, headers=NO_STORE)


async def directory_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DirectoryError)
    # RFC 6750 §3: a 401 names the scheme the caller must use.
    headers = {"WWW-Authenticate": 'Bearer realm="tessera.entra"'} if exc.status == 401 else None
    return json_response(
        {"error": {"code": exc.code, "message": exc.message}}, status=exc.status, headers=headers
    )


HANDLERS: dict[type[Exception], Any] = {
    EntraError: entra_error,
    SignInPageError: sign_in_page_error,
    RedirectError: redirect_error,
    DirectoryError: directory_error,
    ManagedIdentityError: managed_identity_error,
}
