"""The emulator for tests and for other parts of tessera.

``running_emulator()`` starts a real HTTPS server (uvicorn, the local CA) on a free port in a
background thread, with its state in memory, and hands back a :class:`RunningEmulator` with
the base URL, the CA file and the directory API. ``in_process_emulator()`` does without the
server: an :class:`InProcessEmulator` hands out httpx transports that call the ASGI application
in this process (no socket). ``build_demo_tenant()`` creates the tenant the Azure SSO guide
(``docs/azure-sso.md``) builds by hand::

    with running_emulator() as idp:
        demo = idp.build_demo_tenant()
        app = msal.ConfidentialClientApplication(
            demo.ingestion_client_id, client_credential=demo.ingestion_secret,
            authority=demo.authority, instance_discovery=False, verify=idp.ca_file)
        app.acquire_token_for_client([demo.ingestion_scope])
"""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from tessera.entra.app import build_state, create_emulator_app
from tessera.entra.clock import Clock, ManualClock
from tessera.entra.pki import spki_sha256
from tessera.entra.server import BackgroundServer, start_in_thread, tls_for
from tessera.entra.service import DirectoryService
from tessera.entra.settings import EmulatorSettings, refuse_unsafe_bind
from tessera.entra.state import EmulatorState
from tessera.entra.tenant_file import apply_tenant_file, read_tenant_file
from tessera.entra.transport import EmulatorTransport

SPA_REDIRECT_URI = "http://localhost:8585/callback"


@dataclass(frozen=True)
class DemoUser:
    id: str
    user_principal_name: str
    display_name: str
    password: str


@dataclass(frozen=True)
class DemoTenant:
    """Everything step 9 of the Azure SSO guide asks to note down, for both applications."""

    tenant_id: str
    domain: str
    authority: str
    """``{base_url}/{tenant_id}``: the MSAL authority."""
    ui_client_id: str
    """The SPA ("tessera UI"); also the API whose ID URI is ``api_app_id_uri``."""
    ui_redirect_uri: str
    api_app_id_uri: str
    """``api://{ui_client_id}``."""
    api_scope: str
    """The delegated scope the UI requests: ``api://{ui_client_id}/access_as_user``."""
    ingestion_client_id: str
    ingestion_object_id: str
    """The ingestion app's enterprise application (service principal) object id: the ``oid``
    of its tokens; OpenMetadata's bot e-mail is ``{ingestion_object_id}@{domain}``."""
    ingestion_secret: str
    ingestion_app_id_uri: str
    ingestion_scope: str
    """``api://{ingestion_client_id}/.default``: what the guide's step 9 calls "scopes"."""
    api_default_scope: str
    """``api://{ui_client_id}/.default``: a client-credentials token for the tessera API."""
    users: tuple[DemoUser, ...]

    @property
    def admin(self) -> DemoUser:
        return self.users[0]


def build_demo_tenant(
    service: DirectoryService,
    base_url: str,
    *,
    domain: str = "tessera-demo.onmicrosoft.com",
    spa_redirect_uris: tuple[str, ...] = (SPA_REDIRECT_URI,),
    passwords: Mapping[str, str] | None = None,
) -> DemoTenant:
    """Build the guide's tenant: the UI app (SPA redirect, ID/access token checkboxes, exposed
    API with a scope), the ingestion app (permission on that scope, admin consent, App ID URI,
    a 180-day secret), and two users. Passwords are generated unless given (no defaults ship)."""
    tenant = service.create_tenant(domain, "tessera demo")
    tid = tenant["id"]
    ui = service.create_app(tid, "tessera UI", spa_redirect_uris=list(spa_redirect_uris))
    service.update_app(tid, ui["appId"], id_tokens=True, access_tokens=True)
    api_uri = service.expose_api(tid, ui["appId"])
    service.add_scope(tid, ui["appId"], "access_as_user", admin_display_name="Access tessera")
    # Users sign in to the UI and consent once for all (an administrator's consent for the
    # UI's own API scope), so the demo's first sign-in does not stop at a consent page.
    service.add_permission(tid, ui["appId"], ui["appId"], scopes=["access_as_user"])
    service.grant_admin_consent(tid, ui["appId"])
    ingestion = service.create_app(tid, "tessera ingestion")
    service.add_permission(tid, ingestion["appId"], ui["appId"], scopes=["access_as_user"])
    service.grant_admin_consent(tid, ingestion["appId"])
    ingestion_uri = service.expose_api(tid, ingestion["appId"])
    secret = service.add_secret(tid, ingestion["appId"], display_name="ingestion", expires="180d")
    shown = service.show_app(tid, ingestion["appId"], origin=base_url)
    users = []
    for login, name in (("admin", "Ada Admin"), ("alice", "Alice Analyst")):
        chosen = (passwords or {}).get(login)
        created = service.create_user(
            tid,
            f"{login}@{domain}",
            chosen,
            display_name=name,
            mail=f"{login}@{domain}",
            administrator=login == "admin",
        )
        users.append(
            DemoUser(created["id"], created["userPrincipalName"], name, chosen or created["password"])
        )
    return DemoTenant(
        tenant_id=tid,
        domain=domain,
        authority=f"{base_url}/{tid}",
        ui_client_id=ui["appId"],
        ui_redirect_uri=spa_redirect_uris[0],
        api_app_id_uri=api_uri,
        api_scope=f"{api_uri}/access_as_user",
        ingestion_client_id=ingestion["appId"],
        ingestion_object_id=shown["enterpriseAppObjectId"],
        ingestion_secret=secret["secretText"],
        ingestion_app_id_uri=ingestion_uri,
        ingestion_scope=f"{ingestion_uri}/.default",
        api_default_scope=f"{api_uri}/.default",
        users=tuple(users),
    )


class Emulator:
    """An emulator to test against: its base URL and the directory API. ``service`` is the full
    :class:`DirectoryService`; the common calls are also methods here."""

    def __init__(self, *, state: EmulatorState, base_url: str) -> None:
        self.state = state
        self.base_url = base_url
        self.service = DirectoryService(state.store, state.settings.clock)

    @property
    def clock(self) -> Clock:
        return self.state.settings.clock

    @property
    def admin_token(self) -> str:
        """The admin API's bearer token (``Authorization: Bearer ...``)."""
        if self.state.admin_token is None:
            raise LookupError("this emulator serves no admin API")
        return self.state.admin_token

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def managed_identity_env(self, *, app_service: bool = True) -> dict[str, str]:
        """The environment a managed identity client reads: App Service's ``IDENTITY_ENDPOINT``
        and ``IDENTITY_HEADER``, or, with ``app_service=False``, the IMDS host
        (``AZURE_POD_IDENTITY_AUTHORITY_HOST``)."""
        if not app_service:
            return {"AZURE_POD_IDENTITY_AUTHORITY_HOST": self.base_url}
        assert self.state.identity_header is not None
        return {
            "IDENTITY_ENDPOINT": f"{self.base_url}/msi/token",
            "IDENTITY_HEADER": self.state.identity_header,
        }

    def authority(self, tenant: str = "common") -> str:
        return f"{self.base_url}/{tenant}"

    def build_demo_tenant(self, **kwargs: Any) -> DemoTenant:
        return build_demo_tenant(self.service, self.base_url, **kwargs)

    def apply(self, tenant_file: Mapping[str, Any] | Path | str) -> list[str]:
        doc = (
            read_tenant_file(Path(tenant_file)) if isinstance(tenant_file, Path | str) else dict(tenant_file)
        )
        return apply_tenant_file(self.service, doc)

    def rotate_keys(self, *, force: bool = False) -> str:
        """Sign with the next, already published key; ``force=True``: with a key nobody has seen
        (the unannounced rollover a validator must survive by refetching the JWKS)."""
        return self.service.rotate_keys(force=force)

    def create_tenant(
        self, domain: str, display_name: str | None = None, tenant_id: str | None = None
    ) -> dict[str, Any]:
        return self.service.create_tenant(domain, display_name, tenant_id)

    def create_user(
        self, tenant: str, upn: str, password: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        return self.service.create_user(tenant, upn, password, **kwargs)

    def create_app(self, tenant: str, name: str, **kwargs: Any) -> dict[str, Any]:
        return self.service.create_app(tenant, name, **kwargs)

    def add_secret(self, tenant: str, app: str, **kwargs: Any) -> dict[str, Any]:
        return self.service.add_secret(tenant, app, **kwargs)


class RunningEmulator(Emulator):
    """An emulator serving HTTPS (or http) on a port, in a background thread."""

    def __init__(
        self, *, state: EmulatorState, base_url: str, ca_file: Path | None, server: BackgroundServer
    ) -> None:
        super().__init__(state=state, base_url=base_url)
        self.ca_file = ca_file
        self.server = server

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def verify(self) -> str | bool:
        """For ``verify=`` of MSAL, requests and httpx."""
        return str(self.ca_file) if self.ca_file else True

    @property
    def spki_hash(self) -> str | None:
        """The server key's SPKI hash for Chromium's ``--ignore-certificate-errors-spki-list``."""
        if self.ca_file is None:
            return None
        return spki_sha256((self.ca_file.parent / "server.pem").read_bytes())

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts the emulator's CA: for httpx (``verify=``) and ``jwt.PyJWKClient``."""
        if self.ca_file is None:
            return ssl.create_default_context()
        return ssl.create_default_context(cafile=str(self.ca_file))

    def http_client(self) -> Any:
        """A ``requests.Session`` that trusts the emulator's CA, for MSAL's ``http_client=``.

        MSAL's own ``verify=`` is not enough where ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``
        is set: requests lets those environment variables win over a session's ``verify``. This
        session ignores the environment (proxies included: the emulator is local).

        MSAL Python's username/password flow first asks ``https://{host}/common/userrealm/...``
        with the authority's port dropped (it assumes 443); this session sends requests for the
        emulator's host without a port to the emulator's port.
        """
        import requests
        from requests.adapters import HTTPAdapter

        host, port = urlsplit(self.base_url).hostname, self.port

        class _PortRestoring(HTTPAdapter):
            def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
                parts = urlsplit(str(request.url))
                if parts.hostname == host and parts.port is None:
                    request.url = urlunsplit(parts._replace(netloc=f"{host}:{port}"))
                return super().send(request, *args, **kwargs)

        session = requests.Session()
        session.trust_env = False
        session.verify = self.verify
        session.mount(f"{urlsplit(self.base_url).scheme}://", _PortRestoring())
        return session


class InProcessEmulator(Emulator):
    """An emulator with no server: clients reach its ASGI application through httpx transports
    in this process. ``base_url`` is only a name (no DNS, no TLS); issuers and endpoints use it."""

    def __init__(self, *, state: EmulatorState, base_url: str, app: Any) -> None:
        super().__init__(state=state, base_url=base_url)
        self.app = app
        self._transports: list[EmulatorTransport] = []

    def transport(self) -> EmulatorTransport:
        """A synchronous transport: ``httpx.Client(transport=idp.transport())``."""
        transport = EmulatorTransport(self.app)
        self._transports.append(transport)
        return transport

    def async_transport(self) -> httpx.ASGITransport:
        """For ``httpx.AsyncClient(transport=idp.async_transport())``."""
        return httpx.ASGITransport(app=self.app)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the emulator (``base_url`` set, redirects not followed, as a
        test of the sign-in pages wants them)."""
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("follow_redirects", False)
        return httpx.Client(transport=self.transport(), **kwargs)

    def http_client(self) -> httpx.Client:
        """For MSAL's ``http_client=``: MSAL Python needs only ``get``/``post`` returning objects
        with ``status_code``, ``text`` and ``headers``, which an ``httpx.Client`` has."""
        return self.client()

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()


@contextmanager
def running_emulator(
    tenant_config: Mapping[str, Any] | Path | str | None = None,
    *,
    https: bool = True,
    port: int = 0,
    host: str = "127.0.0.1",
    home: Path | None = None,
    clock: Clock | None = None,
    persistent: bool = False,
) -> Iterator[RunningEmulator]:
    """Start the emulator on ``host:port`` (0 = a free port) in a background thread.

    State is in memory unless ``persistent``; files (CA, server certificate, and the database
    when persistent) go to ``home``, a temporary directory by default. ``clock`` defaults to a
    :class:`ManualClock` starting now, so tests can move time forward.
    """
    with tempfile.TemporaryDirectory(prefix="tessera-entra-") as tmp:
        settings = EmulatorSettings(
            home=home or Path(tmp),
            ephemeral=not persistent,
            https=https,
            host=host,
            port=port,
            clock=clock or ManualClock(),
        )
        refuse_unsafe_bind(settings)
        tls = tls_for(settings)
        state = build_state(settings)
        app = create_emulator_app(settings, state=state)
        server = start_in_thread(app, settings, tls)
        try:
            emulator = RunningEmulator(
                state=state,
                base_url=f"{settings.scheme}://{host}:{server.port}",
                ca_file=tls.ca_cert if tls else None,
                server=server,
            )
            if tenant_config is not None:
                emulator.apply(tenant_config)
            yield emulator
        finally:
            server.stop()
            state.store.close()


IN_PROCESS_URL = "https://login.entra.test"


@contextmanager
def in_process_emulator(
    tenant_config: Mapping[str, Any] | Path | str | None = None,
    *,
    base_url: str = IN_PROCESS_URL,
    clock: Clock | None = None,
) -> Iterator[InProcessEmulator]:
    """An emulator in this process with no socket: state in memory, a :class:`ManualClock` by
    default, issuers and endpoints on ``base_url`` (``https://login.entra.test``; a name only,
    nothing resolves or listens there). Talk to it through ``idp.client()``,
    ``idp.transport()`` or ``idp.async_transport()``; MSAL through ``http_client=idp.http_client()``.
    """
    with tempfile.TemporaryDirectory(prefix="tessera-entra-") as tmp:
        settings = EmulatorSettings(
            home=Path(tmp),
            ephemeral=True,
            https=base_url.startswith("https:"),
            public_url=base_url.rstrip("/"),
            clock=clock or ManualClock(),
        )
        state = build_state(settings)
        emulator = InProcessEmulator(
            state=state, base_url=base_url.rstrip("/"), app=create_emulator_app(settings, state=state)
        )
        try:
            if tenant_config is not None:
                emulator.apply(tenant_config)
            yield emulator
        finally:
            emulator.close()
            state.store.close()
