"""The device code flow's two web ends (``v2-oauth2-device-code``): ``/{tenant}/oauth2/v2.0/
devicecode``, where the device gets its codes, and ``/devicelogin``, the verification page
(Entra's ``https://microsoft.com/devicelogin``), where a person enters the user code, signs in
(or is signed in already: the session cookie) and consents. The device's polling is a grant
(``grants/device_code.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from tessera.entra import errors, tenants
from tessera.entra.clients import find_client
from tessera.entra.consent import grant_delegated
from tessera.entra.directory import check_password, directory_user_by_login
from tessera.entra.endpoints.authorize import current_session, set_session_cookie, start_session
from tessera.entra.endpoints.token import form_fields
from tessera.entra.grants import device_code
from tessera.entra.grants.base import missing_consent
from tessera.entra.models import Application, DeviceCode, SignInSession, Tenant, User
from tessera.entra.registrations import ensure_service_principal, find_application
from tessera.entra.render import NO_STORE, json_response
from tessera.entra.scopes import find_resource, parse
from tessera.entra.state import EmulatorState, emulator

VERIFICATION_PATH = "/devicelogin"


async def devicecode(request: Request) -> Response:
    if request.method != "POST":
        raise errors.post_only(request.method)
    st = emulator(request)
    form = await form_fields(request)
    settings = st.settings.lifetimes
    with st.store.transaction() as s:
        path = tenants.resolve(s, request.path_params["tenant"])
        client = find_client(s, path, form.get("client_id"))
        raw_scope = form.get("scope") or ""
        if not raw_scope.strip():
            raise errors.missing_parameter("scope")
        parse(raw_scope)  # one resource, known shapes: refused here rather than at sign-in
        code, user_code = device_code.start(
            s,
            path=path,
            client_id=client.app.app_id,
            scope=raw_scope,
            now=st.now(),
            lifetime=settings.device_code,
            interval=settings.device_code_interval,
        )
    uri = f"{st.origin(request)}{VERIFICATION_PATH}"
    return json_response(
        {
            "user_code": user_code,
            "device_code": code,
            "verification_uri": uri,
            "expires_in": settings.device_code,
            "interval": settings.device_code_interval,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code "
            f"{user_code} to authenticate.",
        },
        headers=NO_STORE,
    )


def _normalized(user_code: str) -> str:
    return "".join(c for c in user_code.upper() if c.isalnum())


async def devicelogin(request: Request) -> Response:
    st = emulator(request)
    if request.method == "GET":
        return _enter_code(st, error=None)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    with st.store.transaction() as s:
        code = s.scalars(
            select(DeviceCode).where(DeviceCode.user_code == _normalized(form.get("otc", "")))
        ).first()
        if code is None or code.status != "pending" or code.expires <= st.now():
            return _enter_code(st, error="That code didn't work. Check the code and try again.")
        app = find_application(s, code.client_id)
        if app is None:
            return _enter_code(st, error="That code didn't work. Check the code and try again.")
        hidden = {"otc": code.user_code}
        cookie: str | None = None
        session = current_session(s, request, st.now(), _path(code))
        if "login" in form:
            user = directory_user_by_login(s, code.tenant_id, form["login"].strip())
            if (
                user is None
                or not user.account_enabled
                or not check_password(form.get("passwd", ""), user.password_hash)
            ):
                err = errors.bad_credentials()
                return _sign_in(st, app, hidden, f"AADSTS{err.code}: {err.message}", form["login"])
            session, cookie = start_session(s, st, user)
        if session is None:
            return _sign_in(st, app, hidden, None, None)
        response = _decide(s, st, code, app, session, form.get("consent"), hidden)
    if cookie is not None:
        set_session_cookie(response, st, cookie)
    return response


def _path(code: DeviceCode) -> tenants.TenantPath:
    return tenants.TenantPath(
        segment=code.tenant_id or "organizations", tenant_id=code.tenant_id, display_name=""
    )


def _decide(
    s: Session,
    st: EmulatorState,
    code: DeviceCode,
    app: Application,
    session: SignInSession,
    consent: str | None,
    hidden: dict[str, str],
) -> Response:
    user = s.get(User, session.user_id)
    tenant = s.get(Tenant, session.tenant_id)
    if user is None or tenant is None:
        return _sign_in(st, app, hidden, None, None)
    if consent == "cancel":
        code.status = "declined"
        return st.pages.render("device_done.html", app_name=app.display_name, approved=False)
    scope = parse(code.scope)
    missing = missing_consent(s, tenant, app, user, scope)
    if missing:
        assert scope.resource_ref is not None
        if any(sc.get("type") == "Admin" for sc in missing):
            err = errors.admin_consent_needed(app.app_id, app.display_name)
            return _enter_code(st, error=f"AADSTS{err.code}: {err.message}")
        resource = find_resource(s, tenant, scope.resource_ref)
        if consent != "accept":
            return st.pages.render(
                "consent.html",
                tenant_name=tenant.display_name,
                app_name=app.display_name,
                user=user.user_principal_name,
                scopes=missing,
                resource_name=resource.display_name,
                action=VERIFICATION_PATH,
                hidden=hidden,
            )
        client_sp = ensure_service_principal(s, app, tenant)
        grant_delegated(
            s, tenant, client_sp, resource.sp, [sc["value"] for sc in missing], principal_id=user.id
        )
    code.status = "approved"
    code.user_id = user.id
    code.auth_time = session.auth_time
    code.session_id = session.sid
    return st.pages.render("device_done.html", app_name=app.display_name, approved=True)


def _enter_code(st: EmulatorState, *, error: str | None) -> Response:
    return st.pages.render("devicelogin.html", action=VERIFICATION_PATH, error=error)


def _sign_in(
    st: EmulatorState, app: Application, hidden: dict[str, Any], error: str | None, login: str | None
) -> Response:
    return st.pages.render(
        "signin.html",
        app_name=app.display_name,
        action=VERIFICATION_PATH,
        hidden=hidden,
        login_hint=login or "",
        error=error,
    )
