"""The managed identity endpoints: Azure VMs' instance metadata service
(``GET /metadata/identity/oauth2/token``, ``Metadata: true``; clients reach it through
``AZURE_POD_IDENTITY_AUTHORITY_HOST``) and App Service's (``GET /msi/token``, the
``X-IDENTITY-HEADER`` secret; clients are given ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER``).

Neither answers CORS: the required header is what keeps a web page from asking for tokens, as
it is for the real IMDS.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tessera.entra.directory import DirectoryError
from tessera.entra.errors import EntraError, ManagedIdentityError
from tessera.entra.managed_identities import LIFETIME, choose, issue
from tessera.entra.render import NO_STORE, json_response
from tessera.entra.state import EmulatorState, emulator
from tessera.entra.tokens import sign

IMDS_PATH = "/metadata/identity/oauth2/token"
APP_SERVICE_PATH = "/msi/token"


def _token(st: EmulatorState, request: Request, *, app_service: bool) -> dict[str, Any]:
    params = request.query_params
    resource = params.get("resource")
    if not resource:
        raise ManagedIdentityError(
            400, "invalid_request", "Required audience parameter not specified", app_service
        )
    now = int(st.now())
    try:
        with st.store.transaction() as s:
            identity = choose(
                s,
                client_id=params.get("client_id"),
                object_id=params.get("object_id") or params.get("principal_id"),
                resource_id=params.get("mi_res_id" if app_service else "msi_res_id"),
            )
            issued = issue(s, identity, resource, origin=st.origin(request), now=now)
            key = st.keys.active(s)
            client_id = identity.app_id
    except DirectoryError as exc:
        raise ManagedIdentityError(
            400, "invalid_request", f"Identity not found. {exc.message}", app_service
        ) from None
    except EntraError as exc:
        raise ManagedIdentityError(
            400, "invalid_resource", f"AADSTS{exc.code}: {exc.message}", app_service
        ) from None
    resource_info = issued["resource"]
    token = sign(
        issued["claims"], key, x5t_header=resource_info.token_version == 1, graph_nonce=resource_info.is_graph
    )
    return {"token": token, "now": now, "resource": resource, "client_id": client_id}


async def imds(request: Request) -> Response:
    st = emulator(request)
    if request.headers.get("metadata", "").lower() != "true":
        raise ManagedIdentityError(400, "invalid_request", "Required metadata header not specified")
    out = _token(st, request, app_service=False)
    lifetime = LIFETIME
    return json_response(
        {
            "access_token": out["token"],
            "client_id": out["client_id"],
            "expires_in": str(lifetime),
            "expires_on": str(out["now"] + lifetime),
            "ext_expires_in": str(lifetime),
            "not_before": str(out["now"] - 300),
            "resource": out["resource"],
            "token_type": "Bearer",
        },
        headers=NO_STORE,
    )


async def app_service(request: Request) -> Response:
    st = emulator(request)
    presented = request.headers.get("x-identity-header", "")
    if st.identity_header is None or not hmac.compare_digest(presented.encode(), st.identity_header.encode()):
        raise ManagedIdentityError(
            401,
            "unauthorized",
            "X-IDENTITY-HEADER is missing or wrong: use IDENTITY_HEADER.",
            app_service=True,
        )
    out = _token(st, request, app_service=True)
    return json_response(
        {
            "access_token": out["token"],
            "expires_on": str(out["now"] + LIFETIME),
            "resource": out["resource"],
            "token_type": "Bearer",
            "client_id": out["client_id"],
        },
        headers=NO_STORE,
    )
