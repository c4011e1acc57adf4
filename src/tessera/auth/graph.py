"""The catalog's own app registration (``oidcConfiguration``) through MSAL Python, and the one
thing tessera asks Microsoft Graph: a person's groups past the overage.

Entra lists at most 200 groups in a token; past that the token carries ``_claim_names`` /
``_claim_sources`` and the groups must be read from Graph (``getMemberObjects``) with an
app-only token of the catalog's own app (``GroupMember.Read.All`` or ``User.Read.All``
application permission, admin-consented). The answer is cached per person; when Graph cannot
be asked the caller keeps the memberships it last knew and says so in the audit log.

Graph is always asked at ``graphUrl`` (Microsoft's by default), never at the URL a token names
in ``_claim_sources``: the catalog's Graph token must go only where the operator said.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from msal.exceptions import MsalError

from tessera.config import AuthenticationSettings
from tessera.microsoft import MICROSOFT_HOSTS

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MICROSOFT_GRAPH = "https://graph.microsoft.com"
_CACHED_PEOPLE = 10_000


class GraphUnavailable(Exception):
    """Graph (or the token for it) could not be had; the message says why."""


def is_microsoft(authority: str) -> bool:
    return (urlsplit(authority).hostname or "").lower() in MICROSOFT_HOSTS


def graph_url(settings: AuthenticationSettings) -> str:
    if settings.graphUrl:
        return settings.graphUrl.rstrip("/")
    if is_microsoft(settings.authority):
        return MICROSOFT_GRAPH
    # tessera.entra serves its Graph subset on its own origin.
    parts = urlsplit(settings.authority)
    return f"{parts.scheme}://{parts.netloc}"


def requests_session(ca_bundle: str) -> Any:
    """A requests session for MSAL that verifies with ``ca_bundle`` (or the system's CAs) even
    where REQUESTS_CA_BUNDLE says otherwise; proxies from the environment still apply."""
    import requests

    session = requests.Session()
    verify: str | bool = ca_bundle or True
    session.verify = verify
    original = session.merge_environment_settings

    def merge(url: str, proxies: Any, stream: Any, verify_arg: Any, cert: Any) -> Any:
        merged = original(url, proxies, stream, verify_arg, cert)
        merged["verify"] = verify
        return merged

    session.merge_environment_settings = merge  # type: ignore[method-assign,assignment]
    return session


def msal_app(settings: AuthenticationSettings, *, authority: str | None = None, remember: bool) -> Any:
    """MSAL's ConfidentialClientApplication for the catalog's app. ``remember=False`` keeps no
    token in MSAL's cache: people's tokens belong to their session only, and a cache shared by
    every sign-in of the process would grow with each of them."""
    import msal

    oidc = settings.oidcConfiguration
    cache: Any = None
    if not remember:

        class _Forgetful(msal.TokenCache):  # type: ignore[misc]
            def add(self, event: Any, **kwargs: Any) -> None:
                return None

        cache = _Forgetful()
    chosen = authority or settings.authority
    return msal.ConfidentialClientApplication(
        oidc.id,
        client_credential=oidc.secret.get_secret_value(),
        authority=chosen,
        # Instance discovery asks login.microsoftonline.com about the host: only for Microsoft's.
        instance_discovery=is_microsoft(chosen),
        http_client=requests_session(settings.idpCaBundle),
        token_cache=cache,
    )


def first_line(text: Any) -> str:
    return str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""


class GraphGroups:
    """A person's group ids from Graph's ``getMemberObjects``, cached for ``ttl_s``."""

    def __init__(
        self,
        settings: AuthenticationSettings,
        http: httpx.Client,
        *,
        ttl_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._http = http
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._apps: dict[str, Any] = {}
        self._cache: OrderedDict[tuple[str, str], tuple[float, list[str]]] = OrderedDict()
        self.url = graph_url(settings)

    @property
    def configured(self) -> bool:
        oidc = self._settings.oidcConfiguration
        return bool(oidc.id and oidc.secret.get_secret_value())

    def groups_of(self, tenant_id: str, object_id: str) -> list[str]:
        key = (tenant_id.lower(), object_id.lower())
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and self._clock() - cached[0] < self._ttl:
                return list(cached[1])
        ids = self._fetch(tenant_id, object_id)
        with self._lock:
            self._cache[key] = (self._clock(), ids)
            self._cache.move_to_end(key)
            while len(self._cache) > _CACHED_PEOPLE:
                self._cache.popitem(last=False)
        return list(ids)

    def _fetch(self, tenant_id: str, object_id: str) -> list[str]:
        if not self.configured:
            raise GraphUnavailable(
                "the catalog has no credentials of its own to ask Microsoft Graph: set "
                "oidcConfiguration id and secret (OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)"
            )
        token = self.app_token(tenant_id)
        url = f"{self.url}/v1.0/users/{quote(object_id, safe='')}/getMemberObjects"
        try:
            response = self._http.post(
                url, json={"securityEnabledOnly": False}, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as exc:
            raise GraphUnavailable(f"Microsoft Graph at {self.url} is unreachable ({exc})") from None
        if response.status_code != 200:
            raise GraphUnavailable(
                f"Microsoft Graph answered {response.status_code}: {_graph_error(response)}"
            )
        try:
            values = response.json()["value"]
        except (ValueError, KeyError, TypeError):
            raise GraphUnavailable("Microsoft Graph's answer has no list of groups") from None
        return [str(value) for value in values]

    def app_token(self, tenant_id: str) -> str:
        """An app-only Graph token of the catalog's app in ``tenant_id`` (MSAL caches it)."""
        parts = urlsplit(self._settings.authority)
        authority = f"{parts.scheme}://{parts.netloc}/{tenant_id}"
        with self._lock:
            app = self._apps.get(authority)
        try:
            if app is None:
                app = msal_app(self._settings, authority=authority, remember=True)
                with self._lock:
                    app = self._apps.setdefault(authority, app)
            result = app.acquire_token_for_client([GRAPH_SCOPE])
        except (ValueError, OSError, MsalError) as exc:
            raise GraphUnavailable(f"no token for Microsoft Graph: {first_line(exc)}") from None
        if "access_token" not in result:
            described = first_line(result.get("error_description")) or result.get("error", "no token")
            raise GraphUnavailable(f"no token for Microsoft Graph: {described}")
        token: str = result["access_token"]
        return token


def _graph_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    if isinstance(error, str):
        return f"{error}: {first_line(body.get('error_description'))}"
    return response.text[:200]
