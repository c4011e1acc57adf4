"""The authorization endpoint (RFC 6749 §3.1, §4.1.1; OIDC Core §3.1.2; ``v2-oauth2-auth-code-flow``)
and the pages behind it: sign-in, consent, and the silent ``prompt=none`` path.

Validation order follows Entra: the tenant, ``client_id`` (AADSTS700016) and ``redirect_uri``
(AADSTS50011) are checked first and their failures are shown as an error page, since the
redirect URI cannot be trusted yet; every later failure goes back to the redirect URI
(RFC 6749 §4.1.2.1) with the requested response mode.

The sign-in form posts to ``/{tenant}/login`` with the authorize parameters as hidden fields;
they are validated again there, so nothing is trusted from the page.

The v1 endpoint (``/{tenant}/oauth2/authorize``) names the resource with ``resource`` and needs
no scope; :func:`authorize_v1` rewrites its parameters in v2 terms (``{resource}/.default openid
offline_access``: v1 always answers with an ID token and a refresh token) and goes the same
way. It takes ``response_type=code`` only: the emulator's implicit and hybrid answers carry v2
tokens, which a v1 client would not expect.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tessera.entra import claims, errors, redirect_uris, tenants
from tessera.entra.clients import Client, Credentials, find_client
from tessera.entra.consent import grant_delegated, role_assignments
from tessera.entra.directory import check_password, directory_user_by_login, sha256_hex
from tessera.entra.errors import EntraError, RedirectError, SignInPageError
from tessera.entra.grants import authorization_code
from tessera.entra.grants.base import (
    GrantContext,
    TokenRequest,
    client_info,
    missing_consent,
    user_tokens,
)
from tessera.entra.groups import groups_of
from tessera.entra.models import SignInSession, Tenant, User
from tessera.entra.registrations import ensure_service_principal
from tessera.entra.scopes import ScopeRequest, find_resource, parse
from tessera.entra.state import EmulatorState, emulator
from tessera.entra.store import LazySession
from tessera.entra.tokens import sign

SESSION_COOKIE = "tessera_entra_session"
AUTHORIZE_PARAMS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "response_mode",
    "state",
    "nonce",
    "prompt",
    "login_hint",
    "domain_hint",
    "code_challenge",
    "code_challenge_method",
    "client_info",
    "claims",
    "sid",
)
RESPONSE_TYPES = ("code", "id_token", "code id_token", "id_token token", "token", "code id_token token")
V1_RESPONSE_TYPES = ("code",)


@dataclass(frozen=True)
class AuthorizeRequest:
    params: dict[str, str]
    path: tenants.TenantPath
    client: Client
    redirect_uri: str
    redirect_type: str
    response_type: str
    response_mode: str
    scope: ScopeRequest
    state: str | None
    nonce: str | None
    prompt: str | None
    login_hint: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def redirect_error(self, err: EntraError) -> RedirectError:
        return RedirectError(err, self.redirect_uri, self.response_mode, self.state)


def _params(raw: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in raw.items() if k in AUTHORIZE_PARAMS and v != ""}


def validate(
    s: Session, segment: str, params: dict[str, str], response_types: tuple[str, ...] = RESPONSE_TYPES
) -> AuthorizeRequest:
    try:
        path = tenants.resolve(s, segment)
        client = find_client(s, path, params.get("client_id"))
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            raise errors.missing_parameter("redirect_uri")
        redirect_type = redirect_uris.match(client.app, redirect_uri)
        if redirect_type is None:
            raise errors.redirect_uri_mismatch(redirect_uri, client.app.app_id)
    except EntraError as err:
        raise SignInPageError(err) from None
    response_type = " ".join(sorted(params.get("response_type", "").split(), key=_rt_order))
    default_mode = "query" if response_type == "code" else "fragment"
    response_mode = params.get("response_mode") or default_mode
    state = params.get("state")

    def fail(err: EntraError) -> RedirectError:
        mode = response_mode if response_mode in ("query", "fragment", "form_post") else default_mode
        return RedirectError(err, redirect_uri, mode, state)

    if not response_type:
        raise fail(errors.missing_parameter("response_type"))
    if response_type not in response_types:
        if response_types == V1_RESPONSE_TYPES:
            raise fail(errors.unsupported_response_type(response_type, expected="code"))
        raise fail(errors.unsupported_response_type(response_type))
    if response_mode not in ("query", "fragment", "form_post"):
        raise fail(errors.unsupported_response_mode(response_mode, for_tokens=False))
    if response_mode == "query" and response_type != "code":
        # Tokens never travel in a query string (OAuth 2.0 Multiple Response Type Encoding §3).
        raise fail(errors.unsupported_response_mode(response_mode, for_tokens=True))
    app = client.app
    if "id_token" in response_type and not app.enable_id_token_issuance and response_type != "code":
        raise fail(errors.response_type_not_enabled("id_token"))
    if "token" in response_type.replace("id_token", "") and not app.enable_access_token_issuance:
        raise fail(errors.response_type_not_enabled("token"))
    raw_scope = params.get("scope")
    if not raw_scope:
        raise fail(errors.missing_parameter("scope"))
    try:
        scope = parse(raw_scope)
    except EntraError as err:
        raise fail(err) from None
    if "id_token" in response_type and not params.get("nonce"):
        raise fail(errors.missing_parameter("nonce"))
    method = params.get("code_challenge_method")
    if method not in (None, "S256", "plain"):
        raise fail(errors.invalid_code_challenge_method())
    if method and not params.get("code_challenge"):
        raise fail(errors.missing_parameter("code_challenge"))
    return AuthorizeRequest(
        params=params,
        path=path,
        client=client,
        redirect_uri=redirect_uri,
        redirect_type=redirect_type,
        response_type=response_type,
        response_mode=response_mode,
        scope=scope,
        state=state,
        nonce=params.get("nonce"),
        prompt=params.get("prompt"),
        login_hint=params.get("login_hint"),
        code_challenge=params.get("code_challenge"),
        code_challenge_method=(method or "plain") if params.get("code_challenge") else None,
    )


def _rt_order(part: str) -> int:
    return {"code": 0, "id_token": 1, "token": 2}.get(part, 3)


# --- sessions (the cookie behind SSO and prompt=none) ----------------------------------------------


def current_session(
    s: Session, request: Request, now: float, path: tenants.TenantPath
) -> SignInSession | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session = s.get(SignInSession, sha256_hex(cookie))
    if session is None or session.expires <= now:
        return None
    if path.tenant_id is not None and session.tenant_id != path.tenant_id:
        return None
    return session


def start_session(s: Session, st: EmulatorState, user: User) -> tuple[SignInSession, str]:
    cookie = secrets.token_urlsafe(32)
    now = st.now()
    session = SignInSession(
        id_hash=sha256_hex(cookie),
        sid=str(uuid.uuid4()),
        tenant_id=user.tenant_id,
        user_id=user.id,
        auth_time=now,
        expires=now + st.settings.lifetimes.session,
    )
    s.add(session)
    return session, cookie


def set_session_cookie(response: Response, st: EmulatorState, cookie: str) -> None:
    https = st.settings.https
    # SameSite=None lets the hidden iframe of MSAL.js's silent renewal send the cookie; browsers
    # accept it only on Secure cookies, hence Lax over plain http.
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=st.settings.lifetimes.session,
        path="/",
        httponly=True,
        secure=https,
        samesite="none" if https else "lax",
    )


# --- the endpoint ------------------------------------------------------------------------------


async def _request_params(request: Request) -> dict[str, str]:
    raw = dict(request.query_params)
    if request.method == "POST":
        raw.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    return raw


async def authorize(request: Request) -> Response:
    return _authorize(request, await _request_params(request), RESPONSE_TYPES)


def v1_params(raw: dict[str, str]) -> dict[str, str]:
    """v1 authorize parameters in v2 terms: ``resource`` (optional) → ``{resource}/.default``,
    with ``openid`` and ``offline_access`` always, and the OpenID values of v1's ``scope``."""
    params = {k: v for k, v in raw.items() if k != "resource"}
    resource = raw.get("resource", "").strip().rstrip("/")
    asked = [v for v in raw.get("scope", "").split() if v in ("profile", "email")]
    scopes = [f"{resource}/.default"] if resource else []
    params["scope"] = " ".join([*scopes, "openid", *dict.fromkeys(asked), "offline_access"])
    return params


async def authorize_v1(request: Request) -> Response:
    return _authorize(request, v1_params(await _request_params(request)), V1_RESPONSE_TYPES)


def _authorize(request: Request, raw: dict[str, str], response_types: tuple[str, ...]) -> Response:
    st = emulator(request)
    segment = request.path_params["tenant"]
    with st.store.transaction() as s:
        areq = validate(s, segment, _params(raw), response_types)
        session = current_session(s, request, st.now(), areq.path)
        if session is not None and areq.login_hint and not _same_user(s, session, areq.login_hint):
            session = None
        if areq.prompt == "none":
            if session is None:
                raise areq.redirect_error(errors.login_required())
            user = s.get(User, session.user_id)
            if user is None:
                raise areq.redirect_error(errors.login_required())
            return complete(s, st, request, areq, user, session, silent=True)
        if session is not None and areq.prompt not in ("login", "select_account"):
            user = s.get(User, session.user_id)
            if user is not None:
                return complete(s, st, request, areq, user, session, silent=False)
        return signin_page(st, areq, error=None)


def _same_user(s: Session, session: SignInSession, hint: str) -> bool:
    user = s.get(User, session.user_id)
    return user is not None and hint.lower() in (user.user_principal_name, (user.mail or "").lower())


def signin_page(
    st: EmulatorState, areq: AuthorizeRequest, *, error: str | None, login: str | None = None
) -> Response:
    return st.pages.render(
        "signin.html",
        status=200,
        tenant_name=areq.path.display_name,
        app_name=areq.client.app.display_name,
        action=f"/{areq.path.segment}/login",
        hidden=areq.params,
        login_hint=login or areq.login_hint or "",
        error=error,
    )


async def login(request: Request) -> Response:
    """The sign-in form's target: check the password, then consent, then issue the code."""
    st = emulator(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    segment = request.path_params["tenant"]
    with st.store.transaction() as s:
        areq = validate(s, segment, _params(form))
        login_name = form.get("login", "").strip()
        user = directory_user_by_login(s, areq.path.tenant_id, login_name)
        if user is None or not user.account_enabled:
            err = errors.user_not_found(login_name, areq.path.display_name)
            return signin_page(st, areq, error=f"AADSTS{err.code}: {err.message}", login=login_name)
        if not check_password(form.get("passwd", ""), user.password_hash):
            err = errors.bad_credentials()
            return signin_page(st, areq, error=f"AADSTS{err.code}: {err.message}", login=login_name)
        session, cookie = start_session(s, st, user)
        response = complete(s, st, request, areq, user, session, silent=False)
    set_session_cookie(response, st, cookie)
    return response


async def consent(request: Request) -> Response:
    st = emulator(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    segment = request.path_params["tenant"]
    with st.store.transaction() as s:
        areq = validate(s, segment, _params(form))
        session = current_session(s, request, st.now(), areq.path)
        if session is None:
            return signin_page(st, areq, error=None)
        user = s.get(User, session.user_id)
        tenant = s.get(Tenant, session.tenant_id)
        if user is None or tenant is None:
            return signin_page(st, areq, error=None)
        if form.get("consent") != "accept":
            raise areq.redirect_error(errors.consent_declined())
        missing = missing_consent(s, tenant, areq.client.app, user, areq.scope)
        if missing:
            assert areq.scope.resource_ref is not None
            resource = find_resource(s, tenant, areq.scope.resource_ref)
            if any(sc.get("type") == "Admin" for sc in missing):
                raise areq.redirect_error(
                    errors.admin_consent_needed(areq.client.app.app_id, areq.client.app.display_name)
                )
            client_sp = ensure_service_principal(s, areq.client.app, tenant)
            grant_delegated(
                s, tenant, client_sp, resource.sp, [sc["value"] for sc in missing], principal_id=user.id
            )
        return complete(s, st, request, areq, user, session, silent=False)


def complete(
    s: Session,
    st: EmulatorState,
    request: Request,
    areq: AuthorizeRequest,
    user: User,
    session: SignInSession,
    *,
    silent: bool,
) -> Response:
    """The user is known: check assignment and consent, then answer the client."""
    tenant = s.get(Tenant, user.tenant_id)
    assert tenant is not None
    app = areq.client.app
    if areq.path.tenant_id is None and app.sign_in_audience == "AzureADMyOrg" and app.tenant_id != tenant.id:
        raise SignInPageError(errors.application_not_found(app.app_id, tenant.display_name))
    client_sp = ensure_service_principal(s, app, tenant)
    if client_sp.app_role_assignment_required:
        principals = [user.id, *groups_of(s, user)]
        if not role_assignments(s, principals, client_sp):
            raise SignInPageError(
                errors.user_not_assigned(user.user_principal_name, app.app_id, app.display_name)
            )
    try:
        missing = missing_consent(s, tenant, app, user, areq.scope)
    except EntraError as err:
        raise areq.redirect_error(err) from None
    if missing:
        if silent:
            raise areq.redirect_error(errors.consent_required_redirect(app.app_id, app.display_name))
        assert areq.scope.resource_ref is not None
        resource = find_resource(s, tenant, areq.scope.resource_ref)
        return st.pages.render(
            "consent.html",
            tenant_name=tenant.display_name,
            app_name=app.display_name,
            user=user.user_principal_name,
            scopes=missing,
            resource_name=resource.display_name,
            action=f"/{areq.path.segment}/consent",
            hidden=areq.params,
        )
    now = st.now()
    out: dict[str, str] = {}
    if "code" in areq.response_type.split():
        out["code"] = authorization_code.mint(
            s,
            now=now,
            lifetime=st.settings.lifetimes.authorization_code,
            tenant_id=tenant.id,
            client_id=app.app_id,
            user_id=user.id,
            redirect_uri=areq.redirect_uri,
            redirect_type=areq.redirect_type,
            scope=areq.scope.raw,
            nonce=areq.nonce,
            code_challenge=areq.code_challenge,
            code_challenge_method=areq.code_challenge_method,
            auth_time=session.auth_time,
            session_id=session.sid,
        )
    if "token" in areq.response_type.split() or "id_token" in areq.response_type.split():
        out.update(_implicit_tokens(s, st, request, areq, tenant, user, session, out.get("code")))
    if areq.state is not None:
        out["state"] = areq.state
    out["session_state"] = session.sid
    if areq.params.get("client_info") == "1":
        out["client_info"] = client_info(user)
    return respond(st, areq.redirect_uri, areq.response_mode, out)


def _half_hash(value: str) -> str:
    """OIDC Core §3.3.2.11 ``c_hash`` / ``at_hash``: left half of SHA-256, base64url."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def _implicit_tokens(
    s: Session,
    st: EmulatorState,
    request: Request,
    areq: AuthorizeRequest,
    tenant: Tenant,
    user: User,
    session: SignInSession,
    code: str | None,
) -> dict[str, str]:
    """Implicit and hybrid responses, allowed by the app's "ID tokens" / "Access tokens"
    checkboxes (``web.implicitGrantSettings``)."""
    origin = st.origin(request)
    ctx = GrantContext(
        unit=_Bound(s),
        state=st,
        req=TokenRequest(
            form={},
            path=areq.path,
            origin=origin,
            request_origin=None,
            credentials=Credentials(None, None, None),
            client_ip=request.client.host if request.client else None,
        ),
        now=st.now(),
    )
    out: dict[str, str] = {}
    parts = areq.response_type.split()
    if "token" in parts:
        body = user_tokens(
            ctx,
            tenant=tenant,
            client_app=areq.client.app,
            method="none",
            user=user,
            scope=areq.scope,
            nonce=areq.nonce,
            auth_time=session.auth_time,
            sid=session.sid,
        )
        out.update(
            access_token=body["access_token"],
            token_type="Bearer",
            expires_in=str(body["expires_in"]),
            scope=body["scope"],
        )
    if "id_token" in parts:
        hashes = {}
        if code is not None:
            hashes["c_hash"] = _half_hash(code)
        if "access_token" in out:
            hashes["at_hash"] = _half_hash(out["access_token"])
        app = areq.client.app
        optional = {
            c["name"] if isinstance(c, dict) else str(c) for c in app.optional_claims.get("idToken", [])
        }
        out["id_token"] = sign(
            claims.id_token(
                origin=origin,
                tenant=tenant,
                client_app_id=app.app_id,
                user=user,
                oidc_scopes=areq.scope.oidc,
                optional=optional,
                nonce=areq.nonce,
                auth_time=session.auth_time,
                sid=session.sid,
                roles=[],
                groups={},
                times=claims.Times(int(st.now()), st.settings.lifetimes.id_token),
                hashes=hashes,
            ),
            st.keys.active(s),
        )
    return out


class _Bound(LazySession):
    """A unit of work that already has its session (the authorize request's)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def finish(self, *, commit: bool) -> None:  # the owner of the session finishes it
        return None


def respond(st: EmulatorState, redirect_uri: str, mode: str, params: dict[str, str]) -> Response:
    """RFC 6749 §4.1.2 (query), OAuth 2.0 Multiple Response Type Encoding (fragment) and
    OAuth 2.0 Form Post Response Mode (form_post)."""
    if mode == "form_post":
        return st.pages.render("form_post.html", action=redirect_uri, params=params)
    encoded = urlencode(params)
    if mode == "fragment":
        location = f"{redirect_uri.split('#', 1)[0]}#{encoded}"
    else:
        location = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{encoded}"
    return RedirectResponse(location, status_code=302, headers={"Cache-Control": "no-store"})
