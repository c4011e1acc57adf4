"""``create_emulator_app(settings)``: the emulator as an ASGI application.

Routes (``{tenant}`` = GUID, domain, ``common``, ``organizations``):

=========================================================  ===================================
``GET  /{tenant}/v2.0/.well-known/openid-configuration``    v2 discovery
``GET  /{tenant}/.well-known/openid-configuration``         v1 discovery
``GET  /{tenant}/discovery/v2.0/keys``, ``/discovery/keys``  JWKS
``GET|POST /{tenant}/oauth2/v2.0/authorize``                 authorize (sign-in page)
``POST /{tenant}/login``, ``/{tenant}/consent``              the sign-in and consent forms
``GET|POST /{tenant}[/v2.0]/adminconsent``                   admin consent for the tenant
``POST /{tenant}/oauth2/v2.0/token``                         token
``GET|POST /{tenant}/oauth2/v2.0/logout``                    sign-out
``POST /{tenant}/oauth2/v2.0/devicecode``                    device code (RFC 8628)
``GET|POST /devicelogin``                                    its verification page
``GET|POST /{tenant}/oauth2/authorize``                      v1 authorize (``resource``, code only)
``POST /{tenant}/oauth2/token``                              v1 token (``resource``; v1 answers)
``GET|POST /{tenant}/oauth2/logout``                         v1 sign-out
``GET  /{tenant}/oauth2/checksession``                       v1 ``check_session_iframe``
``POST /{tenant}/kerberos``                                  v2 ``kerberos_endpoint``: an AADSTS error
``GET  /``                                                   a page saying what this is
``GET  /common/discovery/instance``                          instance discovery
``GET  /common/userrealm/{username}``                        home realm discovery (ROPC)
``GET  /oidc/userinfo``                                      userinfo (Graph tokens)
``GET  /metadata/identity/oauth2/token``                     managed identity, IMDS form
``GET  /msi/token``                                          managed identity, App Service form
``/v1.0/...``                                                a Microsoft Graph subset (``graph/api.py``)
``/admin/...``                                               admin REST API (``admin.py``)
=========================================================  ===================================

Every URL the discovery documents name is served.

CORS: discovery, keys, token, userinfo and Graph answer any origin without credentials, which
is what MSAL.js needs (it calls them cross-origin, without cookies), and nothing else does, as
in Entra: not the sign-in pages, not the managed identity endpoints, and never the admin API
(:class:`ProtocolCORS`). Faults on demand (``faults.py``) apply before routing.
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.entra import admin
from tessera.entra.endpoints import (
    admin_consent,
    authorize,
    device,
    discovery,
    home,
    managed_identity,
    session,
    token,
)
from tessera.entra.faults import FaultInjection
from tessera.entra.graph import api as graph_api
from tessera.entra.keys import KeyRing
from tessera.entra.local_secrets import local_secret
from tessera.entra.pages import Pages
from tessera.entra.render import HANDLERS
from tessera.entra.settings import EmulatorSettings
from tessera.entra.state import EmulatorState
from tessera.entra.store import Store

IDENTITY_HEADER_FILE = "identity-header"
# The token endpoints answer other methods with Entra's AADSTS900561 rather than a bare 405.
ANY_METHOD = ["POST", "GET", "PUT", "DELETE", "PATCH"]


# The endpoints a browser app calls cross-origin: discovery (v2, v1, instance), keys, token,
# userinfo, and Graph, which SPAs call with bearer tokens.
CORS_PATHS = re.compile(
    r"^/(?:[^/]+/(?:v2\.0/)?\.well-known/openid-configuration"
    r"|[^/]+/discovery/(?:v2\.0/)?keys"
    r"|[^/]+/oauth2/(?:v2\.0/)?token"
    r"|common/discovery/instance"
    r"|oidc/userinfo"
    r"|v1\.0/.*)$"
)


class ProtocolCORS:
    """CORS on :data:`CORS_PATHS` only: any origin, no credentials."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
            max_age=86400,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and CORS_PATHS.match(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def build_state(settings: EmulatorSettings, store: Store | None = None) -> EmulatorState:
    store = store or Store(settings.database_url)
    keys = KeyRing(store, settings.clock)
    keys.ensure()
    token = admin.ensure_admin_token(settings.home) if settings.admin_api else None
    return EmulatorState(
        settings=settings,
        store=store,
        keys=keys,
        pages=Pages(),
        admin_token=token,
        identity_header=local_secret(settings.home, IDENTITY_HEADER_FILE),
    )


def routes(with_admin: bool) -> list[BaseRoute]:
    out: list[BaseRoute] = [
        # The token endpoint first: routes are tried in order and it is the busiest.
        Route("/{tenant}/oauth2/v2.0/token", token.token, methods=ANY_METHOD),
        Route("/common/discovery/instance", discovery.instance_discovery, methods=["GET"]),
        Route("/common/userrealm/{username}", discovery.user_realm, methods=["GET", "POST"]),
        Route("/error", discovery.error_info, methods=["GET"]),
        Route("/", home.home, methods=["GET"]),
        Route("/oidc/userinfo", session.userinfo, methods=["GET", "POST"]),
        Route(managed_identity.IMDS_PATH, managed_identity.imds, methods=["GET"]),
        Route(managed_identity.APP_SERVICE_PATH, managed_identity.app_service, methods=["GET"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", discovery.openid_configuration_v2),
        Route("/{tenant}/.well-known/openid-configuration", discovery.openid_configuration_v1),
        Route("/{tenant}/discovery/v2.0/keys", discovery.keys),
        Route("/{tenant}/discovery/keys", discovery.keys),
        Route("/{tenant}/oauth2/v2.0/authorize", authorize.authorize, methods=["GET", "POST"]),
        Route("/{tenant}/login", authorize.login, methods=["POST"]),
        Route("/{tenant}/consent", authorize.consent, methods=["POST"]),
        Route("/{tenant}/adminconsent", admin_consent.admin_consent, methods=["GET", "POST"]),
        Route("/{tenant}/v2.0/adminconsent", admin_consent.admin_consent, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/v2.0/logout", session.logout, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/v2.0/devicecode", device.devicecode, methods=ANY_METHOD),
        Route(device.VERIFICATION_PATH, device.devicelogin, methods=["GET", "POST"]),
        # v1 (the v1 discovery document names them).
        Route("/{tenant}/oauth2/token", token.token_v1, methods=ANY_METHOD),
        Route("/{tenant}/oauth2/authorize", authorize.authorize_v1, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/logout", session.logout, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/checksession", session.check_session, methods=["GET", "POST"]),
        Route("/{tenant}/kerberos", discovery.kerberos, methods=ANY_METHOD),
    ]
    out += graph_api.routes()
    if with_admin:
        # After the protocol routes, which are matched first on every request.
        out = out + admin.routes()
    return out


def create_emulator_app(settings: EmulatorSettings, *, state: EmulatorState | None = None) -> Starlette:
    """The ASGI application. Creates the store and the first signing key if needed."""
    state = state or build_state(settings)
    app = Starlette(
        routes=routes(settings.admin_api),
        # CORS outermost, so that a faulted answer reaches a browser app as the status it is.
        middleware=[
            Middleware(ProtocolCORS),
            Middleware(FaultInjection, store=state.store, origin_of=state.origin_of, now=state.now),
        ],
        exception_handlers=HANDLERS,
    )
    app.state.emulator = state
    return app
