"""The token endpoint (RFC 6749 §3.2): authenticate nothing here, parse the form, dispatch to the
grant's module, and answer with ``Cache-Control: no-store`` (RFC 6749 §5.1).

The v1 endpoint (``/{tenant}/oauth2/token``) takes the same grants but names the resource with
``resource`` (an App ID URI or appId) rather than scopes. A v1 resource means every permission
consented for it, which is what v2 calls ``{resource}/.default``: :func:`v1_form` rewrites the
request so, and the grants answer in v1's shape (``grants.base.v1_answer``) with v1 ID tokens.
The access token's version is the resource's choice on both endpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from tessera.entra import errors, tenants
from tessera.entra.clients import presented
from tessera.entra.errors import EntraError
from tessera.entra.grants import (
    authorization_code,
    client_credentials,
    device_code,
    on_behalf_of,
    password,
    refresh_token,
)
from tessera.entra.grants.base import GrantContext, TokenRequest
from tessera.entra.render import NO_STORE, json_response
from tessera.entra.scopes import DEFAULT
from tessera.entra.state import emulator


async def form_fields(request: Request) -> dict[str, str]:
    """The POST body as a dict. The token endpoint only takes ``application/x-www-form-urlencoded``
    (RFC 6749 §3.2), which the standard library parses faster than a multipart-capable parser."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        body = (await request.body()).decode("utf-8", "replace")
        return dict(parse_qsl(body, keep_blank_values=True))
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


GRANTS: dict[str, Callable[[GrantContext], dict[str, Any]]] = {
    "authorization_code": authorization_code.handle,
    "client_credentials": client_credentials.handle,
    "refresh_token": refresh_token.handle,
    device_code.GRANT_TYPE: device_code.handle,
    password.GRANT_TYPE: password.handle,
    on_behalf_of.GRANT_TYPE: on_behalf_of.handle,
}


def v1_form(form: dict[str, str]) -> dict[str, str]:
    """A v1 token request in v2 terms: ``resource`` → ``scope={resource}/.default`` (plus
    ``openid`` when redeeming a code: the v1 answer carries an ID token). v1's own ``scope``
    parameter only holds OpenID values and is dropped. Without ``resource`` the grants fall back
    to the one the code or refresh token was issued for, and fail with AADSTS500013 if none."""
    out = {k: v for k, v in form.items() if k not in ("scope", "resource")}
    resource = form.get("resource", "").strip().rstrip("/")
    if resource:
        extra = " openid" if form.get("grant_type") == "authorization_code" else ""
        out["scope"] = f"{resource}/{DEFAULT}{extra}"
    return out


async def token(request: Request) -> Response:
    return await _token(request, v1=False)


async def token_v1(request: Request) -> Response:
    return await _token(request, v1=True)


async def _token(request: Request, *, v1: bool) -> Response:
    if request.method != "POST":
        raise errors.post_only(request.method)
    st = emulator(request)
    form = await form_fields(request)
    if v1:
        form = v1_form(form)
    credentials = presented(form, request.headers.get("authorization"))
    if not form.get("client_id") and credentials.basic_client_id:
        form["client_id"] = credentials.basic_client_id
    origin = st.origin(request)
    segment = request.path_params["tenant"]
    ctx: GrantContext | None = None
    try:
        with st.store.unit() as unit:
            path = st.store.cached(("tenant-path", segment), lambda: tenants.resolve(unit.session, segment))
            grant_type = form.get("grant_type")
            if not grant_type:
                raise errors.missing_parameter("grant_type")
            handler = GRANTS.get(grant_type)
            if handler is None:
                raise errors.unsupported_grant_type(grant_type)
            req = TokenRequest(
                form=form,
                path=path,
                origin=origin,
                request_origin=request.headers.get("origin"),
                credentials=credentials,
                client_ip=request.client.host if request.client else None,
                v1=v1,
            )
            ctx = GrantContext(unit=unit, state=st, req=req, now=st.now())
            body = handler(ctx)
    except EntraError:
        if ctx is not None and ctx.on_failure:
            with st.store.transaction() as s:
                for change in ctx.on_failure:
                    change(s)
        raise
    return json_response(body, headers=NO_STORE)
