"""Tokens for the catalog server: a static JWT, or a client-credentials token from Entra ID.

``authProvider: openmetadata`` sends ``securityConfig.jwtToken`` (the token, or the path of a
file holding it, read once) as OpenMetadata's client does. ``authProvider: azure`` asks MSAL
for an app-only token (``ConfidentialClientApplication.acquire_token_for_client``), as
OpenMetadata 1.x's ``AzureAuthenticationProvider`` did, keeps it and renews it
``RENEW_BEFORE_S`` seconds before it expires (the margin OpenMetadata's REST client used).

MSAL against a host that is not Microsoft's (``tessera.entra``, a test IdP) needs
``instance_discovery=False``: by default MSAL first asks login.microsoftonline.com whether
the authority is valid, which fails offline and for every private host (entra-id.md §5). The
CA in ``sslConfig.caCertificate`` is trusted in addition to the system's, for MSAL as for
the catalog, so one file can name a private catalog and a private IdP.
"""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from tessera.ingest.errors import ConfigError, TokenError
from tessera.ingest.workflow import ServerConfig
from tessera.microsoft import MICROSOFT_HOSTS

RENEW_BEFORE_S = 120


class TokenProvider(Protocol):
    def token(self) -> str | None:
        """The bearer token to send now, or None to send no Authorization header."""

    def invalidate(self) -> None:
        """Forget a cached token (the server answered 401); the next call gets a new one."""

    @property
    def description(self) -> str:
        """What the token is, for error messages (never the token)."""

    @property
    def renewable(self) -> bool:
        """Whether asking again after a 401 can give a different token."""


class NoToken:
    description = "no token (authProvider no-auth)"
    renewable = False

    def token(self) -> str | None:
        return None

    def invalidate(self) -> None:
        return None


def _token_file(value: str) -> Path | None:
    """The file ``value`` names, or None when it is the token itself. A real JWT is longer than
    a file name may be, and asking the file system about it fails (ENAMETOOLONG): that is an
    answer too, not an error."""
    if not value.strip() or "\n" in value.strip():
        return None
    try:
        path = Path(value.strip()).expanduser()
        return path if path.is_file() else None
    except (OSError, ValueError):
        return None


class StaticToken:
    """OpenMetadata's JWT provider: the token, or a file holding it (read once)."""

    renewable = False

    def __init__(self, value: str) -> None:
        path = _token_file(value)
        if path is not None:
            text = path.read_text(encoding="utf-8").strip()
            if not text:
                raise ConfigError(f"securityConfig.jwtToken names the file {path}, which is empty")
            self._token = text
            self.description = f"the JWT read from {path}"
        else:
            self._token = value.strip()
            self.description = "the JWT in securityConfig.jwtToken"

    def token(self) -> str | None:
        return self._token

    def invalidate(self) -> None:
        return None


# -- Azure ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AadstsCode:
    meaning: str
    fix: str


# AADSTS codes a client-credentials request meets, with what they mean for this config.
# Texts follow Entra's error reference (entra-id.md §2.4).
AADSTS: dict[int, AadstsCode] = {
    7000215: AadstsCode(
        "invalid client secret",
        "securityConfig.clientSecret is wrong. Use the secret's Value (shown once when it was "
        "created), not its Secret ID; create a new secret under Certificates & secrets if it is lost.",
    ),
    7000222: AadstsCode(
        "the client secret has expired",
        "Create a new client secret for the ingestion app (Certificates & secrets) and put it in "
        "securityConfig.clientSecret.",
    ),
    7000218: AadstsCode(
        "no client secret was sent",
        "Set securityConfig.clientSecret to the ingestion app's client secret value.",
    ),
    700016: AadstsCode(
        "application not found in the tenant",
        "Check securityConfig.clientId (the ingestion app's Application (client) ID) and that "
        "securityConfig.authority names the tenant the app is registered in.",
    ),
    1002012: AadstsCode(
        "a client-credentials scope must end in /.default",
        "Write securityConfig.scopes as <Application ID URI>/.default, e.g. api://<client-id>/.default.",
    ),
    70011: AadstsCode(
        "the scope is not valid",
        "Use one scope of the form <Application ID URI>/.default in securityConfig.scopes.",
    ),
    90014: AadstsCode(
        "no scope was sent",
        "Set securityConfig.scopes to [<Application ID URI>/.default].",
    ),
    500011: AadstsCode(
        "the resource (API) in the scope does not exist in this tenant",
        "Check the Application ID URI in securityConfig.scopes (Expose an API -> Application ID URI "
        "of the app the catalog trusts) and that the authority names the right tenant.",
    ),
    90002: AadstsCode(
        "tenant not found",
        "securityConfig.authority must be https://login.microsoftonline.com/<Directory (tenant) ID> "
        "of the tenant where the apps are registered.",
    ),
    501051: AadstsCode(
        "the app is not assigned a role for the API",
        "The API requires an app role assignment: give the ingestion app an application permission "
        "(app role) on the API and grant admin consent.",
    ),
    50105: AadstsCode(
        "the caller is not assigned to a role for the application",
        "Assign the ingestion app (or user) to the application under Enterprise applications -> "
        "Users and groups, or turn off 'Assignment required'.",
    ),
    65001: AadstsCode(
        "admin consent has not been granted",
        "Grant admin consent for the ingestion app's API permissions (Enterprise applications -> "
        "Permissions -> Grant admin consent), as step 6 of the Azure SSO guide does.",
    ),
    700025: AadstsCode(
        "the app is a public client and may not send a secret",
        "Use a confidential (Web) app registration with a client secret for ingestion.",
    ),
    50194: AadstsCode(
        "a single-tenant app was used on a multi-tenant endpoint",
        "Put the tenant ID in securityConfig.authority instead of common or organizations.",
    ),
}


def explain_msal_error(result: dict[str, Any]) -> TokenError:
    description = str(result.get("error_description") or "")
    codes = result.get("error_codes") or []
    code = int(codes[0]) if codes else None
    if code is None:
        found = re.search(r"AADSTS(\d+)", description)
        code = int(found.group(1)) if found else None
    first_line = description.splitlines()[0].strip() if description else str(result.get("error"))
    known = AADSTS.get(code) if code is not None else None
    if known is not None:
        return TokenError(
            f"Entra ID refused the token request: AADSTS{code} ({known.meaning}). {first_line}",
            code=code,
            hint=known.fix,
        )
    label = f"AADSTS{code}" if code is not None else str(result.get("error") or "error")
    return TokenError(
        f"Entra ID refused the token request: {label}. {first_line}",
        code=code,
        hint="See https://login.microsoftonline.com/error?code=" + str(code) if code else None,
    )


def is_microsoft_host(authority: str) -> bool:
    return (urlsplit(authority).hostname or "").lower() in MICROSOFT_HOSTS


def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trust store, plus ``ca_file`` when given."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=str(Path(ca_file).expanduser()))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"sslConfig.caCertificate {ca_file!r} is not a readable PEM CA certificate ({exc})"
            ) from None
    return context


def _requests_session(context: ssl.SSLContext | None, verify: bool) -> Any:
    """A requests session for MSAL that trusts ``context`` and ignores REQUESTS_CA_BUNDLE
    (requests lets that variable override a session's ``verify``; entra-id.md §5)."""
    import requests
    from requests.adapters import HTTPAdapter

    class _Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            if context is not None:
                kwargs["ssl_context"] = context
            super().init_poolmanager(*args, **kwargs)

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            if context is not None and verify:
                # The context already holds the system store and the extra CA.
                conn.ca_certs = None
                conn.ca_cert_dir = None

    session = requests.Session()
    session.verify = verify
    session.mount("https://", _Adapter())
    original = session.merge_environment_settings

    def merge(url: str, proxies: Any, stream: Any, verify_arg: Any, cert: Any) -> Any:
        settings = original(url, proxies, stream, verify_arg, cert)
        settings["verify"] = verify
        return settings

    session.merge_environment_settings = merge  # type: ignore[method-assign,assignment]
    return session


class AzureToken:
    """Client-credentials tokens from Entra ID (or tessera.entra) through MSAL."""

    renewable = True

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        authority: str,
        scopes: list[str],
        ca_file: str | None = None,
        verify: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(authority)
        if parts.scheme != "https" or not parts.netloc:
            raise ConfigError(
                f"securityConfig.authority {authority!r} must be an https URL such as "
                "https://login.microsoftonline.com/<tenant-id> (MSAL refuses http)"
            )
        self._client_id = client_id
        self._secret = client_secret
        self._authority = authority.rstrip("/")
        self._scopes = scopes
        self._context = ssl_context(ca_file) if ca_file else None
        self._verify = verify
        self._clock = clock
        self._lock = threading.Lock()
        self._app: Any = None
        self._token: str | None = None
        self._expires_at = 0.0
        self.description = f"an Entra ID token for app {client_id} from {self._authority}"

    def _application(self) -> Any:
        if self._app is not None:
            return self._app
        import msal
        import requests

        session = _requests_session(self._context, self._verify)
        try:
            self._app = msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._secret,
                authority=self._authority,
                instance_discovery=is_microsoft_host(self._authority),
                http_client=session,
            )
        except requests.exceptions.SSLError as exc:
            raise TokenError(
                f"TLS error talking to {self._authority}: {_reason(exc)}",
                hint="Put the IdP's CA certificate in "
                "workflowConfig.openMetadataServerConfig.sslConfig.caCertificate.",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise TokenError(
                f"Cannot reach the authority {self._authority}: {_reason(exc)}",
                hint="Check securityConfig.authority and that this machine can reach it.",
            ) from None
        except ValueError as exc:
            # MSAL raises a bare ValueError when the authority's discovery document is missing;
            # Entra's answer there says why (AADSTS90002 for an unknown tenant), so ask it.
            explained = self._discovery_error(session)
            if explained is not None:
                raise explained from None
            raise TokenError(
                f"MSAL cannot use the authority {self._authority}: {str(exc).splitlines()[0]}",
                hint=AADSTS[90002].fix,
            ) from None
        return self._app

    def _discovery_error(self, session: Any) -> TokenError | None:
        import requests

        try:
            answer = session.get(f"{self._authority}/v2.0/.well-known/openid-configuration", timeout=10)
            body = answer.json()
        except (requests.exceptions.RequestException, ValueError):
            return None
        if isinstance(body, dict) and "error" in body:
            return explain_msal_error(body)
        return None

    def token(self) -> str | None:
        with self._lock:
            now = self._clock()
            if self._token is not None and now < self._expires_at - RENEW_BEFORE_S:
                return self._token
            result = self._acquire()
            if "access_token" not in result:
                raise explain_msal_error(result)
            self._token = str(result["access_token"])
            self._expires_at = now + float(result.get("expires_in") or 0)
            return self._token

    def _acquire(self) -> dict[str, Any]:
        import requests

        app = self._application()
        try:
            result: dict[str, Any] = app.acquire_token_for_client(scopes=self._scopes)
        except requests.exceptions.RequestException as exc:
            raise TokenError(
                f"Cannot reach the token endpoint of {self._authority}: {_reason(exc)}"
            ) from None
        except ValueError as exc:
            raise TokenError(f"MSAL rejected the token request: {exc}") from None
        if "access_token" in result and self._token is not None and result["access_token"] == self._token:
            # MSAL served the token we are renewing from its own cache; ask Entra for a new one.
            self._app.remove_tokens_for_client()
            result = app.acquire_token_for_client(scopes=self._scopes)
        return result

    def invalidate(self) -> None:
        with self._lock:
            self._token = None
            self._expires_at = 0.0
            if self._app is not None:
                self._app.remove_tokens_for_client()


def _reason(exc: BaseException) -> str:
    text = str(exc)
    inner = re.search(r"\((?:Caused by )?\w+\((.*)\)\)", text)
    return (inner.group(1) if inner else text)[:300]


def token_provider(server: ServerConfig) -> TokenProvider:
    security = server.securityConfig
    if server.authProvider == "no-auth":
        return NoToken()
    if server.authProvider == "openmetadata":
        # Both checked by ServerConfig's validator.
        assert security is not None
        assert security.jwtToken is not None
        return StaticToken(security.jwtToken.get_secret_value())
    assert security is not None
    assert security.clientSecret is not None
    ca = server.sslConfig.caCertificate if server.sslConfig is not None else None
    return AzureToken(
        client_id=str(security.clientId),
        client_secret=security.clientSecret.get_secret_value(),
        authority=str(security.authority),
        scopes=list(security.scopes),
        ca_file=ca,
        verify=server.verifySSL != "ignore",
    )
