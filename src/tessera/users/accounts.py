"""Basic authentication: sign-in, refresh with rotation, sign-out, passwords and throttling.

Everything is stored in the shared database, so throttling and sign-outs hold on every tessera
process and across restarts (OpenMetadata kept both in per-node memory).

A refresh token is opaque and single-use: each use returns a new one in the same family. A
refresh token used twice means it was copied; the whole family (every access and refresh
token of that sign-in) is revoked.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from tessera.audit.service import AuditLog
from tessera.auth import passwords, store
from tessera.auth.directory import UserDirectory
from tessera.auth.principal import Principal
from tessera.auth.tokens import TesseraTokens, TokenType
from tessera.config import Settings
from tessera.errors import AdminOnly, BadRequest, Forbidden, NotAuthenticated, NotFound
from tessera.storage.db import write_transaction

REFRESH_LIFETIME_S = 30 * 24 * 3600
NOT_PERMITTED = "Operation is not permitted with the Selected Authenticator."
# The one answer to every failed sign-in, whatever the cause.
INVALID_LOGIN = (
    "You have entered an invalid username or password. After repeated failures, sign-in from your "
    "address pauses for a while."
)


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    refresh_token: str
    expires_at_ms: int

    def as_json(self) -> dict[str, Any]:
        # OpenMetadata's JwtResponse.
        return {
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "tokenType": "Bearer",
            "expiryDuration": self.expires_at_ms,
        }


class Accounts:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        directory: UserDirectory,
        tokens: TesseraTokens,
        audit: AuditLog,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._directory = directory
        self._tokens = tokens
        self._audit = audit
        self._clock = clock

    @property
    def basic(self) -> bool:
        return self._settings.authenticationConfiguration.provider == "basic"

    def require_basic(self) -> None:
        if not self.basic:
            raise Forbidden(NOT_PERMITTED)

    # -- sign in ------------------------------------------------------------------------------

    def login(self, login: str, encoded_password: str, source: str | None = None) -> SignedIn:
        """Sign in with a password; ``source`` is the caller's address.

        Failures are throttled per account (or, for a name no account has, per login name) and
        source address together: after ``maxLoginFailAttempts`` failures from one address, each
        further attempt from it waits a growing delay (1 s, 2 s, 4 s, ... up to
        ``accessBlockTime``), and during a wait even the right password is refused. Another
        address is not affected, so nobody can lock a person out from elsewhere. Every refusal,
        whatever its cause (unknown name, wrong password, a wait), is the same answer after the
        same work: it tells nothing about accounts, aliases or throttling.
        """
        self.require_basic()
        password = passwords.decode_base64(encoded_password)
        typed = login.strip().lower()
        user = self._directory.by_email(typed) if "@" in typed else self._directory.by_name(login.strip())
        key = _attempts_key(user, typed)
        where = (source or "unknown")[:64]
        config = self._settings.loginConfiguration
        now_ms = self._now_ms()
        # Failures are recorded and committed before they are raised: a raise inside the
        # transaction would roll the count back.
        with write_transaction(self._engine) as conn:
            state = store.throttle(conn, key, where, lock=True)
            failures = state.failures
            if state.blocked_until <= now_ms and now_ms - state.updated_at > config.accessBlockTime * 1000:
                failures = 0  # quiet for a whole block time: a fresh start
            credential = (
                store.get_credential(conn, user["id"]) if user is not None and not user.get("isBot") else None
            )
            # Verified even while waiting, so that a wait costs what a wrong password costs.
            verified = passwords.verify(credential.password_hash if credential else None, password)
            waiting = state.blocked_until > now_ms
            if verified and not waiting:
                assert user is not None
                store.set_throttle(conn, key, where, 0, 0, now_ms)
                signed_in = self._issue_session(conn, user, family_id=str(uuid.uuid4()))
                self._audit.record(user["name"], "login", target_type="user", target=user["name"], conn=conn)
                return signed_in
            failures += 1
            blocked_until = 0
            if failures >= config.maxLoginFailAttempts:
                delay_s = min(config.accessBlockTime, 2 ** min(failures - config.maxLoginFailAttempts, 30))
                blocked_until = now_ms + delay_s * 1000
            store.set_throttle(conn, key, where, failures, blocked_until, now_ms)
            reason = "throttled" if waiting else "bad credentials"
            self._audit.record(
                typed, "login", outcome="failure", detail={"reason": reason, "source": where}, conn=conn
            )
        raise NotAuthenticated(INVALID_LOGIN)

    def refresh(self, refresh_token: str) -> SignedIn:
        self.require_basic()
        digest = store.token_hash(refresh_token)
        now_ms = self._now_ms()
        with write_transaction(self._engine) as conn:
            record = store.find_token(conn, digest, lock=True)
            if record is None or record.token_type != "REFRESH":
                raise NotAuthenticated("Invalid refresh token. Please login again.")
            if record.revoked_at is not None:
                raise NotAuthenticated("Refresh token was revoked. Please login again.")
            if record.expires_at is not None and record.expires_at <= now_ms:
                raise NotAuthenticated("Expired token. Please login again.")
            assert record.family_id is not None
            if record.used_at is None:
                user = self._directory.by_id(record.user_id)
                if user is None:
                    raise NotAuthenticated("The user of this refresh token no longer exists.")
                store.mark_used(conn, digest, now_ms)
                return self._issue_session(conn, user, family_id=record.family_id)
            # Used before: someone holds a copy. End the whole sign-in everywhere; the revocation
            # must commit, so the refusal is raised after the transaction.
            store.revoke(conn, store.family(conn, record.family_id), now_ms)
            self._audit.record(
                record.user_id, "refresh-token-reuse", target_type="user", outcome="failure", conn=conn
            )
        raise NotAuthenticated(
            "Refresh token reuse detected: every session of that sign-in was revoked. Please login again."
        )

    def logout(self, principal: Principal, token: str) -> None:
        digest = store.token_hash(token)
        with write_transaction(self._engine) as conn:
            record = store.find_token(conn, digest)
            if record is None or record.user_id != principal.user_id:
                raise BadRequest("The token to sign out is not a session of the signed-in user")
            targets = store.family(conn, record.family_id) if record.family_id else [record]
            store.revoke(conn, targets, self._now_ms())
            self._audit.record(principal.name, "logout", target_type="user", target=principal.name, conn=conn)

    def _issue_session(self, conn: Any, user: dict[str, Any], *, family_id: str) -> SignedIn:
        now_ms = self._now_ms()
        lifetime = self._settings.loginConfiguration.jwtTokenExpiryTime
        issued = self._tokens.issue(
            subject=user["name"], email=user["email"], token_type=TokenType.USER, lifetime_s=lifetime
        )
        store.add_token(
            conn,
            token_hash=store.token_hash(issued.token),
            token_type=TokenType.USER.value,
            token_id=issued.token_id,
            user_id=user["id"],
            created_at=now_ms,
            expires_at=issued.expires_at_ms,
            family_id=family_id,
        )
        refresh = secrets.token_urlsafe(32)
        store.add_token(
            conn,
            token_hash=store.token_hash(refresh),
            token_type="REFRESH",
            token_id=str(uuid.uuid4()),
            user_id=user["id"],
            created_at=now_ms,
            expires_at=now_ms + REFRESH_LIFETIME_S * 1000,
            family_id=family_id,
        )
        return SignedIn(issued.token, refresh, issued.expires_at_ms)

    # -- passwords ----------------------------------------------------------------------------

    def change_password(
        self, principal: Principal, request: dict[str, Any], current_token: str | None
    ) -> None:
        """Change one's own password (every other session ends; the one making the change stays)
        or, as an administrator, another user's (every session of theirs ends)."""
        self.require_basic()
        new = str(request.get("newPassword", ""))
        if new != request.get("confirmPassword"):
            raise BadRequest("newPassword and confirmPassword do not match")
        passwords.check_policy(new)
        for_other = request.get("requestType") == "USER"
        if for_other:
            if not principal.is_admin:
                raise AdminOnly(principal.display, "change another user's password")
            user = self._directory.by_name(str(request.get("username", "")))
            if user is None:
                raise NotFound(f"user {request.get('username')!r} not found")
        else:
            user = self._directory.by_id(principal.user_id or "")
            if user is None:
                raise NotFound("the signed-in user no longer exists")
        with write_transaction(self._engine) as conn:
            keep = None
            if not for_other:
                credential = store.get_credential(conn, user["id"])
                if not passwords.verify(
                    credential.password_hash if credential else None, str(request.get("oldPassword") or "")
                ):
                    raise BadRequest("Old Password is not correct")
                current = store.find_token(conn, store.token_hash(current_token)) if current_token else None
                keep = current.family_id if current is not None else None
            self.set_password(conn, user, new, must_change=for_other, keep_session=keep)
            self._audit.record(
                principal.name, "change-password", target_type="user", target=user["name"], conn=conn
            )

    def set_password(
        self,
        conn: Any,
        user: dict[str, Any],
        password: str,
        *,
        must_change: bool,
        keep_session: str | None = None,
    ) -> None:
        """Set a password and end every session (access and refresh tokens of every sign-in) of
        the user, except the sign-in ``keep_session`` (a family id) that is making the change:
        whoever knew the old password must not stay signed in for 30 days of refreshes."""
        if user.get("isBot"):
            raise BadRequest("Bots have no password; they authenticate with a token")
        store.set_credential(
            conn, user["id"], passwords.hash_password(password), self._now_ms(), must_change=must_change
        )
        sessions = [
            r
            for r in store.tokens_of(conn, user["id"])
            if r.token_type in (TokenType.USER.value, "REFRESH")
            and (keep_session is None or r.family_id != keep_session)
        ]
        store.revoke(conn, sessions, self._now_ms())

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)


def _attempts_key(user: dict[str, Any] | None, typed: str) -> str:
    """Failed sign-ins count per account, whichever of its names (user name, email) was typed,
    or else per login string, so that guessing at unknown names is throttled all the same and
    the answer does not tell whether the account exists.
    """
    if user is not None:
        return f"user:{user['id']}"
    # The column holds 320 characters; a longer login is no account anyway.
    return f"login:{typed[:300]}"
