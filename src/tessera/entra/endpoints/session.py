"""Sign-out (OIDC RP-Initiated Logout 1.0; ``v2-protocols-oidc`` "Send a sign-out request"; the v1
``/oauth2/logout`` behaves the same), the v1 document's ``check_session_iframe`` (OIDC Session
Management 1.0) and the userinfo endpoint (OIDC Core §5.3), which Entra serves on the Graph
host."""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
from sqlalchemy import delete, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from tessera.entra import redirect_uris, tenants
from tessera.entra.directory import GRAPH_APP_ID, GRAPH_RESOURCE, DirectoryError, sha256_hex
from tessera.entra.endpoints.authorize import SESSION_COOKIE, current_session
from tessera.entra.models import Application, SignInSession, User
from tessera.entra.registrations import find_application
from tessera.entra.render import json_response
from tessera.entra.state import emulator
from tessera.entra.tokens import restore_graph_signing_input


async def logout(request: Request) -> Response:
    st = emulator(request)
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    target = params.get("post_logout_redirect_uri")
    with st.store.transaction() as s:
        path = tenants.resolve(s, request.path_params["tenant"])
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            s.execute(delete(SignInSession).where(SignInSession.id_hash == sha256_hex(cookie)))
        allowed = False
        if target:
            client_id = params.get("client_id") or _client_of(params.get("id_token_hint"))
            if client_id:
                app = find_application(s, client_id)
                apps = [app] if app is not None else []
            else:
                query = select(Application)
                if path.tenant_id is not None:
                    query = query.where(Application.tenant_id == path.tenant_id)
                apps = list(s.scalars(query).all())
            allowed = redirect_uris.is_registered_anywhere(apps, target)
    if target and allowed:
        extra = {"state": params["state"]} if params.get("state") else {}
        location = f"{target}{'&' if '?' in target else '?'}{urlencode(extra)}" if extra else target
        response: Response = RedirectResponse(location, status_code=302)
    else:
        response = st.pages.render("signed_out.html", tenant_name=path.display_name)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def check_session(request: Request) -> Response:
    """GET: the page a relying party loads in an iframe and posts ``client_id session_state`` to.
    POST (the page's own call, with the session cookie): ``unchanged`` if ``session_state`` is
    the current session's, else ``changed``."""
    st = emulator(request)
    posted = (await request.body()).decode("utf-8", "replace").strip() if request.method == "POST" else None
    with st.store.transaction() as s:
        path = tenants.resolve(s, request.path_params["tenant"])
        if posted is None:
            return st.pages.render("check_session.html")
        session = current_session(s, request, st.now(), path)
        unchanged = session is not None and bool(posted) and session.sid == posted
    return PlainTextResponse("unchanged" if unchanged else "changed", headers={"Cache-Control": "no-store"})


def _client_of(id_token_hint: str | None) -> str | None:
    if not id_token_hint:
        return None
    try:
        aud = jwt.decode(id_token_hint, options={"verify_signature": False}).get("aud")
    except jwt.PyJWTError:
        return None
    return aud if isinstance(aud, str) else None


async def userinfo(request: Request) -> Response:
    """Accepts the emulator's own Microsoft Graph access tokens, as Graph's userinfo does."""
    st = emulator(request)
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise _unauthorized("Access token is missing.")
    token = auth[7:].strip()
    try:
        signed = restore_graph_signing_input(token)
    except ValueError:
        raise _unauthorized("Access token is malformed.") from None
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = st.keys.public_keys().get(str(kid))
        if key is None:
            raise _unauthorized("Access token signing key is not known.")
        claims = jwt.decode(
            signed,
            key,
            algorithms=["RS256"],
            audience=[GRAPH_APP_ID, GRAPH_RESOURCE, f"{GRAPH_RESOURCE}/"],
            options={"verify_iss": False, "require": ["exp", "aud", "oid", "tid"]},
        )
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"Access token validation failure. {exc}") from None
    with st.store.transaction() as s:
        user = s.get(User, claims["oid"])
        if user is None:
            raise _unauthorized("The user of this token no longer exists.")
        body = {
            "sub": claims.get("sub"),
            "name": user.display_name,
            "family_name": user.surname,
            "given_name": user.given_name,
            "picture": f"{GRAPH_RESOURCE}/v1.0/me/photo/$value",
        }
        if user.mail:
            body["email"] = user.mail
    return json_response({k: v for k, v in body.items() if v is not None})


def _unauthorized(message: str) -> DirectoryError:
    # Graph answers in its own error shape, not the token endpoint's.
    return DirectoryError(message, status=401, code="InvalidAuthenticationToken")
