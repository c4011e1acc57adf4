"""The on-behalf-of flow (``v2-oauth2-on-behalf-of-flow``; RFC 7523's ``jwt-bearer`` grant with
``requested_token_use=on_behalf_of``): a middle-tier API, a confidential client, trades the
user's access token it received for a token to a downstream API, for the same user.

The assertion must be a token this emulator issued (signature by one of its keys, RS256 only;
Graph tokens, signed over a hashed nonce, fail as they do in Entra), still valid, issued by this
emulator for its tenant (v1 or v2 issuer), for the middle tier (``aud`` its appId or one of its
App ID URIs), and for a user (an app-only token has no one to act for). The new token is the
middle tier's delegated token: its consent to the downstream API applies (AADSTS65001).
"""

from __future__ import annotations

from typing import Any

import jwt

from tessera.entra import grant_errors
from tessera.entra.clients import authenticate, find_client
from tessera.entra.grants import refresh_token
from tessera.entra.grants.base import GrantContext, user_tokens
from tessera.entra.models import Tenant, User
from tessera.entra.scopes import parse
from tessera.entra.tenants import v1_issuer, v2_issuer

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _verified_claims(ctx: GrantContext, assertion: str, audiences: list[str]) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise grant_errors.assertion_invalid(f"The assertion is not a JWT: {exc}") from None
    key = ctx.state.keys.public_keys().get(str(header.get("kid")))
    if key is None:
        raise grant_errors.assertion_invalid("The key was not found.")
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            audience=audiences,
            # Times against the emulator's clock, below.
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_iss": False},
        )
    except jwt.InvalidAudienceError:
        raise grant_errors.assertion_audience(audiences[0]) from None
    except jwt.PyJWTError as exc:
        raise grant_errors.assertion_invalid(str(exc)) from None
    skew = ctx.state.settings.lifetimes.clock_skew
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or exp + skew < ctx.now:
        raise grant_errors.assertion_expired()
    if isinstance(nbf, int | float) and nbf - skew > ctx.now:
        raise grant_errors.assertion_expired()
    tid = str(claims.get("tid", ""))
    if claims.get("iss") not in (v2_issuer(ctx.req.origin, tid), v1_issuer(ctx.req.origin, tid)):
        raise grant_errors.assertion_invalid("The issuer is not this authority's.")
    return claims


def handle(ctx: GrantContext) -> dict[str, Any]:
    req, s = ctx.req, ctx.s
    client = find_client(s, req.path, req.param("client_id"))
    # A middle tier is a confidential client: a public one meets AADSTS7000218.
    method = authenticate(
        s,
        client.app,
        req.credentials,
        public=False,
        audiences=req.assertion_audiences(),
        now=ctx.now,
        skew=ctx.state.settings.lifetimes.clock_skew,
    )
    if req.param("requested_token_use") != "on_behalf_of":
        raise grant_errors.requested_token_use()
    scope = parse(req.require("scope"))
    audiences = [client.app.app_id, *client.app.identifier_uris]
    claims = _verified_claims(ctx, req.require("assertion"), audiences)
    if "scp" not in claims or claims.get("idtyp") == "app":
        raise grant_errors.assertion_not_for_a_user()
    tenant = s.get(Tenant, str(claims["tid"]))
    user = s.get(User, str(claims.get("oid", "")))
    if tenant is None or user is None or user.tenant_id != tenant.id or not user.account_enabled:
        raise grant_errors.assertion_invalid("The user of the assertion is not in this directory.")
    if req.path.tenant_id is not None and req.path.tenant_id != tenant.id:
        raise grant_errors.assertion_invalid("The assertion was issued in another tenant.")
    auth_time = float(claims.get("auth_time", ctx.now))
    body = user_tokens(
        ctx,
        tenant=tenant,
        client_app=client.app,
        method=method,
        user=user,
        scope=scope,
        nonce=None,
        auth_time=auth_time,
        sid=None,
    )
    if "offline_access" in scope.oidc:
        body["refresh_token"] = refresh_token.mint(
            s,
            ctx,
            tenant_id=tenant.id,
            client_id=client.app.app_id,
            user_id=user.id,
            is_spa=False,
            confidential=True,
            scope=scope.raw,
            nonce=None,
            auth_time=auth_time,
            session_id=None,
        )
    return body
