"""Who an Entra ID token speaks for.

People are keyed by (``tid``, ``oid``), which Entra never reuses or lets a user change, bound to
a tessera user at first sign-in. The email (from the configured claims) is only used to find a
pre-created user on that first sign-in and for domain rules; a later change of email at the IdP
keeps the same tessera user. OpenMetadata keyed people on the local part of a mutable email,
so ``admin@attacker.onmicrosoft.com`` became ``admin``.

A tessera user holds at most one Entra identity (the database enforces it too). Emails are not
unique in a directory (the ``email`` claim is the settable ``mail``), and a sign-in name freed by
a rename goes to the next person who gets it; so an email match binds only a user that no
identity holds yet, and anyone else with that email is refused rather than let in as its owner.

Machines (client-credentials tokens) are bots: the one whose Azure SSO ``clientId`` is the
token's ``azp``/``appid``, or, as the Azure SSO guide documents, whose email is
``<service principal object id>@<principalDomain>``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.audit.service import AuditLog
from tessera.auth import mappings, store
from tessera.auth.directory import UserDirectory
from tessera.auth.entra import EntraClaims, EntraValidator
from tessera.auth.memberships import MembershipSync, Sighting
from tessera.auth.principal import Principal
from tessera.auth.tokens import invalid_token
from tessera.auth.trace import Trace, checking
from tessera.catalog.kinds import ROLE, USER
from tessera.catalog.service import Actor, CatalogService
from tessera.config import Settings
from tessera.errors import Conflict, Forbidden
from tessera.storage.db import write_transaction

Doc = dict[str, Any]
PROVIDER = "azure"
_SIGN_UP_ATTEMPTS = 5
SIGN_UP = Actor(name="tessera", is_bot=True)


class EntraIdentities:
    """The identity-provider half of authentication for ``provider: azure``."""

    def __init__(
        self,
        validator: EntraValidator,
        catalog: CatalogService,
        engine: Engine,
        directory: UserDirectory,
        settings: Settings,
        audit: AuditLog,
        *,
        memberships: MembershipSync | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.validator = validator
        self._catalog = catalog
        self._engine = engine
        self._directory = directory
        self._settings = settings
        self._audit = audit
        self.memberships = memberships
        self._clock = clock

    def handles(self, unverified_issuer: str) -> bool:
        return self.validator.handles(unverified_issuer)

    def authenticate(self, token: str, *, audiences: frozenset[str] = frozenset()) -> tuple[Principal, float]:
        """Who the token speaks for, until when. ``audiences``: more accepted for people (the
        confidential client's ID tokens are for its own client id)."""
        parsed = self.validator.validate(token)
        expires = float(parsed.claims["exp"])
        if parsed.app_only:
            bot, bot_audiences = self._bot_for(parsed)
            self.validator.check_audience(parsed, bot_audiences)
            bot = self._mapped(bot, parsed)
            return self._directory.principal(bot, "azure-app"), expires
        self.validator.check_audience(parsed, audiences)
        user = self._mapped(self._person(parsed), parsed)
        principal = self._directory.principal(user, "azure")
        if self._settings.authorizerConfiguration.useRolesFromProvider:
            # Entra app roles assigned to the person count as tessera roles of the same name.
            granted = parsed.claims.get("roles") or []
            principal = replace(principal, roles=principal.roles | {str(role) for role in granted})
        return principal, expires

    def verdict(self, token: str, trace: Trace, *, audiences: frozenset[str] = frozenset()) -> str:
        """What :meth:`authenticate` would do with ``token``, its checks recorded in ``trace``,
        without binding, signing up or changing any membership. Raises what it would raise."""
        parsed = self.validator.validate(token, trace)
        if parsed.app_only:
            bot, bot_audiences = self._bot_for(parsed, trace)
            self.validator.check_audience(parsed, bot_audiences, trace)
            return f"acts as the bot {bot['name']}"
        self.validator.check_audience(parsed, audiences, trace)
        outcome, user = self._decide(parsed, trace)
        if outcome == "bound":
            return f"signs in as the user {user['name']} (bound to this Entra ID identity)"
        if outcome == "bind":
            return f"signs in as the existing user {user['name']} and binds it to this Entra ID identity"
        return f"signs up as a new user with the email {user['email']}"

    def sighting(self, parsed: EntraClaims) -> Sighting:
        return Sighting(
            tenant_id=parsed.tenant_id,
            object_id=parsed.object_id,
            app_roles=mappings.claimed_app_roles(parsed.claims),
            groups=mappings.claimed_groups(parsed.claims),
        )

    def _mapped(self, user: Doc, parsed: EntraClaims) -> Doc:
        # Another tenant's administrators assign their own users to the app's roles and groups
        # in their own tenant: only the catalog's own tenant speaks for memberships here.
        if self.memberships is None or parsed.tenant_id.lower() != self.validator.home_tenant():
            return user
        return self.memberships.apply(user, self.sighting(parsed))

    # -- people -------------------------------------------------------------------------------

    def _person(self, parsed: EntraClaims) -> Doc:
        outcome, found = self._decide(parsed)
        if outcome in ("bound", "bind"):
            return found if outcome == "bound" else self._bind(found, parsed.tenant_id, parsed.object_id)
        return self._sign_up(found["email"], found["name"], parsed)

    def _decide(self, parsed: EntraClaims, trace: Trace | None = None) -> tuple[str, Doc]:
        """``("bound", user)``, ``("bind", user)`` or ``("sign-up", {"email", "name"})``, or the
        refusal: every rule of a person's sign-in, and no change made."""
        tid, oid = parsed.tenant_id, parsed.object_id
        with self._engine.connect() as conn:
            user_id = store.find_identity(conn, PROVIDER, tid, oid)
        if user_id is not None:
            user = self._directory.by_id(user_id)
            with checking(trace, "tessera user", "the bound user exists"):
                if user is None:
                    raise Forbidden(
                        "Your tessera user was deleted; ask an administrator to restore it "
                        "(PUT /api/v1/users/restore) or to delete it for good so that you can sign up again"
                    )
            # Domain rules hold on every sign-in, not only the first: turning them on shuts out
            # people already bound too. (A verified token is cached only for the settings it
            # passed: they are read once per process, and a restart starts with an empty cache.)
            if self._settings.authorizerConfiguration.enforcePrincipalDomain:
                with checking(trace, "principal claims"):
                    email = self._principal_claims(parsed)[0]
                with checking(trace, "email domain", email.rsplit("@", 1)[1]):
                    self._check_domain(email)
            return "bound", user
        with checking(trace, "principal claims"):
            email, username = self._principal_claims(parsed)
        with checking(trace, "email domain", email.rsplit("@", 1)[1]):
            self._check_domain(email)
        with checking(trace, "administrator's tenant"):
            self._check_admin_tenant(email, tid)
        existing = self._directory.by_email(email)
        if existing is not None:
            with checking(trace, "existing user", f"{existing['name']} has the email {email}"):
                if existing.get("isBot"):
                    raise Forbidden(f"{email} belongs to a bot; people cannot sign in as a bot")
                with self._engine.connect() as conn:
                    held = store.identity_of(conn, PROVIDER, existing["id"])
                if held is not None:
                    raise self._bound_elsewhere(existing, tid, oid, audited=trace is None)
            return "bind", existing
        auth = self._settings.authenticationConfiguration
        with checking(trace, "self sign-up"):
            # Listed administrators may always make their first sign-in: someone has to.
            if not auth.enableSelfSignup and not self._directory.is_admin_email(email):
                raise Forbidden(
                    f"User {email} is not registered in this catalog and self sign-up is off; ask an "
                    "administrator to create the user (PUT /api/v1/users) before signing in"
                )
        with checking(trace, "registration domain"):
            self._check_registration_domain(email)
        return "sign-up", {"email": email, "name": username}

    def _principal_claims(self, parsed: EntraClaims) -> tuple[str, str]:
        auth = self._settings.authenticationConfiguration
        claims = {key.lower(): value for key, value in parsed.claims.items()}
        mapping = dict(entry.split(":", 1) for entry in auth.jwtPrincipalClaimsMapping if ":" in entry)
        if mapping:
            email = claims.get(mapping.get("email", "").lower())
            username = claims.get(mapping.get("username", "").lower())
            if not email or not username:
                named = ", ".join(auth.jwtPrincipalClaimsMapping)
                raise invalid_token(f"Token lacks the claims named by jwtPrincipalClaimsMapping ({named})")
            return str(email).lower(), str(username).split("@", 1)[0].lower()
        # Entra's `sub` is pairwise (a different value for every app): the last resort only.
        configured = [name for name in auth.jwtPrincipalClaims if name.lower() != "sub"]
        fallback = ["sub"] if any(name.lower() == "sub" for name in auth.jwtPrincipalClaims) else []
        for name in (*configured, "upn", "unique_name", *fallback):
            value = claims.get(name.lower())
            if isinstance(value, str) and value:
                if "@" not in value:
                    value = f"{value}@{self._settings.authorizerConfiguration.principalDomain}"
                value = value.lower()
                return value, value.split("@", 1)[0]
        raise invalid_token(
            f"Token has none of the claims {', '.join(auth.jwtPrincipalClaims)}; add the email or upn "
            "optional claim to the app registration"
        )

    def _check_domain(self, email: str) -> None:
        authz = self._settings.authorizerConfiguration
        if not authz.enforcePrincipalDomain:
            return
        domain = email.rsplit("@", 1)[1]
        allowed = {authz.principalDomain.lower(), *(d.lower() for d in authz.allowedDomains)}
        if domain not in allowed:
            raise Forbidden(
                f"Email domain {domain!r} is not allowed here; this catalog accepts "
                f"{', '.join(sorted(allowed))} (authorizerConfiguration.principalDomain / allowedDomains)"
            )

    def _check_admin_tenant(self, email: str, tid: str) -> None:
        # adminPrincipals name people by email, and a tenant's administrators can set any
        # user's `mail`: only the catalog's own tenant may make an administrator's first sign-in.
        if not self._directory.is_admin_email(email):
            return
        home = self.validator.home_tenant()
        if tid.lower() != home:
            raise Forbidden(
                f"{email} is listed in adminPrincipals; administrators sign in from this catalog's own "
                f"tenant ({home}) only, and this token is from tenant {tid}"
            )

    def _check_registration_domain(self, email: str) -> None:
        allowed = {d.lower() for d in self._settings.authorizerConfiguration.allowedEmailRegistrationDomains}
        domain = email.rsplit("@", 1)[1]
        if "all" not in allowed and domain not in allowed:
            listed = ", ".join(sorted(allowed))
            raise Forbidden(
                f"Sign-up from {domain!r} is not allowed (allowedEmailRegistrationDomains: {listed})"
            )

    def _sign_up(self, email: str, username: str, parsed: EntraClaims) -> Doc:
        """A new user for a newcomer: never a deleted one brought back. A deleted user keeps its
        name, its id, its roles and its history for an administrator to restore; a newcomer with
        the same name gets the next free name instead (carol2)."""
        role = self._catalog.find_by_name(ROLE, "DataConsumer")
        request: Doc = {"email": email, "isBot": False}
        display = parsed.claims.get("name")
        if isinstance(display, str) and display:
            request["displayName"] = display
        if role is not None:
            request["roles"] = [role["id"]]
        user = None
        for _attempt in range(_SIGN_UP_ATTEMPTS):
            name = self._free_name(username)
            try:
                # Create, never create-or-update: an update would revive whatever holds the name.
                user = self._catalog.create(USER, {**request, "name": name}, SIGN_UP)
                break
            except Conflict:
                continue  # someone took the name in between
        if user is None:
            raise Conflict(f"Could not find a free user name for {email}; try signing in again")
        bound = self._bind(user, parsed.tenant_id, parsed.object_id)
        self._audit.record(
            name, "user-sign-up", target_type="user", target=email, detail={"tid": parsed.tenant_id}
        )
        return bound

    def _free_name(self, username: str) -> str:
        candidate, suffix = username, 1
        while self._directory.name_taken(candidate):
            suffix += 1
            candidate = f"{username}{suffix}"
        return candidate

    def _bind(self, user: Doc, tid: str, oid: str) -> Doc:
        """Bind (tid, oid) to ``user``, which must not be bound to another identity yet."""
        with self._engine.connect() as conn:
            held = store.identity_of(conn, PROVIDER, user["id"])
        if held is not None:
            raise self._bound_elsewhere(user, tid, oid, audited=True)
        now = int(self._clock() * 1000)
        try:
            with write_transaction(self._engine) as conn:
                store.bind_identity(conn, PROVIDER, tid, oid, user["id"], now)
        except sa.exc.IntegrityError:
            # A concurrent first request of the same person bound it already: that binding wins.
            # Or another identity bound this user in between: refused as above.
            with self._engine.connect() as conn:
                bound = store.find_identity(conn, PROVIDER, tid, oid)
                held = store.identity_of(conn, PROVIDER, user["id"])
            other = self._directory.by_id(bound) if bound else None
            if other is not None:
                return other
            if held is not None:
                raise self._bound_elsewhere(user, tid, oid, audited=True) from None
            raise
        return user

    def _bound_elsewhere(self, user: Doc, tid: str, oid: str, *, audited: bool) -> Forbidden:
        email = str(user.get("email", ""))
        if audited:
            self._audit.record(
                email,
                "user-sign-in",
                target_type="user",
                target=user["name"],
                outcome="failure",
                detail={"reason": "bound to another identity", "tid": tid, "oid": oid},
            )
        return Forbidden(
            f"The tessera user with email {email} is already bound to another Entra ID identity "
            "(a different directory account), so this account cannot sign in as that user. If the "
            "user should now belong to this account, an administrator can delete it for good "
            "(DELETE /api/v1/users/<id>?hardDelete=true), which removes the old binding, or change "
            "its email so that this account signs up as a new user"
        )

    # -- service principals -------------------------------------------------------------------

    def _bot_for(self, parsed: EntraClaims, trace: Trace | None = None) -> tuple[Doc, frozenset[str]]:
        with checking(trace, "service principal", f"appid {parsed.client_id}, object id {parsed.object_id}"):
            return self._find_bot(parsed)

    def _find_bot(self, parsed: EntraClaims) -> tuple[Doc, frozenset[str]]:
        client_id = parsed.client_id or ""
        oid = parsed.object_id
        domain = self._settings.authorizerConfiguration.principalDomain.lower()
        by_email: Doc | None = None
        for bot in self._bot_users():
            config = _azure_config(bot)
            if config is not None and str(config.get("clientId", "")).lower() == client_id.lower():
                return bot, _scope_audiences(config)
            if str(bot.get("email", "")).lower() == f"{oid}@{domain}".lower():
                by_email = bot
        if by_email is not None:
            config = _azure_config(by_email) or {}
            return by_email, _scope_audiences(config) | {client_id, f"api://{client_id}"}
        raise invalid_token(
            f"Unknown service principal: appid {client_id} (object id {oid}) is not a bot of this catalog. "
            f"Register it: Settings » Bots » <bot> » Azure SSO with ClientId {client_id}, or set the bot's "
            f"email to {oid}@{self._settings.authorizerConfiguration.principalDomain}"
        )

    def _bot_users(self) -> Iterator[Doc]:
        after = None
        while True:
            page = self._catalog.page(USER, limit=200, after=after, subtype="bot")
            for row in page.rows:
                yield row.doc
            if page.after is None:
                return
            after = page.after


def _azure_config(user: Doc) -> Doc | None:
    mechanism = user.get("authenticationMechanism") or {}
    config = mechanism.get("config") or {}
    if mechanism.get("authType") != "SSO" or config.get("ssoServiceType") != "azure":
        return None
    auth_config = config.get("authConfig")
    return auth_config if isinstance(auth_config, dict) else None


def _scope_audiences(config: Doc) -> frozenset[str]:
    """The resources a bot's configured scopes name (``api://x/.default`` -> ``api://x``), and
    for ``api://<guid>`` also the bare application id, which v2 tokens carry as ``aud``.
    The bot's own client id counts too: the guide's ingestion app asks for a token for itself.
    """
    audiences: set[str] = set()
    client = config.get("clientId")
    if client:
        audiences.update({str(client), f"api://{client}"})
    for scope in config.get("scopes") or []:
        resource = str(scope).rsplit("/", 1)[0] if "/" in str(scope) else str(scope)
        audiences.add(resource)
        if resource.startswith("api://"):
            audiences.add(resource[len("api://") :])
    return frozenset(audiences)
