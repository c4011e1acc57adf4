"""Who is calling: ``Authorization: Bearer <jwt>`` to a :class:`Principal`, or a 401 that says why.

Tokens tessera signed are checked against tessera's own keys and its allowlist of issued
tokens (so a revoked or replaced token stops working). Tokens from the configured identity
provider (Entra ID) go to that provider's validator; which validator a token is routed to is
decided by its unverified issuer, and each validator then pins its own keys, algorithm and
issuer, so a token signed by one issuer's key that claims the other issuer fails either way.

Without an ``Authorization`` header, the confidential client's session cookie (when that
client is configured) says who is calling; a Bearer token always wins over a cookie.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import jwt

from tessera.auth import store
from tessera.auth.cache import TokenCache
from tessera.auth.directory import UserDirectory
from tessera.auth.principal import Principal, Via
from tessera.auth.sessions import cookie_value
from tessera.auth.tokens import MAX_TOKEN_BYTES, TesseraTokens, TokenType, invalid_token, missing_token

_VIA: dict[str, Via] = {
    TokenType.BOT.value: "bot",
    TokenType.USER.value: "basic",
    TokenType.PERSONAL_ACCESS.value: "personal-token",
}
_REVOKED: dict[str, str] = {
    TokenType.BOT.value: (
        "The given token does not match the current bot's token (it was revoked or replaced)"
    ),
    TokenType.USER.value: "Token was revoked (signed out); sign in again",
    TokenType.PERSONAL_ACCESS.value: "Personal access token was revoked",
}


class IdentityProviderValidator(Protocol):
    """Validates tokens of an external IdP (Entra ID) and maps them to a principal."""

    def handles(self, unverified_issuer: str) -> bool: ...

    def authenticate(self, token: str) -> tuple[Principal, float]:
        """The principal and the epoch second until which it may be cached."""


class SessionAuthenticator(Protocol):
    """The confidential client's sessions (:class:`tessera.auth.sessions.WebSessions`)."""

    @property
    def cookie_name(self) -> str: ...

    def authenticate(self, cookie: str, csrf: str | None, method: str) -> Principal: ...


class TokenAuthenticator:
    def __init__(
        self,
        tokens: TesseraTokens,
        cache: TokenCache,
        directory: UserDirectory,
        *,
        idp: IdentityProviderValidator | None = None,
        sessions: SessionAuthenticator | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tokens = tokens
        self.cache = cache
        self.directory = directory
        self.idp = idp
        self.sessions = sessions
        self._clock = clock

    def authenticate(
        self,
        authorization: str | None,
        *,
        cookies: str | None = None,
        csrf: str | None = None,
        method: str = "GET",
    ) -> Principal:
        header = authorization
        if not header and self.sessions is not None:
            cookie = cookie_value(cookies, self.sessions.cookie_name)
            if cookie:
                return self.sessions.authenticate(cookie, csrf, method)
        if not header:
            raise missing_token()
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise missing_token("Authorization header must be 'Bearer <token>'")
        return self.authenticate_token(token)

    def authenticate_token(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise invalid_token(f"Token too large ({len(token)} bytes; the limit is 16 KiB)")
        digest = store.token_hash(token)
        cached = self.cache.get(digest)
        if cached is not None:
            return cached
        issuer = _unverified_issuer(token)
        if (
            self.idp is not None
            and issuer is not None
            and issuer != self.tokens.issuer
            and self.idp.handles(issuer)
        ):
            principal, until = self.idp.authenticate(token)
            self.cache.put(digest, principal, until, principal.user_id)
            return principal
        claims = self.tokens.verify(token)
        with self.cache.engine.connect() as conn:
            record = store.find_token(conn, digest)
        token_type = claims["tokenType"]
        if record is None:
            raise invalid_token("Token is not one this server issued or it was deleted")
        if record.revoked_at is not None:
            raise invalid_token(_REVOKED[token_type])
        user = self.directory.by_id(record.user_id)
        if user is None:
            raise invalid_token(f"The user {claims.get('sub')!r} of this token no longer exists")
        principal = self.directory.principal(user, _VIA[token_type])
        self.cache.put(digest, principal, float(claims["exp"]), record.user_id)
        return principal


def _unverified_issuer(token: str) -> str | None:
    """The ``iss`` a token claims, only to choose a validator; it is verified by that validator."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else None
