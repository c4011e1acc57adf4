"""The catalog's REST API as ``tessera ingest`` uses it: httpx, one keep-alive connection.

URLs are ``{hostPort}/v1{path}`` as in OpenMetadata's client (``hostPort`` ends in ``/api``).
Transport failures and 401/403 become :class:`~tessera.ingest.errors.ServerError`s that say
what to change; other error answers come back as :class:`ApiError` for the caller to count.

Only idempotent calls are retried (GET, PUT and DELETE are upserts or reads here; POST is not
retried), on connection errors, 502/503/504 and a 409 that carries Retry-After (the server
could not complete a write now), three times with a short backoff or after the Retry-After the
server asks for (at most 30 s). A 401 with a token that can be renewed (Entra) is retried once
with a new token.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import orjson

from tessera import __version__
from tessera.ingest.auth import TokenProvider, ssl_context
from tessera.ingest.errors import NotAuthorized, ServerError, ServerUnreachable
from tessera.ingest.workflow import ServerConfig

RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_DELAYS_S = (0.5, 1.0, 2.0)
MAX_RETRY_AFTER_S = 30.0
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


class ApiError(ServerError):
    """A non-2xx answer other than 401/403: the entity or call it concerns failed. Callers
    that can count it as one failed entity catch it; anywhere else it ends the run (exit 3)."""

    title = "The catalog server answered with an error"

    def __init__(self, status: int, message: str, method: str, path: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {message}")
        self.status = status
        self.reason = message
        self.method = method
        self.path = path


class CatalogClient:
    def __init__(
        self,
        server: ServerConfig,
        tokens: TokenProvider,
        *,
        user_agent: str | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Any = time.sleep,
    ) -> None:
        self.server = server
        self.base = server.hostPort.rstrip("/") + "/v1"
        self._tokens = tokens
        self._sleep = sleep
        verify: ssl.SSLContext | bool = True
        if server.verifySSL == "ignore":
            verify = False
        elif server.sslConfig is not None and server.sslConfig.caCertificate:
            verify = ssl_context(server.sslConfig.caCertificate)
        cert = None
        if server.sslConfig is not None and server.sslConfig.sslCertificate:
            cert = (
                (server.sslConfig.sslCertificate, server.sslConfig.sslKey)
                if server.sslConfig.sslKey
                else server.sslConfig.sslCertificate
            )
        headers = {
            "User-Agent": user_agent or f"tessera-ingest/{__version__}",
            "Accept": "application/json",
            **server.extraHeaders,
        }
        self._http = httpx.Client(
            headers=headers,
            verify=verify,
            cert=cert,
            timeout=httpx.Timeout(300.0, connect=10.0),
            follow_redirects=False,
            transport=transport,
        )

    # -- calls ---------------------------------------------------------------------------------

    def version(self) -> str:
        body = self.request("GET", "/system/version")
        if not isinstance(body, dict) or not isinstance(body.get("version"), str):
            raise ServerError(
                f"{self.base}/system/version did not return a version; is {self.server.hostPort} a "
                "tessera or OpenMetadata server?",
                hint="workflowConfig.openMetadataServerConfig.hostPort must be the server's URL "
                "ending in /api.",
            )
        return str(body["version"])

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET; None for a 404."""
        try:
            return self.request("GET", path, params=params)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def pages(self, path: str, params: Mapping[str, Any], *, limit: int) -> Iterator[dict[str, Any]]:
        """Every entity of a list endpoint, ``limit`` per request, following ``paging.after``."""
        after: str | None = None
        while True:
            page = self.request(
                "GET", path, params={**params, "limit": limit, **({"after": after} if after else {})}
            )
            yield from (page or {}).get("data") or []
            after = ((page or {}).get("paging") or {}).get("after")
            if not after:
                return

    def put(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("PUT", path, body=body, params=params)

    def delete(self, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, body=body, params=params)

    def request(
        self, method: str, path: str, *, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        url = self.base + path
        content = orjson.dumps(body) if body is not None else None
        renewed = False
        attempt = 0
        while True:
            headers = {"Content-Type": "application/json"}
            token = self._tokens.token()
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            try:
                response = self._http.request(method, url, content=content, params=params, headers=headers)
            except httpx.TransportError as exc:
                if method in IDEMPOTENT and attempt < len(RETRY_DELAYS_S) and _retryable(exc):
                    self._sleep(RETRY_DELAYS_S[attempt])
                    attempt += 1
                    continue
                raise self._unreachable(exc) from None
            status = response.status_code
            retry_after = _retry_after(response)
            retry = status in RETRY_STATUSES or (status == 409 and retry_after is not None)
            if retry and method in IDEMPOTENT and attempt < len(RETRY_DELAYS_S):
                self._sleep(retry_after if retry_after is not None else RETRY_DELAYS_S[attempt])
                attempt += 1
                continue
            if status == 401 and not renewed and token is not None and self._tokens.renewable:
                self._tokens.invalidate()
                renewed = True
                continue
            return self._decode(method, path, response)

    def close(self) -> None:
        self._http.close()

    # -- answers -------------------------------------------------------------------------------

    def _decode(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        text = response.text
        if 200 <= status < 300:
            if not response.content:
                return None
            if _looks_like_html(response):
                raise ServerError(
                    f"{method} {self.base}{path} answered with an HTML page, not JSON",
                    hint="hostPort must point at the API and end in /api, e.g. http://localhost:8585/api.",
                )
            return orjson.loads(response.content)
        if 300 <= status < 400:
            raise ServerError(
                f"{method} {self.base}{path} was redirected ({status}) to {response.headers.get('location')}",
                hint="Set hostPort to the final URL (OpenMetadata's client does not follow "
                "redirects either).",
            )
        message = _server_message(response) or text[:300] or response.reason_phrase
        if status == 401:
            raise NotAuthorized(
                f"The catalog server at {self.server.hostPort} answered 401 Unauthorized: {message}",
                status=401,
                hint=f"It did not accept {self._tokens.description}. " + _auth_hint(self.server),
            )
        if status == 403:
            raise NotAuthorized(
                f"The catalog server at {self.server.hostPort} answered 403 Forbidden for "
                f"{method} {path}: {message}",
                status=403,
                hint="The token is valid but its principal may not do this; give the ingestion bot the "
                "IngestionBotRole (or an equivalent role).",
            )
        if _looks_like_html(response):
            message = f"an HTML page ({status}); is hostPort the API URL ending in /api?"
        raise ApiError(status, message, method, path)

    def _unreachable(self, exc: httpx.TransportError) -> ServerUnreachable:
        where = self.server.hostPort
        reason = str(exc) or type(exc).__name__
        if "CERTIFICATE_VERIFY_FAILED" in reason or "SSL" in reason:
            return ServerUnreachable(
                f"TLS handshake with {where} failed: {reason}",
                hint="Trust the server's CA with workflowConfig.openMetadataServerConfig.sslConfig."
                "caCertificate (verifySSL: validate), or verifySSL: ignore for a test server.",
            )
        if isinstance(exc, httpx.TimeoutException):
            return ServerUnreachable(f"The catalog server at {where} did not answer in time ({reason})")
        return ServerUnreachable(
            f"Cannot reach the catalog server at {where}: {reason}",
            hint="Is it running (tessera serve)? Check workflowConfig.openMetadataServerConfig.hostPort.",
        )


def _retryable(exc: httpx.TransportError) -> bool:
    # A refused connection will not heal in a second; a dropped keep-alive or reset will.
    return not isinstance(exc, httpx.ConnectError) or "refused" not in str(exc).lower()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (RFC 9110 10.2.3; tessera sends seconds, never a date)."""
    try:
        seconds = float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None
    return min(seconds, MAX_RETRY_AFTER_S) if seconds >= 0 else None  # also refuses NaN


def _looks_like_html(response: httpx.Response) -> bool:
    return "html" in response.headers.get("content-type", "") or response.text.lstrip()[
        :15
    ].lower().startswith(("<!doctype", "<html"))


def _server_message(response: httpx.Response) -> str | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    if isinstance(body, dict):
        for key in ("message", "error_description", "detail", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return None


def _auth_hint(server: ServerConfig) -> str:
    if server.authProvider == "openmetadata":
        return (
            "Check securityConfig.jwtToken: it must be a token this server issued (the ingestion "
            "bot's JWT), not expired."
        )
    if server.authProvider == "azure":
        return (
            "Check that the server trusts this Entra tenant and app (its authority/clientId), and that "
            "securityConfig.scopes names the catalog's API (<Application ID URI>/.default)."
        )
    return "The server requires authentication: set authProvider openmetadata with a jwtToken, or azure."
