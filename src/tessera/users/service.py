"""Users and bots: creating them, their authentication mechanisms, bot tokens and personal
access tokens.

Secrets never leave in plaintext at rest or to the wrong reader: a bot's JWT and an SSO client
secret are sealed with Fernet inside the user document; responses show the bot JWT to
administrators only and never show a client secret (it comes back as ``*********``, and a
masked value written back keeps the stored secret).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, Engine

from tessera.audit.service import AuditLog
from tessera.auth import passwords, store
from tessera.auth.directory import UserDirectory
from tessera.auth.interfaces import Authorizer
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.auth.tokens import TesseraTokens, TokenType, expiry_seconds
from tessera.catalog import validation
from tessera.catalog.kinds import ROLE, USER
from tessera.catalog.models import ExpectedVersions
from tessera.catalog.service import Actor, CatalogService
from tessera.config import Settings
from tessera.errors import AdminOnly, BadRequest, NotFound
from tessera.secrets.box import MASK, SecretBox
from tessera.storage.db import write_transaction
from tessera.users import fields
from tessera.users.accounts import Accounts

Doc = dict[str, Any]
DEFAULT_ROLE = "DataConsumer"
SUPPORTED_SSO = ("azure",)


def actor_of(principal: Principal) -> Actor:
    return Actor(name=principal.name, is_bot=principal.is_bot)


class UserService:
    def __init__(
        self,
        catalog: CatalogService,
        engine: Engine,
        settings: Settings,
        directory: UserDirectory,
        tokens: TesseraTokens,
        box: SecretBox,
        accounts: Accounts,
        audit: AuditLog,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self._engine = engine
        self._settings = settings
        self.directory = directory
        self._tokens = tokens
        self._box = box
        self.accounts = accounts
        self._audit = audit
        self._clock = clock

    # -- users --------------------------------------------------------------------------------

    def create_or_update(
        self, principal: Principal, request: Mapping[str, Any], *, create_only: bool = False
    ) -> tuple[Doc, bool]:
        """POST/PUT /api/v1/users, including the bot flow of Settings » Bots » edit."""
        validation.validate("createUser", request)
        operation = "POST" if create_only else "PUT"
        mechanism = request.get("authenticationMechanism")
        password = request.get("password")
        is_bot = bool(request.get("isBot"))
        if mechanism is not None:
            if not is_bot:
                raise BadRequest(
                    "authenticationMechanism applies to bots; people sign in through the provider"
                )
            if not principal.is_admin:
                raise AdminOnly(principal.display, "change how a bot signs in")
        if password is not None:
            self.accounts.require_basic()
            if is_bot:
                raise BadRequest("Bots have no password; they authenticate with a token")
            passwords.check_policy(str(password))
            if request.get("confirmPassword") not in (None, password):
                raise BadRequest("password and confirmPassword do not match")
        body = {key: value for key, value in request.items() if key not in USER.hook_fields}
        judged = dict(request)
        if not body.get("roles") and not is_bot and self.directory.by_name(str(request["name"])) is None:
            default = self.catalog.find_by_name(ROLE, DEFAULT_ROLE)
            if default is not None:
                body["roles"] = [default["id"]]
                # The default role is the server's for a new user; on one that exists after all
                # (created meanwhile) it would be a change of roles like any other.
                judged["roles"] = body["roles"]
        guard = None if principal.is_admin else self._put_guard(principal, request, judged, operation)
        with self._auditing_refusals(principal):
            if create_only:
                if guard is not None:
                    guard(None)  # a POST creates, or fails with 409
                doc = self.catalog.create(USER, body, actor_of(principal))
                created = True
            else:
                result = self.catalog.create_or_update(USER, body, actor_of(principal), authorize=guard)
                doc, created = result.doc, result.outcome == "created"
        if password is not None:
            with write_transaction(self._engine) as conn:
                self.accounts.set_password(conn, doc, str(password), must_change=False)
        if mechanism is not None:
            doc = self.set_auth_mechanism(principal, doc, mechanism)
        # The catalog's write listener (users/listener.py) audits the change of the record.
        return doc, created

    def _put_guard(
        self, principal: Principal, request: Mapping[str, Any], judged: Mapping[str, Any], operation: str
    ) -> Callable[[Doc | None], None]:
        """A non-admin's POST or PUT, judged inside the write on the stored user (None: a new one):
        refused if it would change an admin-only field, create an administrator or bring back a
        deleted user.
        """
        name = str(request["name"])

        def guard(existing: Doc | None) -> None:
            if existing is None:
                refused = fields.changed_by_put(None, request)
                if self.directory.is_admin_email(str(request["email"])):
                    refused = sorted({*refused, "isAdmin"})
            elif existing.get("deleted"):
                refused = ["deleted"]
            else:
                refused = fields.changed_by_put(existing, judged)
            if refused:
                raise fields.FieldsRefused(principal, refused, operation, name, created=existing is None)

        return guard

    def patch(
        self,
        principal: Principal,
        user_id: str,
        operations: Any,
        authorizer: Authorizer,
        *,
        expected_versions: ExpectedVersions = None,
    ) -> Doc:
        """PATCH /api/v1/users/{id}, judged inside the write on what it changes: the top-level
        fields that differ between the stored user and the patched one, however the patch's
        pointers reached them (the root, ``from``, a path inside a field).
        """

        def judge(stored: Doc, patched: Doc) -> None:
            changed = fields.changed(stored, patched)
            if "authenticationMechanism" in changed:
                raise BadRequest(
                    "authenticationMechanism cannot be patched; use PUT /api/v1/users (bots) or "
                    "PUT /api/v1/users/generateToken/{id}"
                )
            refused = [name for name in changed if name in fields.ADMIN_ONLY]
            if refused and not principal.is_admin:
                raise fields.FieldsRefused(principal, refused, "PATCH", stored["name"], created=False)
            if principal.user_id == stored["id"] and set(changed) <= fields.SELF_SERVICE:
                return
            profile_only = set(changed) <= {"description", "displayName"}
            needed = Operation.EDIT_DESCRIPTION if profile_only else Operation.EDIT_ALL
            authorizer.check(principal, [needed], "user", stored)

        with self._auditing_refusals(principal):
            return self.catalog.patch(
                USER,
                user_id,
                operations,
                actor_of(principal),
                expected_versions=expected_versions,
                authorize=judge,
            )

    @contextmanager
    def _auditing_refusals(self, principal: Principal) -> Iterator[None]:
        """Audits a refused change once the refused write has rolled back."""
        try:
            yield
        except fields.FieldsRefused as refused:
            self._audit.record(
                principal.name,
                "user-create" if refused.created else "user-update",
                target_type="user",
                target=refused.user,
                outcome="failure",
                detail={"fields": refused.fields, "operation": refused.operation},
            )
            raise

    def delete(self, principal: Principal, user_id: str, *, hard: bool, recursive: bool) -> Doc:
        # The write listener (users/listener.py) revokes the user's tokens, drops its password and
        # Entra identity on a hard delete, and audits it, in the deleting transaction.
        return self.catalog.delete(USER, user_id, actor_of(principal), recursive=recursive, hard=hard)

    # -- bot authentication mechanism ---------------------------------------------------------

    def set_auth_mechanism(self, principal: Principal, user: Doc, mechanism: Mapping[str, Any]) -> Doc:
        validation.validate("authenticationMechanism", mechanism, what="authenticationMechanism")
        auth_type = mechanism.get("authType")
        config = dict(mechanism.get("config") or {})
        stored = copy.deepcopy(user.get("authenticationMechanism") or {})
        if auth_type == "JWT":
            expiry = str(config.get("JWTTokenExpiry") or "30")
            expiry_seconds(expiry)
            live = self._live_bot_tokens(user["id"])
            # A new expiry needs a new token: the live one carries the old `exp`.
            same_expiry = str((stored.get("config") or {}).get("JWTTokenExpiry")) == expiry
            if stored.get("authType") != "JWT" or not live or not same_expiry:
                return self._issue_bot_token(principal, user, expiry)[0]
            new = {"authType": "JWT", "config": {**stored.get("config", {}), "JWTTokenExpiry": expiry}}
        elif auth_type == "SSO":
            service = config.get("ssoServiceType")
            if service not in SUPPORTED_SSO:
                raise BadRequest(
                    f"ssoServiceType {service!r} is not supported; "
                    f"tessera supports {', '.join(SUPPORTED_SSO)}"
                )
            auth_config = dict(config.get("authConfig") or {})
            missing = [
                k for k in ("clientId", "clientSecret", "authority", "scopes") if not auth_config.get(k)
            ]
            if missing:
                raise BadRequest(f"Azure SSO for a bot needs {', '.join(missing)} in authConfig")
            self._refuse_shared_client_id(user, str(auth_config["clientId"]))
            secret = str(auth_config["clientSecret"])
            if secret == MASK:
                previous = ((stored.get("config") or {}).get("authConfig") or {}).get("clientSecret")
                if not previous:
                    raise BadRequest(
                        "clientSecret is masked (*********) but no secret is stored; send the secret"
                    )
                auth_config["clientSecret"] = previous
            else:
                auth_config["clientSecret"] = self._box.seal(secret)
            new = {"authType": "SSO", "config": {"ssoServiceType": service, "authConfig": auth_config}}
            with write_transaction(self._engine) as conn:
                # The bot now authenticates with Entra ID: its tessera token must stop working.
                store.revoke(conn, self._live_bot_tokens(user["id"], conn), self._now_ms())
        else:
            raise BadRequest(f"authType {auth_type!r} is not supported for bots; use JWT or SSO")
        doc = self._store_mechanism(principal, user, new)
        self._audit.record(
            principal.name,
            "auth-mechanism-change",
            target_type="user",
            target=user["name"],
            detail={"authType": auth_type},
        )
        return doc

    def _refuse_shared_client_id(self, user: Doc, client_id: str) -> None:
        """One Entra application authenticates one bot, or its tokens would be ambiguous."""
        after = None
        while True:
            page = self.catalog.page(USER, limit=200, after=after, subtype="bot")
            for row in page.rows:
                mechanism = row.doc.get("authenticationMechanism") or {}
                config = (mechanism.get("config") or {}).get("authConfig") or {}
                if row.id != user["id"] and str(config.get("clientId", "")).lower() == client_id.lower():
                    raise BadRequest(
                        f"ClientId {client_id} already authenticates bot {row.doc['name']!r}; "
                        "each bot needs its own Entra application"
                    )
            if page.after is None:
                return
            after = page.after

    def _store_mechanism(self, principal: Principal, user: Doc, mechanism: Doc) -> Doc:
        operation = "replace" if "authenticationMechanism" in user else "add"
        return self.catalog.patch(
            USER,
            user["id"],
            [{"op": operation, "path": "/authenticationMechanism", "value": mechanism}],
            actor_of(principal),
        )

    def generate_bot_token(self, principal: Principal, user_id: str, expiry: str) -> Doc:
        user = self._bot(user_id)
        _, mechanism = self._issue_bot_token(principal, user, expiry)
        return mechanism

    def _issue_bot_token(self, principal: Principal, user: Doc, expiry: str) -> tuple[Doc, Doc]:
        lifetime = expiry_seconds(expiry)
        issued = self._tokens.issue(
            subject=user["name"],
            email=user["email"],
            token_type=TokenType.BOT,
            lifetime_s=lifetime,
            is_bot=True,
        )
        now = self._now_ms()
        with write_transaction(self._engine) as conn:
            store.revoke(conn, self._live_bot_tokens(user["id"], conn), now)
            store.add_token(
                conn,
                token_hash=store.token_hash(issued.token),
                token_type=TokenType.BOT.value,
                token_id=issued.token_id,
                user_id=user["id"],
                created_at=now,
                expires_at=issued.expires_at_ms,
            )
        mechanism = {
            "authType": "JWT",
            "config": {
                "JWTToken": self._box.seal(issued.token),
                "JWTTokenExpiry": expiry,
                "JWTTokenExpiresAt": issued.expires_at_ms,
            },
        }
        doc = self._store_mechanism(principal, user, mechanism)
        self._audit.record(
            principal.name, "token-issue", target_type="bot", target=user["name"], detail={"expiry": expiry}
        )
        return doc, {
            "JWTToken": issued.token,
            "JWTTokenExpiry": expiry,
            "JWTTokenExpiresAt": issued.expires_at_ms,
        }

    def revoke_bot_token(self, principal: Principal, user_id: str) -> None:
        user = self._bot(user_id)
        with write_transaction(self._engine) as conn:
            store.revoke(conn, self._live_bot_tokens(user_id, conn), self._now_ms())
        stored = user.get("authenticationMechanism") or {}
        if stored.get("authType") == "JWT":
            config = {
                k: v
                for k, v in (stored.get("config") or {}).items()
                if k not in ("JWTToken", "JWTTokenExpiresAt")
            }
            self._store_mechanism(principal, user, {"authType": "JWT", "config": config})
        self._audit.record(principal.name, "token-revoke", target_type="bot", target=user["name"])

    def bot_token(self, user_id: str) -> Doc:
        user = self._bot(user_id)
        stored = user.get("authenticationMechanism") or {}
        config = dict(stored.get("config") or {}) if stored.get("authType") == "JWT" else {}
        token = config.get("JWTToken")
        if token and not self._live_bot_tokens(user_id):
            token = None
        return {
            "JWTToken": self._box.open(token) if token else None,
            "JWTTokenExpiry": config.get("JWTTokenExpiry", "30"),
            "JWTTokenExpiresAt": config.get("JWTTokenExpiresAt") if token else None,
        }

    def auth_mechanism(self, principal: Principal, user_id: str) -> Doc:
        user = self.directory.by_id(user_id)
        if user is None:
            raise NotFound(f"user instance for {user_id} not found")
        if not (principal.is_admin or principal.user_id == user_id):
            raise AdminOnly(principal.display, "see how bots and other users sign in")
        mechanism = user.get("authenticationMechanism")
        if not mechanism:
            return {}
        return self.present_mechanism(mechanism, principal, owner_id=user_id)

    def present_mechanism(
        self, mechanism: Mapping[str, Any], principal: Principal | None, owner_id: str
    ) -> Doc:
        out = copy.deepcopy(dict(mechanism))
        config = out.get("config") or {}
        if out.get("authType") == "JWT" and config.get("JWTToken"):
            may_see = principal is not None and (principal.is_admin or principal.user_id == owner_id)
            if may_see and self._live_token_exists(owner_id):
                config["JWTToken"] = self._box.open(config["JWTToken"])
            else:
                config.pop("JWTToken", None)
        auth_config = config.get("authConfig") if isinstance(config.get("authConfig"), dict) else None
        if auth_config is not None and auth_config.get("clientSecret"):
            auth_config["clientSecret"] = MASK
        return out

    def _live_token_exists(self, user_id: str) -> bool:
        return bool(self._live_bot_tokens(user_id))

    def _live_bot_tokens(self, user_id: str, conn: Connection | None = None) -> list[store.TokenRecord]:
        if conn is None:
            with self._engine.connect() as own:
                return self._live_bot_tokens(user_id, own)
        now = self._now_ms()
        return [
            record
            for record in store.tokens_of(conn, user_id, TokenType.BOT.value)
            if record.expires_at is None or record.expires_at > now
        ]

    def _bot(self, user_id: str) -> Doc:
        user = self.directory.by_id(user_id)
        if user is None:
            raise NotFound(f"user instance for {user_id} not found")
        if not user.get("isBot"):
            raise BadRequest(f"{user['name']} is not a bot; people use personal access tokens")
        return user

    # -- personal access tokens ---------------------------------------------------------------

    def create_personal_token(self, principal: Principal, request: Mapping[str, Any]) -> Doc:
        validation.validate("createPersonalToken", request)
        user = self._signed_in_user(principal)
        if user.get("isBot"):
            raise BadRequest("Bots cannot have a Personal Access Token.")
        lifetime = expiry_seconds(str(request["JWTTokenExpiry"]))
        issued = self._tokens.issue(
            subject=user["name"],
            email=user["email"],
            token_type=TokenType.PERSONAL_ACCESS,
            lifetime_s=lifetime,
        )
        with write_transaction(self._engine) as conn:
            store.add_token(
                conn,
                token_hash=store.token_hash(issued.token),
                token_type=TokenType.PERSONAL_ACCESS.value,
                token_id=issued.token_id,
                user_id=user["id"],
                name=str(request["tokenName"]),
                created_at=self._now_ms(),
                expires_at=issued.expires_at_ms,
            )
        self._audit.record(
            principal.name, "token-issue", target_type="personalAccessToken", target=str(request["tokenName"])
        )
        return {
            "token": issued.token_id,
            "tokenName": request["tokenName"],
            "userId": user["id"],
            "tokenType": "PERSONAL_ACCESS_TOKEN",
            "expiryDate": issued.expires_at_ms,
            "jwtToken": issued.token,
        }

    def personal_tokens(self, principal: Principal) -> list[Doc]:
        user = self._signed_in_user(principal)
        now = self._now_ms()
        with self._engine.connect() as conn:
            records = store.tokens_of(conn, user["id"], TokenType.PERSONAL_ACCESS.value)
        return [
            {
                "token": record.token_id,
                "tokenName": record.name,
                "userId": record.user_id,
                "tokenType": "PERSONAL_ACCESS_TOKEN",
                "expiryDate": record.expires_at or 0,
            }
            for record in records
            if record.expires_at is None or record.expires_at > now
        ]

    def revoke_personal_tokens(self, principal: Principal, token_ids: Sequence[str] | None) -> list[Doc]:
        user = self._signed_in_user(principal)
        with write_transaction(self._engine) as conn:
            mine = store.tokens_of(conn, user["id"], TokenType.PERSONAL_ACCESS.value)
            chosen = mine if token_ids is None else [r for r in mine if r.token_id in set(token_ids)]
            unknown = set(token_ids or []) - {r.token_id for r in mine}
            if unknown:
                raise NotFound(
                    f"personal access token(s) {', '.join(sorted(unknown))} not found for {user['name']}"
                )
            store.revoke(conn, chosen, self._now_ms())
        for record in chosen:
            self._audit.record(
                principal.name, "token-revoke", target_type="personalAccessToken", target=record.name
            )
        return self.personal_tokens(principal)

    def _signed_in_user(self, principal: Principal) -> Doc:
        user = self.directory.by_id(principal.user_id) if principal.user_id else None
        if user is None:
            raise BadRequest("Personal access tokens belong to a signed-in user; authentication is off")
        return user

    # -- the CLI's operations -----------------------------------------------------------------

    def reset_password(self, name: str, password: str | None = None) -> str:
        """An operator's reset: a random password the user must change, or one the operator
        chose (it must meet the policy) that stands as it is. Every session of the user ends."""
        user = self.directory.by_name(name)
        if user is None:
            raise NotFound(f"user {name!r} not found")
        chosen = password is not None
        if password is None:
            password = passwords.generate()
        else:
            passwords.check_policy(password)
        with write_transaction(self._engine) as conn:
            self.accounts.set_password(conn, user, password, must_change=not chosen)
        self._audit.record("tessera-cli", "change-password", target_type="user", target=name)
        return password

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
