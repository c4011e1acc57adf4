"""``/v1.0/...``: the Graph subset. It answers Microsoft Graph access tokens only (``aud`` Graph,
signed by this emulator over Graph's hashed nonce, unexpired, from one of its tenants), as
Graph does, and reads the token's tenant:

=================================================  =============================================
``GET /v1.0/me``                                    the signed-in user (delegated tokens only)
``GET /v1.0/me/memberOf``, ``/transitiveMemberOf``  their groups, direct / through other groups
``POST /v1.0/me/getMemberObjects``                  group ids (where the groups overage points)
``GET /v1.0/users``, ``/users/{id or UPN}``         users (and ``/memberOf``, ``/transitiveMemberOf``,
                                                    ``POST /getMemberObjects`` under one)
``GET /v1.0/groups``, ``/groups/{id}``              groups; ``/groups/{id}/members``
``GET /v1.0/servicePrincipals``, ``/applications``  enterprise apps and app registrations
=================================================  =============================================

Collections take ``$select``, ``$filter`` (``eq``, ``startswith``), ``$top`` and page with
``@odata.nextLink``. Permissions (``User.Read.All`` and the like) are not checked: any Graph
token of the tenant reads its directory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tessera.entra.directory import GRAPH_APP_ID, GRAPH_RESOURCE, DirectoryError, find_user, not_found
from tessera.entra.graph.odata import Query, page
from tessera.entra.graph.shapes import application_json, group_json, user_json
from tessera.entra.groups import direct_groups_of, get_group, list_groups, transitive_groups_of
from tessera.entra.models import Application, Group, ServicePrincipal, Tenant, User
from tessera.entra.render import json_response
from tessera.entra.state import EmulatorState, emulator
from tessera.entra.tenants import v1_issuer, v2_issuer
from tessera.entra.tokens import restore_graph_signing_input

GRAPH_AUDIENCES = [GRAPH_APP_ID, GRAPH_RESOURCE, f"{GRAPH_RESOURCE}/"]
USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"


def unauthorized(message: str) -> DirectoryError:
    return DirectoryError(message, status=401, code="InvalidAuthenticationToken")


@dataclass(frozen=True)
class Caller:
    tenant: Tenant
    user_id: str | None
    """The signed-in user of a delegated token; None for an app-only one."""


def authenticate(st: EmulatorState, request: Request, s: Session) -> Caller:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise unauthorized("Access token is empty.")
    token = auth[7:].strip()
    try:
        signed = restore_graph_signing_input(token)
        kid = jwt.get_unverified_header(token).get("kid")
    except (ValueError, jwt.PyJWTError):
        raise unauthorized("Access token is malformed.") from None
    key = st.keys.public_keys().get(str(kid))
    if key is None:
        raise unauthorized("Access token validation failure: the signing key is not known.")
    skew = st.settings.lifetimes.clock_skew
    try:
        claims = jwt.decode(
            signed,
            key,
            algorithms=["RS256"],
            audience=GRAPH_AUDIENCES,
            leeway=skew,
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_iss": False},
        )
    except jwt.InvalidAudienceError:
        raise unauthorized("Access token validation failure. Invalid audience.") from None
    except jwt.PyJWTError as exc:
        raise unauthorized(f"Access token validation failure. {exc}") from None
    now = st.now()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp + skew < now:
        raise unauthorized("Lifetime validation failed, the token is expired.")
    tid = str(claims.get("tid", ""))
    origin = st.origin(request)
    if claims.get("iss") not in (v1_issuer(origin, tid), v2_issuer(origin, tid)):
        raise unauthorized("Access token validation failure. Invalid issuer.")
    tenant = s.get(Tenant, tid)
    if tenant is None:
        raise unauthorized("The tenant of this token no longer exists.")
    delegated = "scp" in claims and claims.get("idtyp") != "app"
    return Caller(tenant, str(claims["oid"]) if delegated else None)


Handler = Callable[[Request, EmulatorState, Session, Caller], dict[str, Any]]


def graph_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        st = emulator(request)
        if request.method == "POST":
            await request.body()
        with st.store.transaction() as s:
            caller = authenticate(st, request, s)
            return json_response(handler(request, st, s, caller))

    return endpoint


def _collection(request: Request, items: list[dict[str, Any]], context: str) -> dict[str, Any]:
    st = emulator(request)
    base = f"{st.origin(request)}{request.url.path}"
    params = dict(request.query_params)
    return page(
        items,
        Query.of(params),
        url=base,
        params=params,
        context=f"{st.origin(request)}/v1.0/$metadata#{context}",
    )


def _user(s: Session, caller: Caller, ref: str) -> User:
    if ref == "me":
        if caller.user_id is None:
            raise DirectoryError(
                "/me request is only valid with delegated authentication flow.", code="BadRequest"
            )
        ref = caller.user_id
    user = find_user(s, caller.tenant, ref)
    if user is None:
        raise not_found("user", ref)
    return user


def _typed_user(u: User) -> dict[str, Any]:
    return {"@odata.type": USER_TYPE, **user_json(u)}


def _typed_group(g: Group) -> dict[str, Any]:
    return {"@odata.type": GROUP_TYPE, **group_json(g)}


def users(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    rows = s.scalars(select(User).where(User.tenant_id == caller.tenant.id).order_by(User.created)).all()
    return _collection(request, [user_json(u) for u in rows], "users")


def user(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    found = _user(s, caller, request.path_params.get("user", "me"))
    body = user_json(found)
    query = Query.of(dict(request.query_params))
    if query.select:
        body = {k: v for k, v in body.items() if k in query.select}
    return {"@odata.context": f"{st.origin(request)}/v1.0/$metadata#users/$entity", **body}


def _groups_by_id(s: Session, tenant_id: str) -> dict[str, Group]:
    return {g.id: g for g in list_groups(s, tenant_id)}


def member_of(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    found = _user(s, caller, request.path_params.get("user", "me"))
    groups = direct_groups_of(s, found.id, caller.tenant.id)
    return _collection(request, [_typed_group(g) for g in groups], "directoryObjects")


def transitive_member_of(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    found = _user(s, caller, request.path_params.get("user", "me"))
    by_id = _groups_by_id(s, caller.tenant.id)
    ids = transitive_groups_of(s, found.id, caller.tenant.id)
    return _collection(request, [_typed_group(by_id[i]) for i in ids], "directoryObjects")


def member_objects(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    """``getMemberObjects``: every group id, transitively (``securityEnabledOnly`` changes
    nothing: every group here is a security group)."""
    found = _user(s, caller, request.path_params.get("user", "me"))
    return {
        "@odata.context": f"{st.origin(request)}/v1.0/$metadata#Collection(Edm.String)",
        "value": transitive_groups_of(s, found.id, caller.tenant.id),
    }


def groups(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    return _collection(request, [group_json(g) for g in list_groups(s, caller.tenant.id)], "groups")


def group(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    found = get_group(s, caller.tenant, request.path_params["group"])
    return {"@odata.context": f"{st.origin(request)}/v1.0/$metadata#groups/$entity", **group_json(found)}


def group_members(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    found = get_group(s, caller.tenant, request.path_params["group"])
    by_id = _groups_by_id(s, caller.tenant.id)
    out: list[dict[str, Any]] = []
    for member in found.members:
        if member in by_id:
            out.append(_typed_group(by_id[member]))
        elif (person := s.get(User, member)) is not None:
            out.append(_typed_user(person))
    return _collection(request, out, "directoryObjects")


def service_principals(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    rows = s.scalars(select(ServicePrincipal).where(ServicePrincipal.tenant_id == caller.tenant.id)).all()
    items = [
        {
            "id": sp.id,
            "appId": sp.app_id,
            "displayName": sp.display_name,
            "servicePrincipalType": sp.service_principal_type,
            "accountEnabled": sp.account_enabled,
            "appRoleAssignmentRequired": sp.app_role_assignment_required,
        }
        for sp in rows
    ]
    return _collection(request, items, "servicePrincipals")


def applications(request: Request, st: EmulatorState, s: Session, caller: Caller) -> dict[str, Any]:
    rows = s.scalars(
        select(Application).where(Application.tenant_id == caller.tenant.id).order_by(Application.created)
    ).all()
    return _collection(request, [application_json(s, a) for a in rows], "applications")


def routes() -> list[BaseRoute]:
    table: list[tuple[str, Handler, list[str]]] = [
        ("/v1.0/me", user, ["GET"]),
        ("/v1.0/me/memberOf", member_of, ["GET"]),
        ("/v1.0/me/transitiveMemberOf", transitive_member_of, ["GET"]),
        ("/v1.0/me/getMemberObjects", member_objects, ["POST"]),
        ("/v1.0/users", users, ["GET"]),
        ("/v1.0/users/{user}", user, ["GET"]),
        ("/v1.0/users/{user}/memberOf", member_of, ["GET"]),
        ("/v1.0/users/{user}/transitiveMemberOf", transitive_member_of, ["GET"]),
        ("/v1.0/users/{user}/getMemberObjects", member_objects, ["POST"]),
        ("/v1.0/groups", groups, ["GET"]),
        ("/v1.0/groups/{group}", group, ["GET"]),
        ("/v1.0/groups/{group}/members", group_members, ["GET"]),
        ("/v1.0/servicePrincipals", service_principals, ["GET"]),
        ("/v1.0/applications", applications, ["GET"]),
    ]
    return [Route(path, graph_endpoint(handler), methods=methods) for path, handler, methods in table]
