"""Validating Microsoft Entra ID tokens (Microsoft identity platform v1.0 and v2.0 access and
ID tokens; see "Access token claims reference" and "ID token claims reference").

Two phases, as Microsoft's own validators do:

1. Signature: RS256 only (Entra's keys carry no ``alg``; the algorithm is pinned here, never
   read from the token), keys looked up by ``kid`` in the JWKS of the configured authority (or
   ``publicKeyUrls``), never from a URL or key inside the token. A token whose audience is
   Microsoft Graph is refused before anything else: Graph tokens carry a header nonce that
   makes them unverifiable by anyone but Graph, so accepting them would mean not checking them.
2. Claims: ``iss`` must be the v2 issuer ``{origin}/{tid}/v2.0`` or the v1 issuer
   (``https://sts.windows.net/{tid}/`` for Microsoft's cloud, ``{origin}/{tid}/`` for an
   emulator), for a ``tid`` in the allowed tenants; ``ver`` must match the issuer and be an
   accepted version; ``aud`` one of the accepted audiences; ``exp``/``nbf`` with leeway.

OpenMetadata checked only the signature and ``exp``, so any token from any tenant, for any
application, passed (``open-metadata/OpenMetadata#26781``). Each check above has a 401 that
names it.

Keys are cached; an unknown ``kid`` refetches at most once per cooldown, and when the IdP is
unreachable the cached keys keep working (the failure is logged once).
"""

from __future__ import annotations

import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import jwt
from jwt.algorithms import RSAAlgorithm

from tessera.auth.tokens import MAX_TOKEN_BYTES, decode_verified, invalid_token, pinned_key_id
from tessera.auth.trace import Trace, checking
from tessera.config import AuthenticationSettings
from tessera.errors import ConfigError
from tessera.microsoft import MICROSOFT_HOSTS

log = logging.getLogger(__name__)

GRAPH_AUDIENCES = frozenset(
    {
        "https://graph.microsoft.com",
        "https://graph.microsoft.com/",
        "00000003-0000-0000-c000-000000000000",
        "https://graph.windows.net",
        "https://graph.windows.net/",
        "00000002-0000-0000-c000-000000000000",
    }
)
MULTI_TENANT = frozenset({"common", "organizations", "consumers"})
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Authority:
    """``https://login.microsoftonline.com/<tenant>`` taken apart."""

    origin: str
    tenant: str

    @classmethod
    def parse(cls, url: str) -> Authority:
        parsed = urlparse(url.strip())
        segments = [s for s in parsed.path.split("/") if s]
        if parsed.scheme != "https" or not parsed.netloc or not segments:
            raise ConfigError(
                f"authenticationConfiguration.authority {url!r} must look like "
                "https://login.microsoftonline.com/<tenant id or domain>"
            )
        return cls(origin=f"{parsed.scheme}://{parsed.netloc}", tenant=segments[0])

    @property
    def microsoft(self) -> bool:
        return urlparse(self.origin).hostname in MICROSOFT_HOSTS

    def v2_issuer(self, tid: str) -> str:
        origin = "https://login.microsoftonline.com" if self.microsoft else self.origin
        return f"{origin}/{tid}/v2.0"

    def v1_issuer(self, tid: str) -> str:
        # Entra's v1 tokens come from sts.windows.net; an emulator issues both from its origin.
        origin = "https://sts.windows.net" if self.microsoft else self.origin
        return f"{origin}/{tid}/"

    def issuer_hosts(self) -> frozenset[str]:
        host = urlparse(self.origin).netloc
        return MICROSOFT_HOSTS if self.microsoft else frozenset({host})


@dataclass(frozen=True)
class EntraClaims:
    claims: dict[str, Any]
    version: str

    @property
    def tenant_id(self) -> str:
        return str(self.claims["tid"])

    @property
    def object_id(self) -> str:
        return str(self.claims.get("oid") or self.claims.get("sub"))

    @property
    def client_id(self) -> str | None:
        value = self.claims.get("azp") or self.claims.get("appid")
        return str(value) if value else None

    @property
    def app_only(self) -> bool:
        """A client-credentials token: no delegated scopes and no user behind it."""
        if "scp" in self.claims:
            return False
        if self.claims.get("idtyp") == "app":
            return True
        user_claims = ("preferred_username", "upn", "unique_name", "email", "name", "nonce")
        return self.client_id is not None and not any(claim in self.claims for claim in user_claims)


class JwksCache:
    """The IdP's signing keys by ``kid``, fetched lazily and refetched on an unknown ``kid``."""

    def __init__(
        self,
        urls: Callable[[], list[str]],
        *,
        http: httpx.Client,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._urls = urls
        self._http = http
        self._cooldown = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[Any, str | None]] = {}
        self._fetched_at = float("-inf")
        self._failing = False
        self.fetches = 0
        # Told of every fetch: whether the keys could be read (a metric).
        self.on_fetch: list[Callable[[bool], None]] = []

    def key(self, kid: str) -> tuple[Any, str | None] | None:
        found = self._keys.get(kid)
        if found is not None:
            return found
        with self._lock:
            found = self._keys.get(kid)
            if found is None and self._clock() - self._fetched_at >= self._cooldown:
                self._refresh()
                found = self._keys.get(kid)
        return found

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        self.fetches += 1
        keys: dict[str, tuple[Any, str | None]] = {}
        try:
            for url in self._urls():
                response = self._http.get(url)
                response.raise_for_status()
                for jwk in response.json().get("keys", []):
                    if jwk.get("kty") != "RSA" or not jwk.get("kid"):
                        continue
                    keys[str(jwk["kid"])] = (RSAAlgorithm.from_jwk(jwk), jwk.get("issuer"))
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            if not self._failing:
                log.warning(
                    "cannot refresh the identity provider's keys (%s); keeping the %d cached",
                    exc,
                    len(self._keys),
                )
            self._failing = True
            self._fetched(ok=False)
            return
        self._fetched(ok=True)
        if self._failing:
            log.warning("the identity provider's keys are reachable again")
        self._failing = False
        # Keep keys that left the JWKS only if nothing replaced the document: a rotation that
        # drops a key takes effect, an outage does not.
        self._keys = keys

    def _fetched(self, *, ok: bool) -> None:
        for listener in self.on_fetch:
            listener(ok)


@dataclass
class EntraValidator:
    settings: AuthenticationSettings
    http: httpx.Client
    # Elapsed time for the key cache's cool-down.
    monotonic: Callable[[], float] = time.monotonic
    authority: Authority = field(init=False)
    jwks: JwksCache = field(init=False)
    _allowed_tenants: set[str] = field(init=False, default_factory=set)
    _jwks_uri: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.authority = Authority.parse(self.settings.authority)
        if not self.settings.clientId:
            raise ConfigError(
                "authenticationConfiguration.clientId is empty; set it to the Application (client) ID of "
                "the app registration for tessera's UI (the Azure SSO guide, step 3)"
            )
        tenants = {t.lower() for t in self.settings.allowedTenants}
        if self.authority.tenant.lower() in MULTI_TENANT and not tenants:
            raise ConfigError(
                f"authenticationConfiguration.authority uses the multi-tenant '{self.authority.tenant}' "
                "endpoint and no tenant is allowed: any Entra tenant in the world could sign in. Set "
                "allowedTenants (TESSERA_ALLOWED_TENANTS) to your tenant id(s), or use "
                "https://login.microsoftonline.com/<tenant id>"
            )
        self._allowed_tenants = tenants
        self.jwks = JwksCache(
            self._key_urls,
            http=self.http,
            cooldown_s=self.settings.jwksRefreshCooldownSeconds,
            clock=self.monotonic,
        )

    # -- configuration derived from the authority --------------------------------------------

    @property
    def audiences(self) -> frozenset[str]:
        if self.settings.acceptedAudiences:
            return frozenset(self.settings.acceptedAudiences)
        client = self.settings.clientId
        return frozenset({client, f"api://{client}"})

    def allowed_tenants(self) -> set[str]:
        if not self._allowed_tenants:
            self._allowed_tenants = {self._tenant_id_of_authority()}
        return self._allowed_tenants

    def home_tenant(self) -> str:
        """The catalog's own tenant: the authority's, or with a multi-tenant authority the first
        of allowedTenants. Listed administrators sign in from it only."""
        if self.authority.tenant.lower() in MULTI_TENANT:
            return self.settings.allowedTenants[0].lower()
        return self._tenant_id_of_authority()

    def _tenant_id_of_authority(self) -> str:
        tenant = self.authority.tenant
        if _GUID.match(tenant):
            return tenant.lower()
        # A domain: its tenant id is in the issuer of its discovery document.
        document = self._discovery()
        match = re.search(r"/([0-9a-fA-F-]{36})/", str(document.get("issuer", "")) + "/")
        if match is None:
            raise ConfigError(f"cannot find the tenant id of {tenant!r} in its discovery document")
        return match.group(1).lower()

    def _discovery(self) -> dict[str, Any]:
        url = f"{self.authority.origin}/{self.authority.tenant}/v2.0/.well-known/openid-configuration"
        try:
            response = self.http.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise invalid_token(
                f"The identity provider's discovery document ({url}) is unreachable: {exc}"
            ) from None
        return document

    def _key_urls(self) -> list[str]:
        configured = [url for url in self.settings.publicKeyUrls if "/api/v1/system/config/jwks" not in url]
        if configured:
            return configured
        if self._jwks_uri is None:
            self._jwks_uri = str(self._discovery()["jwks_uri"])
        return [self._jwks_uri]

    # -- validation ---------------------------------------------------------------------------

    def handles(self, unverified_issuer: str) -> bool:
        host = urlparse(unverified_issuer).netloc
        return host in self.authority.issuer_hosts()

    def validate(self, token: str, trace: Trace | None = None) -> EntraClaims:
        """The token's verified claims, or a 401 naming the first check it failed (recorded in
        ``trace`` with the checks it passed, for the doctor)."""
        with checking(trace, "size"):
            if len(token) > MAX_TOKEN_BYTES:
                raise invalid_token(f"Token too large ({len(token)} bytes; the limit is 16 KiB)")
        with checking(trace, "format", "a JWT (header, claims, signature)"):
            try:
                header = jwt.get_unverified_header(token)
                unverified = jwt.decode(token, options={"verify_signature": False})
            except jwt.InvalidTokenError as exc:
                raise invalid_token(f"Malformed token: {exc}") from None
        audience = unverified.get("aud")
        with checking(trace, "Microsoft Graph audience", "not a Microsoft Graph token"):
            # `aud` may be a list or anything else a forger writes: only a string can name Graph.
            if (isinstance(audience, str) and audience in GRAPH_AUDIENCES) or "nonce" in header:
                raise invalid_token(
                    f"This is a Microsoft Graph token (aud {audience!r}): only Graph can verify it. Request "
                    f"a token for this API instead: scope api://{self.settings.clientId}/.default (or its "
                    "user scope) rather than User.Read"
                )
        with checking(trace, "header", "RS256, a key id, no key material of its own"):
            kid = pinned_key_id(header, refusal="keys come from the identity provider's JWKS only")
        with checking(trace, "signing key", f"{kid[:64]!r} is one of the identity provider's keys"):
            found = self.jwks.key(kid)
            if found is None:
                raise invalid_token(
                    f"Unknown signing key {kid[:64]!r}: not in the identity provider's published keys"
                )
        key, key_issuer = found
        leeway = self.settings.clockLeewaySeconds
        with checking(trace, "signature and times", f"signature verifies; exp, nbf and iat within {leeway}s"):
            claims = decode_verified(token, key, leeway_s=leeway, require=("exp", "iat", "iss", "aud", "tid"))
        return self._check_claims(claims, key_issuer, trace)

    def _check_claims(
        self, claims: Mapping[str, Any], key_issuer: str | None, trace: Trace | None = None
    ) -> EntraClaims:
        tid = str(claims["tid"]).lower()
        issuer = str(claims["iss"])
        with checking(trace, "issuer", issuer):
            if issuer == self.authority.v2_issuer(tid):
                version = "2.0"
            elif issuer == self.authority.v1_issuer(tid):
                version = "1.0"
            else:
                raise invalid_token(
                    f"Token issuer {issuer!r} is not the Entra ID issuer of its tenant; expected "
                    f"{self.authority.v2_issuer(tid)!r} or {self.authority.v1_issuer(tid)!r}"
                )
        with checking(trace, "version", f"v{version}"):
            if str(claims.get("ver", version)) != version:
                raise invalid_token(
                    f"Token version {claims.get('ver')!r} does not match its issuer {issuer!r}"
                )
        with checking(trace, "tenant", tid):
            if tid not in self.allowed_tenants():
                allowed = ", ".join(sorted(self.allowed_tenants()))
                raise invalid_token(
                    f"Token is from tenant {tid}, which is not allowed here; allowed: {allowed}"
                )
        with checking(trace, "key's tenant", "the signing key is published for this tenant"):
            # Entra publishes each key with the issuer it signs for (Microsoft's own validators
            # check it too): a key of one tenant must not vouch for another tenant's token.
            if (
                key_issuer
                and "{tenantid}" not in key_issuer
                and key_issuer.rstrip("/") != self.authority.v2_issuer(tid)
            ):
                raise invalid_token("Token was signed by a key published for another tenant")
        with checking(trace, "accepted versions", ", ".join(self.settings.acceptedTokenVersions)):
            if version not in self.settings.acceptedTokenVersions:
                raise invalid_token(
                    f"v{version} tokens are not accepted here (acceptedTokenVersions: "
                    f"{', '.join(self.settings.acceptedTokenVersions)})"
                )
        return EntraClaims(dict(claims), version)

    def check_audience(
        self, parsed: EntraClaims, extra: frozenset[str] = frozenset(), trace: Trace | None = None
    ) -> None:
        audience = parsed.claims.get("aud")
        if isinstance(audience, str):
            audiences: list[Any] = [audience]
        else:
            audiences = audience if isinstance(audience, list) else []
        accepted = self.audiences | extra
        with checking(trace, "audience", str(audience)):
            if len(audiences) != 1 or not isinstance(audiences[0], str) or audiences[0] not in accepted:
                raise invalid_token(
                    f"Token audience {audience!r} is not this API; request a token for "
                    f"{' or '.join(sorted(self.audiences))}"
                )


def http_client(settings: AuthenticationSettings) -> httpx.Client:
    verify: ssl.SSLContext | bool = True
    if settings.idpCaBundle:
        verify = ssl.create_default_context(cafile=settings.idpCaBundle)
    return httpx.Client(verify=verify, timeout=httpx.Timeout(10.0), follow_redirects=False)
