"""``tessera doctor``: a sign-in configuration checked end to end against the identity provider,
each finding with the exact setting to change.

In order: the authority, its discovery document and keys (reachable, trusted), the tenant
(authority, ``OIDC_TENANT``, ``OIDC_DISCOVERY_URI`` and ``allowedTenants`` agree), the client id
(known to the tenant: Entra's authorize endpoint answers AADSTS700016 for an unknown one and
AADSTS50011 for an unregistered redirect URI), the callback and public URLs, the confidential
client's secret, the app registration as Graph shows it (app roles and groups claims the
mappings need), the administrators (resolvable in the directory), and the clock skew between
this machine and the identity provider.

What can only be checked with the catalog's own credentials (the secret, Graph) says so when
they are missing rather than guessing.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

import httpx
import jwt

from tessera.auth.directory import admin_emails
from tessera.auth.entra import MULTI_TENANT, Authority, http_client
from tessera.auth.graph import GRAPH_SCOPE, graph_url
from tessera.config import ENV_KEYS, Settings
from tessera.errors import ConfigError

Status = Literal["ok", "info", "warning", "error"]
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_KEY_PREFIXES = {
    "authority": "authenticationConfiguration.",
    "clientId": "authenticationConfiguration.",
    "callbackUrl": "authenticationConfiguration.",
    "allowedTenants": "authenticationConfiguration.",
    "idpCaBundle": "authenticationConfiguration.",
    "publicKeyUrls": "authenticationConfiguration.",
    "clockLeewaySeconds": "authenticationConfiguration.",
    "graphUrl": "authenticationConfiguration.",
    "publicUrl": "server.",
    "adminPrincipals": "authorizerConfiguration.",
    "principalDomain": "authorizerConfiguration.",
    "providerMappings": "authorizerConfiguration.",
}


@dataclass(frozen=True)
class Finding:
    status: Status
    check: str
    message: str
    setting: str | None = None
    """The setting to change, with its environment variables."""

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "check": self.check, "message": self.message, "setting": self.setting}


def setting(key: str) -> str:
    """``authenticationConfiguration.clientId (AUTHENTICATION_CLIENT_ID)``."""
    dotted = key if "." in key else _KEY_PREFIXES.get(key, "") + key
    env = [name for name, target in ENV_KEYS.items() if target == dotted]
    return f"{dotted} ({', '.join(env)})" if env else dotted


def check_configuration(
    settings: Settings,
    *,
    http: httpx.Client | None = None,
    roles_and_teams: Callable[[], tuple[set[str], set[str]]] | None = None,
    clock: Callable[[], float] = time.time,
) -> list[Finding]:
    """Every finding, in order; ``roles_and_teams`` gives the catalog's role and team names to
    check the mappings against (None: not checked)."""
    auth = settings.authenticationConfiguration
    if auth.provider != "azure":
        return [
            Finding(
                "info", "provider", f"provider is {auth.provider}: there is no identity provider to check"
            )
        ]
    own = http is None
    client = http or http_client(auth)
    try:
        return list(_Checks(settings, client, roles_and_teams, clock).run())
    finally:
        if own:
            client.close()


class _Checks:
    def __init__(
        self,
        settings: Settings,
        http: httpx.Client,
        roles_and_teams: Callable[[], tuple[set[str], set[str]]] | None,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.auth = settings.authenticationConfiguration
        self.oidc = self.auth.oidcConfiguration
        self.http = http
        self.roles_and_teams = roles_and_teams
        self.clock = clock
        self.document: dict[str, Any] = {}
        self.tenant_id: str | None = None
        self.graph_token: str | None = None
        self.skew: float | None = None

    def run(self) -> Iterator[Finding]:
        try:
            authority = Authority.parse(self.auth.authority)
        except ConfigError as exc:
            yield Finding("error", "authority", str(exc), setting("authority"))
            return
        if authority.tenant.lower() in MULTI_TENANT and not self.auth.allowedTenants:
            yield Finding(
                "error",
                "authority",
                f"the multi-tenant '{authority.tenant}' authority admits any tenant; name yours",
                setting("allowedTenants"),
            )
            return
        yield from self.discovery(authority)
        if not self.document:
            return
        yield from self.tenant(authority)
        yield from self.keys()
        yield from self.client_id()
        yield from self.urls()
        yield from self.secret()
        yield from self.registration()
        yield from self.admins()
        yield from self.mappings()
        yield from self.clock_skew()

    # -- the identity provider ----------------------------------------------------------------

    def discovery(self, authority: Authority) -> Iterator[Finding]:
        url = f"{authority.origin}/{authority.tenant}/v2.0/.well-known/openid-configuration"
        try:
            response = self.http.get(url)
        except httpx.HTTPError as exc:
            tls = "certificate" in str(exc).lower() or "ssl" in str(exc).lower()
            yield Finding(
                "error",
                "discovery",
                f"{url} is unreachable: {exc}"
                + (" (its certificate is not trusted: give its CA bundle)" if tls else ""),
                setting("idpCaBundle") if tls else setting("authority"),
            )
            return
        self.date_skew(response)
        if response.status_code != 200:
            yield Finding(
                "error",
                "discovery",
                f"{url} answered {response.status_code}: the tenant {authority.tenant!r} is not known there",
                setting("authority"),
            )
            return
        try:
            self.document = dict(response.json())
        except ValueError:
            yield Finding(
                "error", "discovery", f"{url} is not a JSON discovery document", setting("authority")
            )
            return
        yield Finding("ok", "discovery", f"{url} answers; issuer {self.document.get('issuer')}")

    def tenant(self, authority: Authority) -> Iterator[Finding]:
        match = _GUID.search(str(self.document.get("issuer", "")))
        self.tenant_id = match.group(0).lower() if match else None
        if self.tenant_id is None:
            yield Finding(
                "error", "tenant", "the discovery document's issuer names no tenant id", setting("authority")
            )
            return
        if _GUID.fullmatch(authority.tenant) and authority.tenant.lower() != self.tenant_id:
            yield Finding(
                "error",
                "tenant",
                f"the authority names tenant {authority.tenant} but its issuer is of tenant {self.tenant_id}",
                setting("authority"),
            )
        else:
            yield Finding("ok", "tenant", f"the authority's tenant is {self.tenant_id}")
        names = {authority.tenant.lower(), self.tenant_id}
        if self.oidc.tenant and self.oidc.tenant.lower() not in names:
            yield Finding(
                "error",
                "tenant",
                f"oidcConfiguration.tenant is {self.oidc.tenant} while the authority's tenant is "
                f"{self.tenant_id}",
                setting("authenticationConfiguration.oidcConfiguration.tenant"),
            )
        expected = f"{self.auth.authority.rstrip('/')}/v2.0/.well-known/openid-configuration"
        if self.oidc.discoveryUri and self.oidc.discoveryUri.rstrip("/") != expected:
            yield Finding(
                "error",
                "tenant",
                f"oidcConfiguration.discoveryUri is {self.oidc.discoveryUri}; for this authority it is "
                f"{expected}",
                setting("authenticationConfiguration.oidcConfiguration.discoveryUri"),
            )
        allowed = {t.lower() for t in self.auth.allowedTenants}
        if allowed and authority.tenant.lower() not in MULTI_TENANT and self.tenant_id not in allowed:
            yield Finding(
                "warning",
                "tenant",
                f"allowedTenants does not list the authority's own tenant {self.tenant_id}: its people are "
                "refused",
                setting("allowedTenants"),
            )

    def keys(self) -> Iterator[Finding]:
        urls = [u for u in self.auth.publicKeyUrls if "/api/v1/system/config/jwks" not in u] or [
            str(self.document.get("jwks_uri", ""))
        ]
        for url in urls:
            try:
                response = self.http.get(url)
                response.raise_for_status()
                keys = [k for k in response.json().get("keys", []) if k.get("kty") == "RSA" and k.get("kid")]
            except (httpx.HTTPError, ValueError, AttributeError) as exc:
                yield Finding(
                    "error", "keys", f"{url} is unreachable or not a JWKS: {exc}", setting("publicKeyUrls")
                )
                continue
            if not keys:
                yield Finding(
                    "error", "keys", f"{url} publishes no RSA signing key", setting("publicKeyUrls")
                )
            else:
                yield Finding("ok", "keys", f"{url} publishes {len(keys)} signing key(s)")

    def client_id(self) -> Iterator[Finding]:
        endpoint = str(self.document.get("authorization_endpoint", ""))
        redirect = self.callback_url()
        query = {
            "client_id": self.auth.clientId,
            "response_type": "code",
            "scope": "openid",
            "state": "doctor",
        }
        if redirect:
            query["redirect_uri"] = redirect
        try:
            response = self.http.get(f"{endpoint}?{urlencode(query)}")
        except httpx.HTTPError as exc:
            yield Finding("warning", "client id", f"the authorize endpoint is unreachable: {exc}")
            return
        page = response.text
        if "AADSTS700016" in page or "AADSTS700038" in page:
            yield Finding(
                "error",
                "client id",
                f"{self.auth.clientId!r} is not an application of tenant {self.tenant_id} (AADSTS700016)",
                setting("clientId"),
            )
        elif "AADSTS50011" in page:
            yield Finding(
                "error",
                "callback URL",
                f"{redirect} is not a redirect URI of the app registration {self.auth.clientId} "
                "(AADSTS50011): register it ("
                + ("Web" if self.confidential else "Single-page application")
                + " platform) or correct the setting",
                setting(self.callback_key()),
            )
        else:
            yield Finding(
                "ok", "client id", f"{self.auth.clientId} is known to the tenant; {redirect} is registered"
            )

    # -- this server's own settings -----------------------------------------------------------

    @property
    def confidential(self) -> bool:
        return self.auth.clientType == "confidential"

    def callback_key(self) -> str:
        return (
            "authenticationConfiguration.oidcConfiguration.callbackUrl"
            if self.confidential
            else "callbackUrl"
        )

    def callback_url(self) -> str:
        public = (self.settings.server.publicUrl or "").rstrip("/")
        if self.confidential:
            server = (self.oidc.serverUrl or public).rstrip("/")
            return self.oidc.callbackUrl or (f"{server}/callback" if server else "")
        return self.auth.callbackUrl or (f"{public}/callback" if public else "")

    def urls(self) -> Iterator[Finding]:
        public = (self.settings.server.publicUrl or "").rstrip("/")
        callback = self.callback_url()
        if not public:
            yield Finding(
                "warning",
                "public URL",
                "server.publicUrl is not set: the callback is taken from each request's own address, which a "
                "proxy may change",
                setting("publicUrl"),
            )
        if self.confidential and self.oidc.serverUrl and public and self.oidc.serverUrl.rstrip("/") != public:
            yield Finding(
                "error",
                "public URL",
                f"oidcConfiguration.serverUrl {self.oidc.serverUrl} is not server.publicUrl {public}",
                setting("authenticationConfiguration.oidcConfiguration.serverUrl"),
            )
        if not callback:
            yield Finding("error", "callback URL", "no callback URL: set it", setting(self.callback_key()))
            return
        parts = urlsplit(callback)
        if (
            public
            and f"{parts.scheme}://{parts.netloc}" != f"{urlsplit(public).scheme}://{urlsplit(public).netloc}"
        ):
            yield Finding(
                "error",
                "callback URL",
                f"the callback {callback} is not on the public URL {public}: the browser would return "
                "elsewhere",
                setting(self.callback_key()),
            )
        elif parts.path.rstrip("/") != "/callback":
            yield Finding(
                "error",
                "callback URL",
                f"the callback {callback} is not tessera's /callback",
                setting(self.callback_key()),
            )
        else:
            yield Finding("ok", "callback URL", f"{callback} is on the public URL")

    def secret(self) -> Iterator[Finding]:
        """The client secret, by asking for an app-only Graph token with it."""
        if not (self.oidc.id and self.oidc.secret.get_secret_value()):
            if self.confidential:
                yield Finding(
                    "error",
                    "client secret",
                    "no client secret",
                    setting("authenticationConfiguration.oidcConfiguration.secret"),
                )
            return
        token_endpoint = str(self.document.get("token_endpoint", ""))
        form = {
            "grant_type": "client_credentials",
            "client_id": self.oidc.id,
            "client_secret": self.oidc.secret.get_secret_value(),
            "scope": GRAPH_SCOPE,
        }
        try:
            response = self.http.post(token_endpoint, data=form)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            yield Finding("warning", "client secret", f"the token endpoint did not answer: {exc}")
            return
        if "access_token" not in body:
            description = str(body.get("error_description", "")).splitlines()[0] if body else ""
            key = "authenticationConfiguration.oidcConfiguration.id" if "700016" in description else None
            yield Finding(
                "error",
                "client secret",
                f"Entra ID refuses the catalog's credentials: {body.get('error')}: {description}",
                setting(key or "authenticationConfiguration.oidcConfiguration.secret"),
            )
            return
        self.graph_token = str(body["access_token"])
        if isinstance(body.get("expires_in"), int | str):
            # Entra issues exp = its now + expires_in: its clock, read from its own token.
            exp = jwt.decode(self.graph_token, options={"verify_signature": False}).get("exp")
            if isinstance(exp, int | float):
                self.skew = self.clock() - (float(exp) - float(body["expires_in"]))
        yield Finding("ok", "client secret", f"the catalog's app {self.oidc.id} gets tokens with its secret")

    def registration(self) -> Iterator[Finding]:
        """The app registration as Graph shows it: what the mappings and the flow need."""
        app = self.graph_get(f"/v1.0/applications?$filter=appId eq '{self.auth.clientId}'")
        if app is None:
            return
        found = app.get("value") or []
        if not found:
            yield Finding(
                "warning",
                "app registration",
                f"Graph finds no app registration {self.auth.clientId} in the tenant",
                setting("clientId"),
            )
            return
        registration = found[0]
        problems = list(self.registration_problems(registration))
        yield from problems
        if not problems:
            yield Finding("ok", "app registration", f"{registration.get('displayName')} as Graph shows it")

    def registration_problems(self, registration: dict[str, Any]) -> Iterator[Finding]:
        redirects = (registration.get("web" if self.confidential else "spa") or {}).get("redirectUris") or []
        callback = self.callback_url()
        if callback and callback not in redirects:
            platform = "Web" if self.confidential else "Single-page application"
            yield Finding(
                "error",
                "app registration",
                f"{callback} is not a {platform} redirect URI of {self.auth.clientId} (it has: "
                f"{', '.join(redirects) or 'none'})",
                setting(self.callback_key()),
            )
        rules = self.settings.authorizerConfiguration.providerMappings
        values = {r.get("value") for r in registration.get("appRoles") or []}
        for rule in rules:
            if rule.appRole and rule.appRole not in values:
                yield Finding(
                    "error",
                    "mappings",
                    f"the app role {rule.appRole!r} is not defined on {self.auth.clientId} (it has: "
                    f"{', '.join(sorted(str(v) for v in values)) or 'none'})",
                    setting("providerMappings"),
                )
        claims = str(registration.get("groupMembershipClaims") or "None")
        if any(rule.group for rule in rules) and claims in ("None", "", "DirectoryRole"):
            yield Finding(
                "error",
                "mappings",
                f"groups are mapped but the app registration emits no groups claim (groupMembershipClaims: "
                f"{claims}); set it to SecurityGroup (Token configuration » Add groups claim)",
                setting("providerMappings"),
            )

    def admins(self) -> Iterator[Finding]:
        authz = self.settings.authorizerConfiguration
        emails = sorted(admin_emails(authz))
        if not emails:
            yield Finding(
                "warning", "administrators", "adminPrincipals names nobody", setting("adminPrincipals")
            )
            return
        bare = [entry for entry in authz.adminPrincipals if "@" not in entry]
        if bare and authz.principalDomain == "open-metadata.org":
            yield Finding(
                "warning",
                "administrators",
                f"{', '.join(bare)} become {', '.join(f'{b}@open-metadata.org' for b in bare)}: "
                "OpenMetadata's default domain, surely not your directory's",
                setting("principalDomain"),
            )
        if self.graph_token is None:
            yield Finding(
                "info",
                "administrators",
                f"{', '.join(emails)}: not looked up (the directory is read with the catalog's own "
                "credentials, oidcConfiguration id and secret)",
            )
            return
        for email in emails:
            found = self.graph_get(f"/v1.0/users/{quote(email, safe='@')}")
            if found is None:
                by_mail = self.graph_get(f"/v1.0/users?$filter=mail eq '{email}'")
                found = next(iter((by_mail or {}).get("value") or []), None)
            if found:
                yield Finding(
                    "ok", "administrators", f"{email} is {found.get('displayName')} in the directory"
                )
            else:
                yield Finding(
                    "error",
                    "administrators",
                    f"{email} is no user of tenant {self.tenant_id}: nobody can sign in as this "
                    "administrator",
                    setting("adminPrincipals"),
                )

    def mappings(self) -> Iterator[Finding]:
        rules = self.settings.authorizerConfiguration.providerMappings
        if not rules or self.roles_and_teams is None:
            return
        roles, teams = self.roles_and_teams()
        for rule in rules:
            for kind, names, known in (("role", rule.roles, roles), ("team", rule.teams, teams)):
                for name in names:
                    if name not in known:
                        yield Finding(
                            "error",
                            "mappings",
                            f"the {kind} {name!r} of a mapping does not exist in the catalog; create it",
                            setting("providerMappings"),
                        )
        overage = self.auth.oidcConfiguration.id and self.oidc.secret.get_secret_value()
        if any(rule.group for rule in rules) and not overage:
            yield Finding(
                "warning",
                "mappings",
                "groups are mapped but the catalog has no credentials to read the groups of people with more "
                "than 200 from Graph: they keep what they had",
                setting("authenticationConfiguration.oidcConfiguration.secret"),
            )

    def clock_skew(self) -> Iterator[Finding]:
        if self.skew is None:
            yield Finding("info", "clock", "the identity provider's clock could not be read")
            return
        leeway = self.auth.clockLeewaySeconds
        ahead = "behind" if self.skew < 0 else "ahead of"
        text = f"this machine's clock is {abs(self.skew):.0f} s {ahead} the identity provider's"
        if abs(self.skew) > leeway:
            yield Finding(
                "error",
                "clock",
                text + f", more than clockLeewaySeconds ({leeway}): tokens are refused as expired or not yet "
                "valid. Synchronise the clock (NTP)",
                setting("clockLeewaySeconds"),
            )
        elif abs(self.skew) > 5:
            yield Finding("warning", "clock", text + "; synchronise the clock (NTP)")
        else:
            yield Finding("ok", "clock", text)

    # -- plumbing -----------------------------------------------------------------------------

    def date_skew(self, response: httpx.Response) -> None:
        """A first reading of the skew from the HTTP Date header (one second's resolution)."""
        with contextlib.suppress(KeyError, ValueError, TypeError, OverflowError):
            self.skew = self.clock() - parsedate_to_datetime(response.headers["date"]).timestamp()

    def graph_get(self, path: str) -> Any:
        if self.graph_token is None:
            return None
        try:
            response = self.http.get(
                graph_url(self.auth) + path, headers={"Authorization": f"Bearer {self.graph_token}"}
            )
        except httpx.HTTPError:
            return None
        if response.status_code != 200:
            return None
        try:
            return response.json()
        except ValueError:
            return None


def worst(findings: Sequence[Finding]) -> Status:
    order: list[Status] = ["ok", "info", "warning", "error"]
    return max((f.status for f in findings), key=order.index, default="ok")
