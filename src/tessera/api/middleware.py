"""One authentication step in front of every API request.

OpenMetadata matched its public paths by substring on the raw path, so
``/api/v1;v1%2fusers%2flogin/...`` skipped authentication altogether (CVE-2024-28255). Here a
request is public only when the very path the router will dispatch on is *exactly* one of the
public paths; anything that merely normalises to one (``;`` parameters, encoded or doubled
slashes, other letter case) must authenticate, because the router might send it elsewhere.
Everything that normalises to a path under ``/api/`` needs a valid token, including paths no
route serves: the caller learns nothing before authenticating.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Callable
from typing import Protocol
from urllib.parse import unquote

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.api.http_errors import CORRELATION_HEADER, error_response
from tessera.api.root_path import raw_route_path, route_path
from tessera.auth.principal import Principal
from tessera.errors import TesseraError

log = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset(
    {
        "/api/v1/system/version",
        "/api/v1/system/health",
        "/api/v1/system/config/auth",
        "/api/v1/system/config/authorizer",
        "/api/v1/system/config/jwks",
        "/api/v1/users/login",
        "/api/v1/users/refresh",
        "/api/v1/users/signup",
        "/api/v1/users/generatePasswordResetLink",
        "/api/v1/users/password/reset",
    }
)
_SLASHES = re.compile(r"/{2,}")


def normalise(path: str) -> str:
    # Decode repeatedly so that double encoding (%252f) cannot hide a separator either.
    previous = None
    while previous != path:
        previous, path = path, unquote(path)
    path = "/".join(segment.split(";", 1)[0] for segment in path.split("/"))
    path = _SLASHES.sub("/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    return path.lower()


def is_public(routed_path: str, raw_path: str) -> bool:
    if routed_path in PUBLIC_PATHS:
        return True
    return not (normalise(routed_path).startswith("/api") or normalise(raw_path).startswith("/api"))


class Authenticate(Protocol):
    def __call__(
        self, authorization: str | None, *, cookies: str | None, csrf: str | None, method: str
    ) -> Principal: ...


# A refusal's reason as a metric label: a few fixed words, whatever the message says, so that
# the label's values stay few (the message itself goes to the log line).
_REASONS = (
    ("not present", "missing"),
    ("expired", "expired"),
    ("revoked", "revoked"),
    ("signature", "signature"),
    ("signing key", "unknown_key"),
    ("key id", "unknown_key"),
    ("malformed", "malformed"),
    ("too large", "malformed"),
    ("issuer", "issuer"),
    ("audience", "audience"),
    ("tenant", "tenant"),
    ("no longer exists", "unknown_user"),
    ("sign in again", "session"),
    ("session", "session"),
)


def refusal_reason(message: str) -> str:
    lowered = message.lower()
    return next((reason for needle, reason in _REASONS if needle in lowered), "other")


class AuthenticationMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        authenticate: Authenticate,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        authorization = request_headers.get("authorization")
        # Strings only: the authenticator knows no web framework (the confidential client's
        # session cookie, its CSRF header, and the method that decides whether it is needed).
        cookies = request_headers.get("cookie")
        csrf = request_headers.get("x-csrf-token")
        method = str(scope.get("method", "GET"))
        # Below server.rootPath, as the router sees them.
        routed = route_path(scope)
        path = raw_route_path(scope)
        state = scope.setdefault("state", {})
        if is_public(routed, path):
            # Public routes still learn who is calling when a token or a session is sent and valid.
            # (A session cookie is not looked at for the UI's static files: nothing there asks.)
            if authorization or (cookies and not routed.startswith("/static/")):
                with contextlib.suppress(TesseraError):
                    state["principal"] = self.authenticate(
                        authorization, cookies=cookies, csrf=csrf, method=method
                    )
            await self.app(scope, receive, send)
            return
        try:
            state["principal"] = self.authenticate(authorization, cookies=cookies, csrf=csrf, method=method)
        except TesseraError as exc:
            # The id ties what the caller was told to the server's log line, so an operator can
            # find why a sign-in failed without the caller's token.
            correlation = str(state.get("correlation_id") or uuid.uuid4().hex)
            if self.on_refused is not None:
                self.on_refused(refusal_reason(exc.message))
            log.info(
                "authentication refused (%s) %s %s: %d %s",
                correlation,
                scope.get("method", ""),
                scope["path"],
                exc.status,
                exc.message,
            )
            headers = {**exc.headers, CORRELATION_HEADER: correlation}
            response = error_response(exc.status, exc.message, headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
