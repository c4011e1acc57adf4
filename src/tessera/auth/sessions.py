"""The confidential client's sessions: an opaque cookie for the browser, everything else on
the server.

The cookie is 256 random bits, HttpOnly (no script reads it), ``SameSite=Lax`` (no other site's
form or script sends it) and ``Secure`` with the ``__Host-`` prefix in production or behind an
https public URL (only this host, only over TLS). The database keeps its SHA-256 only, with the
person and Entra's refresh token, sealed.

Every request the cookie authenticates that changes something (not GET, HEAD or OPTIONS)
must also carry the ``X-CSRF-Token`` header (OWASP's synchronizer token): a value derived from
the cookie that the UI reads from ``/auth/session`` and that a page of another site cannot
read. Bearer tokens need none: a browser never adds them by itself.

When Entra's tokens are due (their lifetime, at most ``oidcConfiguration.tokenValidity``), the
server refreshes them silently and checks the person again, as at sign-in: a user disabled or
removed in Entra, deleted here or shut out by a domain rule is signed out at that point.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from tessera.audit.service import AuditLog
from tessera.auth import sign_in_store as rows
from tessera.auth import store
from tessera.auth.cache import TokenCache
from tessera.auth.confidential import ConfidentialClient, Tokens
from tessera.auth.directory import UserDirectory
from tessera.auth.identity import EntraIdentities
from tessera.auth.principal import Principal
from tessera.config import Settings
from tessera.errors import Forbidden, NotAuthenticated
from tessera.secrets.box import SecretBox
from tessera.storage.db import write_transaction

log = logging.getLogger(__name__)

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE = "tessera_session"
SECURE_COOKIE = "__Host-tessera_session"
FLOW_COOKIE = "tessera_signin"
SECURE_FLOW_COOKIE = "__Host-tessera_signin"


def session_key(cookie: str) -> str:
    # Prefixed, so that the cookie sent as a Bearer token never finds the session's cache entry.
    return hashlib.sha256(b"tessera-session\0" + cookie.encode()).hexdigest()


def csrf_token(cookie: str) -> str:
    """Derived from the cookie, so nothing more is stored; the stored key (another hash) does
    not give it away."""
    return hashlib.sha256(b"tessera-csrf\0" + cookie.encode()).hexdigest()


def cookie_value(header: str | None, name: str) -> str | None:
    """``name``'s value in a Cookie header (RFC 6265 §5.4), or None."""
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name and value:
            return value.strip('"')
    return None


@dataclass(frozen=True)
class CookiePolicy:
    name: str
    flow_name: str
    secure: bool
    max_age_s: int


class WebSessions:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        box: SecretBox,
        cache: TokenCache,
        directory: UserDirectory,
        identities: EntraIdentities,
        client: ConfidentialClient,
        audit: AuditLog,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._oidc = settings.authenticationConfiguration.oidcConfiguration
        self._box = box
        self._cache = cache
        self._directory = directory
        self.identities = identities
        self.client = client
        self._audit = audit
        self._clock = clock
        public = settings.server.publicUrl or self._oidc.serverUrl or client.callback_url
        secure = settings.server.production or public.startswith("https://")
        self.cookies = CookiePolicy(
            name=SECURE_COOKIE if secure else COOKIE,
            flow_name=SECURE_FLOW_COOKIE if secure else FLOW_COOKIE,
            secure=secure,
            max_age_s=self._oidc.sessionExpiry,
        )

    @property
    def cookie_name(self) -> str:
        return self.cookies.name

    # -- sign-in and sign-out -----------------------------------------------------------------

    def start(self, tokens: Tokens) -> tuple[str, Principal]:
        """A session for the person Entra signed in: the same checks as any Entra sign-in
        (tenant, audience, binding, domain rules, mappings), then the cookie value."""
        principal, _until = self.identities.authenticate(
            tokens.id_token, audiences=frozenset({self._oidc.id})
        )
        if principal.user_id is None:
            raise NotAuthenticated("Not Authorized! The ID token names no tessera user")
        cookie = secrets.token_urlsafe(32)
        now = self._now_ms()
        with write_transaction(self._engine) as conn:
            rows.add_session(
                conn,
                rows.WebSession(
                    id_hash=session_key(cookie),
                    user_id=principal.user_id,
                    created_at=now,
                    expires_at=now + self._oidc.sessionExpiry * 1000,
                    refresh_due_at=self._refresh_due(now, tokens),
                    refresh_token=self._box.seal(tokens.refresh_token) if tokens.refresh_token else None,
                    login_hint=tokens.login_hint,
                    revoked_at=None,
                ),
            )
            # Sessions over for a whole sessionExpiry are of no use to anyone any more.
            rows.delete_ended(conn, now - self._oidc.sessionExpiry * 1000)
        self._audit.record(
            principal.display,
            "user-sign-in",
            target_type="user",
            target=principal.name,
            detail={"via": "session"},
        )
        return cookie, principal

    def end(self, cookie: str | None, csrf: str | None) -> str | None:
        """Sign out: the session ends here and in every process; returns the login hint for
        Entra's own sign-out."""
        if not cookie:
            return None
        self._check_csrf(cookie, csrf)
        key = session_key(cookie)
        with self._engine.connect() as conn:
            found = rows.find_session(conn, key)
        if found is None or found.revoked_at is not None:
            return None
        self._revoke(key, found.user_id, "user-sign-out")
        return found.login_hint

    # -- each request -------------------------------------------------------------------------

    def authenticate(self, cookie: str, csrf: str | None, method: str) -> Principal:
        if method.upper() not in SAFE_METHODS:
            self._check_csrf(cookie, csrf)
        key = session_key(cookie)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        with self._engine.connect() as conn:
            found = rows.find_session(conn, key)
        now = self._now_ms()
        if found is None or found.revoked_at is not None:
            raise NotAuthenticated(
                "Not Authorized! Your session has ended (signed out, or ended by an administrator); "
                "sign in again"
            )
        if found.expires_at <= now:
            raise NotAuthenticated(
                "Not Authorized! Your session is over (oidcConfiguration.sessionExpiry); sign in again"
            )
        if found.refresh_due_at <= now:
            found = self._refreshed(found)
        user = self._directory.by_id(found.user_id)
        if user is None:
            raise NotAuthenticated("Not Authorized! The user of this session no longer exists; sign in again")
        principal = self._directory.principal(user, "azure")
        until = min(found.refresh_due_at, found.expires_at) / 1000
        self._cache.put(key, principal, until, found.user_id)
        return principal

    def csrf_for(self, cookie: str) -> str:
        return csrf_token(cookie)

    def _check_csrf(self, cookie: str, csrf: str | None) -> None:
        if not csrf or not hmac.compare_digest(csrf, csrf_token(cookie)):
            raise Forbidden(
                f"Cross-site request refused: a request that changes something and is signed in by the "
                f"session cookie must carry the {CSRF_HEADER} header with the value GET /auth/session "
                "returns (tessera's UI sends it; scripts should use a Bearer token instead)"
            )

    def _refreshed(self, found: rows.WebSession) -> rows.WebSession:
        if not found.refresh_token:
            self._revoke(found.id_hash, found.user_id, "user-session-ended")
            raise NotAuthenticated(
                "Not Authorized! Your session cannot be renewed (Entra ID gave no refresh token); "
                "sign in again"
            )
        try:
            tokens = self.client.refresh(self._box.open(found.refresh_token))
            principal, _until = self.identities.authenticate(
                tokens.id_token, audiences=frozenset({self._oidc.id})
            )
        except NotAuthenticated as exc:
            self._revoke(found.id_hash, found.user_id, "user-session-ended", reason=exc.message)
            raise NotAuthenticated(
                f"Not Authorized! Your session ended: {exc.message.removeprefix('Not Authorized! ')}"
            ) from None
        except Forbidden as exc:
            self._revoke(found.id_hash, found.user_id, "user-session-ended", reason=exc.message)
            raise
        if principal.user_id != found.user_id:
            self._revoke(found.id_hash, found.user_id, "user-session-ended", reason="another user")
            raise NotAuthenticated("Not Authorized! The renewed sign-in names another user; sign in again")
        due = self._refresh_due(self._now_ms(), tokens)
        sealed = self._box.seal(tokens.refresh_token) if tokens.refresh_token else None
        with write_transaction(self._engine) as conn:
            rows.refreshed(conn, found.id_hash, refresh_token=sealed, refresh_due_at=due)
        return rows.WebSession(
            found.id_hash,
            found.user_id,
            found.created_at,
            found.expires_at,
            due,
            sealed or found.refresh_token,
            found.login_hint,
            None,
        )

    def _revoke(self, key: str, user_id: str, action: str, *, reason: str | None = None) -> None:
        now = self._now_ms()
        with write_transaction(self._engine) as conn:
            rows.revoke_session(conn, key, now)
            # Every process forgets the cached session within a second.
            store.add_event(conn, "token", key, now)
        user = self._directory.by_id(user_id)
        name = user["name"] if user else user_id
        self._audit.record(
            str((user or {}).get("email") or name),
            action,
            target_type="user",
            target=name,
            detail={"via": "session", **({"reason": reason} if reason else {})},
        )

    def _refresh_due(self, now_ms: int, tokens: Tokens) -> int:
        lifetime = min(tokens.expires_in, self._oidc.tokenValidity)
        return now_ms + lifetime * 1000

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
