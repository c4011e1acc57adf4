"""OpenMetadata's user, bot-token and personal-token endpoints beyond the generic entity routes.

Registered before the generic ``/api/v1/users`` routes so that these paths win.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize, authorize_in_handler, public_route
from tessera.api.route_helpers import expected_versions, json_response, read_json, render
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.catalog.kinds import USER
from tessera.container import Container
from tessera.errors import AdminOnly, BadRequest, Forbidden, NotFound
from tessera.users.accounts import NOT_PERMITTED
from tessera.users.models import (
    GenerateTokenRequest,
    LoginRequest,
    LogoutRequest,
    RevokePersonalTokensRequest,
    RevokeTokenRequest,
    TokenRefreshRequest,
)
from tessera.users.service import UserService, actor_of

router = APIRouter(prefix="/api/v1/users", tags=["users"])
ALL_FIELDS = frozenset({"*"})


def users(container: Container) -> UserService:
    return container.users


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    return body


def _require_admin(principal: Principal, what: str) -> None:
    if not principal.is_admin:
        raise AdminOnly(principal.display, what)


# -- basic authentication ---------------------------------------------------------------------


@router.post("/login", dependencies=[public_route()])
async def login(body: LoginRequest, request: Request, container: ContainerDep) -> Response:
    # The peer address as uvicorn sees it (behind a proxy, from X-Forwarded-For of trusted proxies).
    source = request.client.host if request.client else None
    signed_in = await run_in_threadpool(users(container).accounts.login, body.email, body.password, source)
    return json_response(signed_in.as_json())


@router.post("/refresh", dependencies=[public_route()])
async def refresh(body: TokenRefreshRequest, container: ContainerDep) -> Response:
    signed_in = await run_in_threadpool(users(container).accounts.refresh, body.refreshToken)
    return json_response(signed_in.as_json())


@router.post("/logout", dependencies=[authorize_in_handler("user")])
async def logout(
    body: LogoutRequest, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    token = body.token
    if token is None:
        header = request.headers.get("authorization", "")
        token = header.partition(" ")[2].strip()
    await run_in_threadpool(users(container).accounts.logout, principal, token)
    return json_response({"message": "signed out"})


@router.put("/changePassword", dependencies=[authorize_in_handler("user")])
async def change_password(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    body = _object(await read_json(request))
    current = request.headers.get("authorization", "").partition(" ")[2].strip() or None
    await run_in_threadpool(users(container).accounts.change_password, principal, body, current)
    return json_response({"message": "password changed"})


@router.post("/signup", dependencies=[public_route()])
@router.post("/generatePasswordResetLink", dependencies=[public_route()])
@router.post("/password/reset", dependencies=[public_route()])
async def not_offered(container: ContainerDep) -> Response:
    if container.settings.authenticationConfiguration.provider != "basic":
        raise Forbidden(NOT_PERMITTED)
    raise Forbidden(
        "Self-service sign-up and password reset are not offered: an administrator creates users "
        "(POST /api/v1/users) and resets passwords (tessera users reset-password NAME)"
    )


# -- who am I ---------------------------------------------------------------------------------


@router.get("/loggedInUser", dependencies=[authorize_in_handler("user")])
async def logged_in_user(
    request: Request, container: ContainerDep, principal: PrincipalDep, fields: str | None = None
) -> Response:
    if principal.user_id is None:
        raise NotFound("No signed-in user: authentication is off (provider no-auth)")
    doc = await run_in_threadpool(container.catalog.get, USER, principal.user_id)
    body = render(container, request, USER, doc, ALL_FIELDS)
    body["isAdmin"] = principal.is_admin
    return json_response(body)


# -- bot tokens -------------------------------------------------------------------------------


@router.put("/generateToken/{user_id}", dependencies=[authorize(Operation.GENERATE_TOKEN, "user")])
async def generate_token(
    user_id: str, body: GenerateTokenRequest, container: ContainerDep, principal: PrincipalDep
) -> Response:
    _require_admin(principal, "generate bot tokens")
    mechanism = await run_in_threadpool(
        users(container).generate_bot_token, principal, user_id, body.JWTTokenExpiry
    )
    return json_response(mechanism)


@router.put("/revokeToken", dependencies=[authorize(Operation.GENERATE_TOKEN, "user")])
async def revoke_token(
    body: RevokeTokenRequest, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    _require_admin(principal, "revoke bot tokens")
    await run_in_threadpool(users(container).revoke_bot_token, principal, body.id)
    doc = await run_in_threadpool(container.catalog.get, USER, body.id)
    return json_response(render(container, request, USER, doc, ALL_FIELDS))


@router.get("/token/{user_id}", dependencies=[authorize(Operation.GENERATE_TOKEN, "user")])
async def get_token(user_id: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    _require_admin(principal, "read bot tokens")
    return json_response(await run_in_threadpool(users(container).bot_token, user_id))


@router.get("/auth-mechanism/{user_id}", dependencies=[authorize_in_handler("user")])
async def get_auth_mechanism(user_id: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    return json_response(await run_in_threadpool(users(container).auth_mechanism, principal, user_id))


# -- personal access tokens -------------------------------------------------------------------


@router.put("/security/token/revoke", dependencies=[authorize_in_handler("personalAccessToken")])
async def revoke_personal_tokens(
    container: ContainerDep,
    principal: PrincipalDep,
    body: RevokePersonalTokensRequest | None = None,
    removeAll: bool = False,
) -> Response:
    ids = None if removeAll or body is None else body.tokenIds
    if ids is None and not removeAll:
        raise BadRequest('Revoke needs {"tokenIds": ["<token id>", ...]} or ?removeAll=true')
    remaining = await run_in_threadpool(users(container).revoke_personal_tokens, principal, ids)
    return json_response({"data": remaining, "paging": {"total": len(remaining)}})


@router.put("/security/token", dependencies=[authorize_in_handler("personalAccessToken")])
async def create_personal_token(
    request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = _object(await read_json(request))
    return json_response(
        await run_in_threadpool(users(container).create_personal_token, principal, body), 201
    )


@router.get("/security/token", dependencies=[authorize_in_handler("personalAccessToken")])
async def list_personal_tokens(container: ContainerDep, principal: PrincipalDep) -> Response:
    tokens = await run_in_threadpool(users(container).personal_tokens, principal)
    return json_response({"data": tokens, "paging": {"total": len(tokens)}})


# -- creating, updating and deleting users ------------------------------------------------------


@router.post("", status_code=201, dependencies=[authorize(Operation.CREATE, "user")])
async def create_user(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    body = _object(await read_json(request))
    doc, _ = await run_in_threadpool(users(container).create_or_update, principal, body, create_only=True)
    return json_response(render(container, request, USER, doc, ALL_FIELDS), 201)


@router.put("", dependencies=[authorize_in_handler("user")])
async def create_or_update_user(
    request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    body = _object(await read_json(request))
    name = body.get("name")
    existing = users(container).directory.by_name(name) if isinstance(name, str) else None
    operation = Operation.EDIT_ALL if existing is not None else Operation.CREATE
    container.authorizer.check(principal, [operation], "user", existing)
    doc, created = await run_in_threadpool(users(container).create_or_update, principal, body)
    return json_response(render(container, request, USER, doc, ALL_FIELDS), 201 if created else 200)


@router.put(
    "/bulk", dependencies=[authorize(Operation.CREATE, "user"), authorize(Operation.EDIT_ALL, "user")]
)
async def bulk_users(
    request: Request, container: ContainerDep, principal: PrincipalDep, overrideMetadata: bool = False
) -> Response:
    # The catalog's bulk load knows nothing of the rules on roles, teams and admin status.
    _require_admin(principal, "load users in bulk")
    body = await read_json(request)
    result = await run_in_threadpool(
        functools.partial(container.catalog.bulk, USER, body, actor_of(principal), override=overrideMetadata)
    )
    return json_response(result.as_json())


@router.patch("/{user_id}", dependencies=[authorize_in_handler("user")])
async def patch_user(
    user_id: str, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    operations = await read_json(request)
    doc = await run_in_threadpool(
        functools.partial(
            users(container).patch,
            principal,
            user_id,
            operations,
            container.authorizer,
            expected_versions=expected_versions(request),
        )
    )
    return json_response(render(container, request, USER, doc, ALL_FIELDS))


@router.delete("/name/{name}", dependencies=[authorize(Operation.DELETE, "user")])
async def delete_user_by_name(
    name: str,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    hardDelete: bool = False,
    recursive: bool = False,
) -> Response:
    user = users(container).directory.by_name(name)
    if user is None:
        raise NotFound(f"user instance for {name} not found")
    doc = await run_in_threadpool(
        users(container).delete, principal, user["id"], hard=hardDelete, recursive=recursive
    )
    return json_response(render(container, request, USER, doc, ALL_FIELDS))


@router.delete("/{user_id}", dependencies=[authorize(Operation.DELETE, "user")])
async def delete_user(
    user_id: str,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
    hardDelete: bool = False,
    recursive: bool = False,
) -> Response:
    doc = await run_in_threadpool(
        users(container).delete, principal, user_id, hard=hardDelete, recursive=recursive
    )
    return json_response(render(container, request, USER, doc, ALL_FIELDS))
