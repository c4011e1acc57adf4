"""``/{tenant}/adminconsent`` (and ``/{tenant}/v2.0/adminconsent``): an administrator of the
tenant grants, for everyone in it, the permissions an app requires (``v2-admin-consent``).

The app and the ``redirect_uri`` are checked first (an error page: AADSTS700016, AADSTS50011);
then an administrator signs in (or is signed in: the session cookie) and the answer goes back
to the redirect URI: ``admin_consent=True&tenant={tid}&state=…`` (plus ``scope`` on v2), or
``error=access_denied`` (AADSTS90094) for someone who is not an administrator.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from tessera.entra import errors, redirect_uris, tenants
from tessera.entra.consent import grant_admin_consent
from tessera.entra.directory import check_password, directory_user_by_login
from tessera.entra.endpoints.authorize import current_session, set_session_cookie, start_session
from tessera.entra.errors import SignInPageError
from tessera.entra.models import Tenant, User
from tessera.entra.registrations import ensure_service_principal, find_application
from tessera.entra.state import EmulatorState, emulator

PARAMS = ("client_id", "redirect_uri", "state", "scope")


async def admin_consent(request: Request) -> Response:
    st = emulator(request)
    raw = dict(request.query_params)
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        raw.update(form)
    params = {k: v for k, v in raw.items() if k in PARAMS and v}
    cookie: str | None = None
    with st.store.transaction() as s:
        path = tenants.resolve(s, request.path_params["tenant"])
        client_id = params.get("client_id", "")
        app = find_application(s, client_id) if client_id else None
        if app is None or app.app_id != client_id.lower():
            raise SignInPageError(errors.application_not_found(client_id, path.display_name))
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri or redirect_uris.match(app, redirect_uri) is None:
            raise SignInPageError(errors.redirect_uri_mismatch(redirect_uri or "", app.app_id))
        session = current_session(s, request, st.now(), path)
        if "login" in form:
            user = directory_user_by_login(s, path.tenant_id, form["login"].strip())
            if user is None or not check_password(form.get("passwd", ""), user.password_hash):
                err = errors.bad_credentials()
                return _sign_in(st, path, app.display_name, params, f"AADSTS{err.code}: {err.message}")
            session, cookie = start_session(s, st, user)
        if session is None:
            return _sign_in(st, path, app.display_name, params, None)
        admin = s.get(User, session.user_id)
        tenant = s.get(Tenant, session.tenant_id)
        if admin is None or tenant is None:  # deleted since signing in
            return _sign_in(st, path, app.display_name, params, None)
        answer: dict[str, str]
        if not admin.administrator:
            err = errors.admin_consent_refused(admin.user_principal_name)
            answer = {"error": err.error, "error_description": f"AADSTS{err.code}: {err.message}"}
        elif app.tenant_id != tenant.id and app.sign_in_audience == "AzureADMyOrg":
            err = errors.application_not_found(app.app_id, tenant.display_name)
            answer = {"error": "invalid_request", "error_description": f"AADSTS{err.code}: {err.message}"}
        else:
            ensure_service_principal(s, app, tenant)
            grant_admin_consent(s, app, tenant)
            answer = {"admin_consent": "True", "tenant": tenant.id}
            if "scope" in params:
                answer["scope"] = params["scope"]
        if "state" in params:
            answer["state"] = params["state"]
    separator = "&" if "?" in redirect_uri else "?"
    response: Response = RedirectResponse(f"{redirect_uri}{separator}{urlencode(answer)}", status_code=302)
    if cookie is not None:
        set_session_cookie(response, st, cookie)
    return response


def _sign_in(
    st: EmulatorState, path: tenants.TenantPath, app_name: str, params: dict[str, str], error: str | None
) -> Response:
    return st.pages.render(
        "signin.html",
        tenant_name=path.display_name,
        app_name=f"{app_name} (permissions for your organization)",
        action=f"/{path.segment}/adminconsent",
        hidden=params,
        login_hint="",
        error=error,
    )
