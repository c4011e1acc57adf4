"""/api/v1/system: version, health and the configuration a browser needs to sign in."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera import __version__
from tessera.api.deps import ContainerDep, public_route
from tessera.api.route_helpers import json_response
from tessera.container import Container
from tessera.errors import ServiceUnavailable

router = APIRouter(prefix="/api/v1/system", tags=["system"])


@router.get("/version", dependencies=[public_route()])
async def version(container: ContainerDep) -> Response:
    # OpenMetadata's client requires the same major.minor as its own version; tessera's own
    # version rides in `revision`, a field the client ignores.
    return json_response(
        {
            "version": container.settings.server.openMetadataApiVersion,
            "revision": f"tessera-{__version__}",
            "timestamp": container.started_at_ms,
        }
    )


@router.get("/health", dependencies=[public_route()])
async def health(container: ContainerDep) -> Response:
    try:
        await run_in_threadpool(_ping, container)
    except sa.exc.SQLAlchemyError as exc:
        raise ServiceUnavailable(f"The database is unreachable: {exc.__class__.__name__}") from None
    return json_response({"healthy": True, "database": container.engine.dialect.name})


def _ping(container: Container) -> None:
    with container.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


@router.get("/config/auth", dependencies=[public_route()])
async def auth_config(container: ContainerDep) -> Response:
    return json_response(browser_auth_config(container))


@router.get("/config/jwks", dependencies=[public_route()])
async def jwks(container: ContainerDep) -> Response:
    """tessera's public signing keys (bots, signed-in users, personal access tokens)."""
    return json_response(container.keys.jwks())


@router.get("/config/authorizer", dependencies=[public_route()])
async def authorizer_config(request: Request, container: ContainerDep) -> Response:
    authz = container.settings.authorizerConfiguration
    body: dict[str, Any] = {
        "className": authz.className,
        "containerRequestFilter": authz.containerRequestFilter,
        "principalDomain": authz.principalDomain,
        "enforcePrincipalDomain": authz.enforcePrincipalDomain,
        "enableSecureSocketConnection": authz.enableSecureSocketConnection,
        "useRolesFromProvider": authz.useRolesFromProvider,
    }
    principal = getattr(request.state, "principal", None)
    # OpenMetadata hands the admin names to anyone; only an administrator sees them here.
    if principal is not None and principal.is_admin and principal.via != "no-auth":
        body["adminPrincipals"] = list(authz.adminPrincipals)
        body["allowedDomains"] = list(authz.allowedDomains)
        body["allowedEmailRegistrationDomains"] = list(authz.allowedEmailRegistrationDomains)
    return json_response(body)


def browser_auth_config(container: Container) -> dict[str, Any]:
    """What a browser needs to sign in, and nothing secret."""
    auth = container.settings.authenticationConfiguration
    body: dict[str, Any] = {
        "provider": auth.provider,
        "providerName": auth.providerName,
        "clientType": auth.clientType,
        "responseType": auth.responseType,
        "authority": auth.authority,
        "clientId": auth.clientId,
        "callbackUrl": auth.callbackUrl,
        "enableSelfSignup": auth.enableSelfSignup,
    }
    if auth.provider == "azure":
        # The scopes a browser signs in with: tessera's own API scope when one is configured.
        body["scopes"] = list(auth.scopes) or ["openid", "profile", "email", "offline_access"]
        body["jwtPrincipalClaims"] = list(auth.jwtPrincipalClaims)
    return body
