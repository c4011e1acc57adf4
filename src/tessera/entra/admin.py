"""The admin REST API: the directory over HTTP, in Microsoft Graph's JSON shapes.

Unauthenticated by design (a local emulator bound to 127.0.0.1 by default); turn it off with
``EmulatorSettings(admin_api=False)``. Errors use Graph's ``{"error": {"code", "message"}}``.

==========================================================  ===============================
``GET|POST /admin/tenants``                                  list / create (``domain``, ...)
``GET|POST /admin/tenants/{t}/users``                        list / create
``GET|POST /admin/tenants/{t}/applications``                 list / create
``GET|PATCH /admin/tenants/{t}/applications/{app}``          ``app show`` / update
``POST .../applications/{app}/exposeApi``                    set the App ID URI
``POST .../applications/{app}/scopes`` / ``appRoles``        add a scope / app role
``POST .../applications/{app}/permissions``                  add a required permission
``POST .../applications/{app}/grantAdminConsent``            grant admin consent
``POST .../applications/{app}/addPassword``                  new secret (``secretText`` once)
``POST .../applications/{app}/addCertificate``               PEM certificate in ``certificate``
``POST /admin/config``                                       apply a tenant file (JSON body)
``GET /admin/keys``, ``POST /admin/keys/rotate``             signing keys
==========================================================  ===============================
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.entra.directory import DirectoryError
from tessera.entra.render import json_response
from tessera.entra.service import DirectoryService
from tessera.entra.state import emulator
from tessera.entra.tenant_file import apply_tenant_file


def _service(request: Request) -> DirectoryService:
    st = emulator(request)
    return DirectoryService(st.store, st.settings.clock)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
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
    )
    return json_response(user, 201)


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
    else:
        raise DirectoryError(f"unknown action '{action}'.", status=404, code="Request_ResourceNotFound")
    return json_response(result, 200)


async def config(request: Request) -> Response:
    return json_response({"report": apply_tenant_file(_service(request), await _body(request))})


async def keys(request: Request) -> Response:
    return json_response({"value": _service(request).signing_keys()})


async def rotate(request: Request) -> Response:
    return json_response({"kid": _service(request).rotate_keys()})


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/tenants", tenants, methods=["GET", "POST"]),
        Route("/admin/tenants/{tenant}/users", users, methods=["GET", "POST"]),
        Route("/admin/tenants/{tenant}/applications", applications, methods=["GET", "POST"]),
        Route("/admin/tenants/{tenant}/applications/{app}", application, methods=["GET", "PATCH"]),
        Route("/admin/tenants/{tenant}/applications/{app}/{action}", app_action, methods=["POST"]),
        Route("/admin/config", config, methods=["POST"]),
        Route("/admin/keys", keys, methods=["GET"]),
        Route("/admin/keys/rotate", rotate, methods=["POST"]),
    ]
