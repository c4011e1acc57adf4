"""The HTTP face of sign-in beyond the guide.

The confidential client (``clientType: confidential``): ``GET /auth/login`` sends the browser to
Entra ID, ``GET /callback`` completes the sign-in on the server and sets the session cookie,
``GET /auth/session`` tells the UI whether it is signed in and its CSRF token, ``POST
/auth/logout`` ends the session here and returns Entra's sign-out URL. None of them ever
answers with one of Entra's tokens.

For administrators: where each identity-provider membership of a user came from, the doctor's
checks of the configuration, and the diagnosis of a token ("Test sign-in").
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from tessera.api.deps import ContainerDep, PrincipalDep, authorize, authorize_in_handler, public_route
from tessera.api.route_helpers import json_response
from tessera.auth import diagnosis, doctor
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.auth.sessions import CSRF_HEADER, CookiePolicy, WebSessions, cookie_value
from tessera.catalog.kinds import ROLE, TEAM
from tessera.container import Container
from tessera.errors import AdminOnly, BadRequest, Forbidden, NotAuthenticated, NotFound, TesseraError

router = APIRouter(include_in_schema=False)
# Read (and cleared) by the UI's sign-in page: web/static/session.js.
NOTICE_COOKIE = "tessera_notice"
api = APIRouter(prefix="/api/v1", tags=["sign-in"])
_MAX_TOKEN_CHARS = 16 * 1024


def _sessions(container: Container) -> WebSessions:
    if container.sessions is None:
        raise NotFound("This server does not sign people in on the server (clientType is not confidential)")
    return container.sessions


def _safe_next(value: str | None) -> str | None:
    """Only a local path may be where a sign-in returns (never an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if value.startswith(("/signin", "/callback", "/auth/", "/api/")):
        return None
    return value


@router.get("/auth/login", dependencies=[public_route()])
async def login(request: Request, container: ContainerDep) -> Response:
    sessions = _sessions(container)
    test = request.query_params.get("test") == "1"
    if test:
        _require_admin(getattr(request.state, "principal", None))
    auth_uri, sealed = await run_in_threadpool(
        sessions.client.begin,
        next_path=_safe_next(request.query_params.get("next")),
        test=test,
        prompt="login" if test else None,
    )
    response = RedirectResponse(auth_uri, status_code=302)
    policy = sessions.cookies
    response.set_cookie(
        policy.flow_name, sealed, max_age=600, path="/", secure=policy.secure, httponly=True, samesite="lax"
    )
    return _no_store(response)


@router.post("/callback", dependencies=[public_route()])
async def callback_posted(request: Request, container: ContainerDep) -> Response:
    """Entra's form_post answer arrives without the browser's SameSite=Lax cookies: sealed, it
    goes on to the GET that has them."""
    sessions = _sessions(container)
    form = await request.form()
    answer = {key: value for key, value in form.items() if isinstance(value, str)}
    sealed = sessions.client.seal_answer(answer)
    answer_url = f"{_root(request)}/callback?{urlencode({'answer': sealed})}"
    return _no_store(RedirectResponse(answer_url, status_code=303))


@router.get("/callback", dependencies=[public_route()])
async def callback(request: Request, container: ContainerDep) -> Response:
    sessions = _sessions(container)
    policy = sessions.cookies
    try:
        sealed = request.query_params.get("answer")
        params = sessions.client.open_answer(sealed) if sealed else dict(request.query_params)
    except TesseraError as exc:
        return _to_signin(request, policy, error=exc.message.removeprefix("Not Authorized! "))
    if not params.get("code") and not params.get("error"):
        # Entra's sign-out comes back here (the registered post-logout redirect URI).
        return _to_signin(request, policy, signed_out=True)
    try:
        pending = sessions.client.pending(request.cookies.get(policy.flow_name))
        tokens = await run_in_threadpool(sessions.client.finish, pending, params)
        if pending.test:
            return await _test_result(request, container, tokens.id_token, policy)
        cookie, _principal = await run_in_threadpool(sessions.start, tokens)
    except TesseraError as exc:
        return _to_signin(request, policy, error=exc.message.removeprefix("Not Authorized! "))
    response = RedirectResponse(_root(request) + (pending.next_path or "/explore"), status_code=302)
    response.delete_cookie(policy.flow_name, path="/", secure=policy.secure, httponly=True, samesite="lax")
    response.set_cookie(
        policy.name,
        cookie,
        max_age=policy.max_age_s,
        path="/",
        secure=policy.secure,
        httponly=True,
        samesite="lax",
    )
    return _no_store(response)


@router.get("/auth/session", dependencies=[public_route()])
async def session(request: Request, container: ContainerDep) -> Response:
    """Whether this browser is signed in, and the CSRF token its changes must carry."""
    sessions = _sessions(container)
    cookie = request.cookies.get(sessions.cookies.name)
    body: dict[str, Any] = {"signedIn": False}
    if cookie:
        try:
            principal = await run_in_threadpool(sessions.authenticate, cookie, None, "GET")
        except NotAuthenticated as exc:
            body["reason"] = exc.message
        else:
            body = {
                "signedIn": True,
                "user": principal.name,
                "csrfHeader": CSRF_HEADER,
                "csrfToken": sessions.csrf_for(cookie),
            }
    return _no_store(json_response(body))


@router.post("/auth/logout", dependencies=[public_route()])
async def logout(request: Request, container: ContainerDep) -> Response:
    sessions = _sessions(container)
    policy = sessions.cookies
    cookie = cookie_value(request.headers.get("cookie"), policy.name)
    hint = await run_in_threadpool(sessions.end, cookie, request.headers.get(CSRF_HEADER))
    post_logout = sessions.client.callback_url
    url = await run_in_threadpool(sessions.client.logout_url, hint, post_logout) if cookie else None
    response = json_response({"logoutUrl": url})
    response.delete_cookie(policy.name, path="/", secure=policy.secure, httponly=True, samesite="lax")
    return _no_store(response)


def _root(request: Request) -> str:
    """The sub-path tessera is served under behind a proxy (``server.rootPath``), or empty:
    every redirect to one of tessera's own pages starts with it."""
    return str(request.scope.get("root_path", ""))


def _to_signin(
    request: Request, policy: CookiePolicy, *, error: str | None = None, signed_out: bool = False
) -> Response:
    """Back to the sign-in page, with what to say there in a short-lived cookie: a message in
    the address would be anyone's to write in a link."""
    response = RedirectResponse(f"{_root(request)}/signin", status_code=302)
    response.delete_cookie(policy.flow_name, path="/")
    if error or signed_out:
        notice = (
            {"kind": "error", "text": f"Sign-in failed: {error}"}
            if error
            else {"kind": "info", "text": "You are signed out of tessera and of Microsoft Entra ID."}
        )
        encoded = base64.urlsafe_b64encode(orjson.dumps(notice)).decode().rstrip("=")
        response.set_cookie(
            NOTICE_COOKIE, encoded, max_age=60, path="/", secure=policy.secure, samesite="lax"
        )
    return _no_store(response)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# -- administrators ------------------------------------------------------------------------------


def _require_admin(principal: Any) -> Principal:
    if not isinstance(principal, Principal) or not principal.is_admin:
        who = principal.display if isinstance(principal, Principal) else "anonymous"
        raise AdminOnly(who, "check how people sign in")
    return principal


@api.get("/users/{user_id}/membershipSources", dependencies=[authorize(Operation.VIEW_ALL, "user")])
async def membership_sources(user_id: str, container: ContainerDep, principal: PrincipalDep) -> Response:
    """The memberships Entra ID granted this user, and through which app role or group."""
    if not principal.is_admin and principal.user_id != user_id:
        raise AdminOnly(principal.display, "see where another user's roles and teams come from")
    memberships = container.entra.memberships if container.entra is not None else None
    data = await run_in_threadpool(memberships.sources_of, user_id) if memberships is not None else []
    return json_response({"data": data, "paging": {"total": len(data)}})


@api.get("/system/auth/doctor", dependencies=[authorize_in_handler("user")])
async def doctor_checks(container: ContainerDep, principal: PrincipalDep) -> Response:
    """``tessera doctor``'s checks of this server's sign-in configuration."""
    _require_admin(principal)
    findings = await run_in_threadpool(
        doctor.check_configuration, container.settings, roles_and_teams=lambda: roles_and_teams(container)
    )
    return json_response({"findings": [f.as_json() for f in findings], "worst": doctor.worst(findings)})


@api.post("/system/auth/explain", dependencies=[authorize_in_handler("user")])
async def explain(request: Request, container: ContainerDep, principal: PrincipalDep) -> Response:
    """Why a token is, or would be, refused: ``{"token": "..."}``. The token is never echoed."""
    _require_admin(principal)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest('The body must be {"token": "<JWT>"}') from None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token.strip() or len(token) > _MAX_TOKEN_CHARS:
        raise BadRequest('The body must be {"token": "<JWT>"}, a JWT of at most 16 KiB')
    found = await run_in_threadpool(explain_token, container, token.strip())
    return json_response(found.as_json())


async def _test_result(
    request: Request, container: Container, id_token: str, policy: CookiePolicy
) -> Response:
    """The confidential client's "Test sign-in": the diagnosis of the test account's ID token,
    for the administrator who started it, carried in the fragment (never sent to a server)."""
    try:
        _require_admin(getattr(request.state, "principal", None))
    except Forbidden as exc:
        return _to_signin(request, policy, error=exc.message)
    found = await run_in_threadpool(explain_token, container, id_token)
    encoded = base64.urlsafe_b64encode(orjson.dumps(found.as_json())).decode().rstrip("=")
    response = RedirectResponse(f"{_root(request)}/settings/sign-in#diagnosis={encoded}", status_code=302)
    response.delete_cookie(policy.flow_name, path="/")
    return _no_store(response)


def explain_token(container: Container, token: str) -> diagnosis.Diagnosis:
    """The diagnosis, with the checks this server's authenticator would run."""
    oidc = container.settings.authenticationConfiguration.oidcConfiguration
    # The confidential client's ID tokens are for its own client id.
    audiences = frozenset({oidc.id}) if container.sessions is not None else frozenset()
    return diagnosis.explain(
        token,
        identities=container.entra,
        authenticate=lambda own: container.authenticator.authenticate(f"Bearer {own}"),
        audiences=audiences,
    )


def roles_and_teams(container: Container) -> tuple[set[str], set[str]]:
    names: list[set[str]] = []
    for kind in (ROLE, TEAM):
        found: set[str] = set()
        after = None
        while True:
            page = container.catalog.page(kind, limit=500, after=after)
            found.update(row.doc["name"] for row in page.rows)
            if page.after is None:
                break
            after = page.after
        names.append(found)
    return names[0], names[1]
