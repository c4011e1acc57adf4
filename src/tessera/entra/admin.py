"""The admin REST API: the directory over HTTP, in Microsoft Graph's JSON shapes.

Every request carries the admin token, ``Authorization: Bearer <token>``: a random value written
once, readable by its owner only (0600), to ``admin-token`` in the emulator's home, and printed
by ``tessera entra admin-token``. Without it any web page the emulator's user visits could drive
the API (a cross-origin ``text/plain`` POST needs no CORS preflight) and, say, mint a client
secret. The API answers no CORS (``app.py`` limits CORS to the protocol endpoints) and takes
JSON bodies only. Turn it off with ``EmulatorSettings(admin_api=False)``. Errors use Graph's
``{"error": {"code", "message"}}``.

==========================================================  ===============================
``GET|POST /admin/tenants``                                  list / create (``domain``, ...)
``GET|PATCH /admin/tenants/{t}``                             show / ``settings``, ``displayName``
``GET|POST /admin/tenants/{t}/users``                        list / create
``GET|POST /admin/tenants/{t}/groups``                       list / create (``members``)
``POST /admin/tenants/{t}/groups/{g}/members``                add a member (``member``)
``GET|POST /admin/tenants/{t}/applications``                 list / create
``GET|PATCH /admin/tenants/{t}/applications/{app}``          ``app show`` / update
``POST .../applications/{app}/exposeApi``                    set the App ID URI
``POST .../applications/{app}/scopes`` / ``appRoles``        add a scope / app role
``POST .../applications/{app}/permissions``                  add a required permission
``POST .../applications/{app}/grantAdminConsent``            grant admin consent
``POST .../applications/{app}/addPassword``                  new secret (``secretText`` once)
``POST .../applications/{app}/addCertificate``               PEM certificate in ``certificate``
``POST .../applications/{app}/assignUser|assignGroup``         app role (``role``) to a user / group
``POST .../applications/{app}/assignApplication``             app role to another app's SP
``POST /admin/config``                                       apply a tenant file (JSON body)
``GET|POST|DELETE /admin/faults``, ``DELETE .../{id}``        faults on demand (``faults.py``)
``GET|PUT /admin/clock``                                     the clock offset (``offsetSeconds``)
``GET /admin/keys``, ``POST /admin/keys/rotate``             signing keys (``{"force": true}``: unannounced)
==========================================================  ===============================
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.entra.directory import DirectoryError
from tessera.entra.local_secrets import local_secret
from tessera.entra.render import json_response
from tessera.entra.service import DirectoryService
from tessera.entra.state import emulator
from tessera.entra.tenant_file import apply_tenant_file

ADMIN_TOKEN_FILE = "admin-token"


def ensure_admin_token(home: Path) -> str:
    """The admin token in ``home/admin-token``, created (0600) on first use."""
    return local_secret(home, ADMIN_TOKEN_FILE)


Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(endpoint: Endpoint) -> Endpoint:
    async def guarded(request: Request) -> Response:
        expected = emulator(request).admin_token
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if (
            expected is None
            or scheme.lower() != "bearer"
            or not hmac.compare_digest(presented.strip().encode(), expected.encode())
        ):
            raise DirectoryError(
                "the admin API needs 'Authorization: Bearer <admin token>'; the token is in the "
                "emulator's home (`tessera entra admin-token` prints it).",
                status=401,
                code="InvalidAuthenticationToken",
            )
        return await endpoint(request)

    return guarded


def _service(request: Request) -> DirectoryService:
    st = emulator(request)
    return DirectoryService(st.store, st.settings.clock)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise DirectoryError(
            f"the admin API takes JSON bodies (Content-Type: application/json), not '{content_type}'.",
            status=415,
            code="Request_UnsupportedMediaType",
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise DirectoryError("the body is not JSON.") from None
    if not isinstance(body, dict):
        raise DirectoryError("the body must be a JSON object.")
    return body


async def tenants(request: Request) -> Response:
    svc = _service(request)
    if request.method == "GET":
        return json_response({"value": svc.tenants()})
    body = await _body(request)
    if "domain" not in body:
        raise DirectoryError("'domain' is required.")
    return json_response(svc.create_tenant(body["domain"], body.get("displayName"), body.get("id")), 201)


async def tenant(request: Request) -> Response:
    svc = _service(request)
    ref = request.path_params["tenant"]
    if request.method == "GET":
        return json_response(svc.tenant(ref))
    body = await _body(request)
    settings = body.get("settings") or {}
    return json_response(
        svc.update_tenant(
            ref, refresh_token_reuse=settings.get("refreshTokenReuse"), display_name=body.get("displayName")
        )
    )


async def users(request: Request) -> Response:
    svc = _service(request)
    tenant = request.path_params["tenant"]
    if request.method == "GET":
        return json_response({"value": svc.users(tenant)})
    body = await _body(request)
    if "userPrincipalName" not in body:
        raise DirectoryError("'userPrincipalName' is required.")
    password = (body.get("passwordProfile") or {}).get("password") or body.get("password")
    user = svc.create_user(
        tenant,
        body["userPrincipalName"],
        password,
        display_name=body.get("displayName"),
        mail=body.get("mail"),
        given_name=body.get("givenName"),
        surname=body.get("surname"),
        password_policies=body.get("passwordPolicies"),
        mfa_required=bool(body.get("mfaRequired", False)),
        administrator=bool(body.get("administrator", False)),
        federated_issuer=next(
            (i.get("issuer") for i in body.get("identities", []) if i.get("signInType") == "federated"), None
        ),
    )
    return json_response(user, 201)


async def groups(request: Request) -> Response:
    svc = _service(request)
    tenant = request.path_params["tenant"]
    if request.method == "GET":
        return json_response({"value": svc.groups(tenant)})
    body = await _body(request)
    if "displayName" not in body:
        raise DirectoryError("'displayName' is required.")
    members = [str(m) for m in body.get("members", [])]
    created = svc.create_group(
        tenant, body["displayName"], members, description=body.get("description"), group_id=body.get("id")
    )
    return json_response(created, 201)


async def group_members(request: Request) -> Response:
    svc = _service(request)
    tenant, group = request.path_params["tenant"], request.path_params["group"]
    body = await _body(request)
    if "member" not in body:
        raise DirectoryError("'member' (a user or a group) is required.")
    return json_response(svc.add_group_member(tenant, group, str(body["member"])))


async def applications(request: Request) -> Response:
    svc = _service(request)
    tenant = request.path_params["tenant"]
    if request.method == "GET":
        return json_response({"value": svc.apps(tenant)})
    body = await _body(request)
    if "displayName" not in body:
        raise DirectoryError("'displayName' is required.")
    created = svc.create_app(
        tenant,
        body["displayName"],
        spa_redirect_uris=(body.get("spa") or {}).get("redirectUris", []),
        web_redirect_uris=(body.get("web") or {}).get("redirectUris", []),
        public_client_redirect_uris=(body.get("publicClient") or {}).get("redirectUris", []),
        sign_in_audience=body.get("signInAudience", "AzureADMyOrg"),
    )
    return json_response(created, 201)


async def application(request: Request) -> Response:
    svc = _service(request)
    tenant, ref = request.path_params["tenant"], request.path_params["app"]
    if request.method == "PATCH":
        body = await _body(request)
        implicit = (body.get("web") or {}).get("implicitGrantSettings") or {}
        svc.update_app(
            tenant,
            ref,
            id_tokens=implicit.get("enableIdTokenIssuance"),
            access_tokens=implicit.get("enableAccessTokenIssuance"),
            token_version=(body.get("api") or {}).get("requestedAccessTokenVersion"),
            fallback_public_client=body.get("isFallbackPublicClient"),
            assignment_required=body.get("appRoleAssignmentRequired"),
            group_membership_claims=body.get("groupMembershipClaims"),
            sign_in_audience=body.get("signInAudience"),
            add_spa_redirect_uris=(body.get("spa") or {}).get("redirectUris", []),
            add_web_redirect_uris=(body.get("web") or {}).get("redirectUris", []),
            add_public_client_redirect_uris=(body.get("publicClient") or {}).get("redirectUris", []),
            optional_claims=body.get("optionalClaims"),
        )
    st = emulator(request)
    return json_response(svc.show_app(tenant, ref, origin=st.origin(request)))


async def app_action(request: Request) -> Response:
    svc = _service(request)
    tenant, ref, action = (request.path_params[k] for k in ("tenant", "app", "action"))
    body = await _body(request)
    result: Any
    if action == "exposeApi":
        result = {"identifierUri": svc.expose_api(tenant, ref, body.get("identifierUri"))}
    elif action == "scopes":
        result = svc.add_scope(
            tenant,
            ref,
            body["value"],
            consent_type=body.get("type", "User"),
            admin_display_name=body.get("adminConsentDisplayName"),
        )
    elif action == "appRoles":
        result = svc.add_app_role(
            tenant, ref, body["value"], allowed_member_types=body.get("allowedMemberTypes")
        )
    elif action == "permissions":
        result = svc.add_permission(
            tenant, ref, body["resource"], scopes=body.get("scopes", []), roles=body.get("roles", [])
        )
    elif action == "grantAdminConsent":
        result = svc.grant_admin_consent(tenant, ref)
    elif action == "addPassword":
        cred = body.get("passwordCredential") or body
        result = svc.add_secret(
            tenant,
            ref,
            display_name=cred.get("displayName"),
            expires=cred.get("endDateTime") or cred.get("expires") or "180d",
        )
    elif action == "addCertificate":
        result = svc.add_certificate(
            tenant, ref, str(body["certificate"]).encode(), display_name=body.get("displayName")
        )
    elif action == "assignUser":
        result = svc.assign_user(tenant, ref, body["user"], body.get("role"))
    elif action == "assignGroup":
        result = svc.assign_group(tenant, ref, body["group"], body.get("role"))
    elif action == "assignApplication":
        result = svc.assign_service_principal(tenant, ref, body["application"], body["role"])
    else:
        raise DirectoryError(f"unknown action '{action}'.", status=404, code="Request_ResourceNotFound")
    return json_response(result, 200)


async def faults(request: Request) -> Response:
    svc = _service(request)
    if request.method == "GET":
        return json_response({"value": svc.faults()})
    if request.method == "DELETE":
        return json_response({"removed": svc.clear_faults()})
    body = await _body(request)
    if "endpoint" not in body:
        raise DirectoryError("'endpoint' is required (token, keys, discovery, devicecode, graph or any).")
    created = svc.add_fault(
        str(body["endpoint"]),
        status=body.get("status"),
        error=body.get("error"),
        code=body.get("code"),
        description=body.get("description"),
        latency_ms=body.get("latencyMs"),
        probability=float(body.get("probability", 1.0)),
        count=body.get("count"),
    )
    return json_response(created, 201)


async def fault(request: Request) -> Response:
    try:
        fault_id = int(request.path_params["fault"])
    except ValueError:
        raise DirectoryError("a fault id is a number.") from None
    if not _service(request).clear_faults(fault_id):
        raise DirectoryError(
            f"fault '{fault_id}' does not exist.", status=404, code="Request_ResourceNotFound"
        )
    return Response(status_code=204)


async def clock(request: Request) -> Response:
    svc = _service(request)
    if request.method == "PUT":
        body = await _body(request)
        svc.set_clock_offset(float(body.get("offsetSeconds", 0)))
    return json_response({"offsetSeconds": svc.clock_offset()})


async def config(request: Request) -> Response:
    return json_response({"report": apply_tenant_file(_service(request), await _body(request))})


async def keys(request: Request) -> Response:
    return json_response({"value": _service(request).signing_keys()})


async def rotate(request: Request) -> Response:
    body = await _body(request)
    return json_response({"kid": _service(request).rotate_keys(force=bool(body.get("force", False)))})


def routes() -> list[BaseRoute]:
    table: list[tuple[str, Endpoint, list[str]]] = [
        ("/admin/tenants", tenants, ["GET", "POST"]),
        ("/admin/tenants/{tenant}", tenant, ["GET", "PATCH"]),
        ("/admin/tenants/{tenant}/users", users, ["GET", "POST"]),
        ("/admin/tenants/{tenant}/groups", groups, ["GET", "POST"]),
        ("/admin/tenants/{tenant}/groups/{group}/members", group_members, ["POST"]),
        ("/admin/tenants/{tenant}/applications", applications, ["GET", "POST"]),
        ("/admin/tenants/{tenant}/applications/{app}", application, ["GET", "PATCH"]),
        ("/admin/tenants/{tenant}/applications/{app}/{action}", app_action, ["POST"]),
        ("/admin/config", config, ["POST"]),
        ("/admin/keys", keys, ["GET"]),
        ("/admin/keys/rotate", rotate, ["POST"]),
        ("/admin/faults", faults, ["GET", "POST", "DELETE"]),
        ("/admin/faults/{fault}", fault, ["DELETE"]),
        ("/admin/clock", clock, ["GET", "PUT"]),
    ]
    return [Route(path, _guarded(endpoint), methods=methods) for path, endpoint, methods in table]
