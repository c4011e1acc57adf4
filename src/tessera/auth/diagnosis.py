"""Why a token is, or would be, refused: ``tessera doctor token`` and the UI's "Test sign-in".

The checks are the validator's and the identity service's own, run with a
:class:`~tessera.auth.trace.Trace` (no binding, no sign-up, no membership change): the refusal
shown is the very 401 or 403 the API answers with, and the checks before it are the ones the
token passed. Around it the diagnosis shows what the token says (never the token itself, nor its
signature), times measured against this server's clock, and what to change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt

from tessera.auth import mappings
from tessera.auth.identity import EntraIdentities
from tessera.auth.principal import Principal
from tessera.auth.trace import Trace
from tessera.errors import TesseraError

# What to change, by the check that refused (the refusal's own message comes first).
HINTS: dict[str, str] = {
    "size": "Entra's tokens are a few KiB; this is not one of them.",
    "format": "Paste the whole token: three base64url parts separated by dots, starting with eyJ.",
    "Microsoft Graph audience": (
        "The client asked for a Microsoft Graph scope (User.Read, or only openid/profile): ask for "
        "tessera's own scope, api://<clientId>/access_as_user for people or api://<clientId>/.default "
        "for applications."
    ),
    "header": "Entra ID signs with RS256 and names its key by kid; a token bringing its own key is forged.",
    "signing key": (
        "The key is not among the authority's published keys: a token of another authority or tenant, a "
        "forgery, or a key rolled over since the last fetch (refetched at most every "
        "jwksRefreshCooldownSeconds)."
    ),
    "signature and times": (
        "An expired token needs a new one (the client renews it); a token not valid yet or expired right "
        "after it was issued means a clock is off: run tessera doctor, which measures the skew."
    ),
    "issuer": "The token is from another authority or cloud: authenticationConfiguration.authority.",
    "version": "The token's ver claim contradicts its issuer: it was not made by Entra ID.",
    "tenant": "Sign in with an account of the allowed tenant, or add the tenant to allowedTenants.",
    "key's tenant": "The key belongs to another tenant: the token is forged or from another tenant.",
    "accepted versions": (
        "Set accessTokenAcceptedVersion: 2 in the API app's manifest, or add 1.0 to acceptedTokenVersions."
    ),
    "audience": "Ask for a token for tessera's API (its App ID URI), not for another API.",
    "service principal": "Register the application as a bot (Settings » Bots), as the message says.",
    "principal claims": "Add the email or upn optional claim to the app registration (Token configuration).",
    "email domain": "authorizerConfiguration.principalDomain / allowedDomains decide who may sign in.",
    "administrator's tenant": "Administrators sign in from the catalog's own tenant only.",
    "existing user": "An administrator can delete the old user for good, or change its email.",
    "self sign-up": "An administrator creates the user first, or sets enableSelfSignup.",
    "registration domain": "authorizerConfiguration.allowedEmailRegistrationDomains decides who may sign up.",
    "tessera user": "An administrator restores the user (PUT /api/v1/users/restore) or deletes it for good.",
}
_FACT_CLAIMS = (
    "iss",
    "aud",
    "tid",
    "oid",
    "azp",
    "appid",
    "ver",
    "idtyp",
    "scp",
    "roles",
    "name",
    "preferred_username",
    "email",
    "upn",
)


@dataclass
class Diagnosis:
    accepted: bool
    status: int
    verdict: str
    checks: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    hint: str | None = None
    memberships: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "status": self.status,
            "verdict": self.verdict,
            "checks": self.checks,
            "facts": self.facts,
            "hint": self.hint,
            "memberships": self.memberships,
        }


def explain(
    token: str,
    *,
    identities: EntraIdentities | None,
    authenticate: Callable[[str], Principal],
    audiences: frozenset[str] = frozenset(),
    clock: Callable[[], float] = time.time,
) -> Diagnosis:
    """The diagnosis of ``token``: by the Entra validator when it routes there (as the API's
    authenticator decides, by the unverified issuer), else by tessera's own token checks."""
    facts = token_facts(token, clock())
    issuer = facts.get("iss")
    if identities is None or not isinstance(issuer, str) or not identities.handles(issuer):
        return _own_token(token, facts, authenticate)
    trace = Trace()
    try:
        outcome = identities.verdict(token, trace, audiences=audiences)
    except TesseraError as exc:
        refusal = trace.refusal
        check = refusal.check if refusal is not None else "sign-in"
        return Diagnosis(
            accepted=False,
            status=exc.status,
            verdict=exc.message,
            checks=_checks(trace, failed=check),
            facts=facts,
            hint=HINTS.get(check),
        )
    return Diagnosis(
        accepted=True,
        status=200,
        verdict=f"Accepted: {outcome}",
        checks=_checks(trace, failed=None),
        facts=facts,
        memberships=_memberships(identities, token),
    )


def _own_token(token: str, facts: dict[str, Any], authenticate: Callable[[str], Principal]) -> Diagnosis:
    check = "tessera's token"
    try:
        principal = authenticate(token)
    except TesseraError as exc:
        return Diagnosis(
            accepted=False,
            status=exc.status,
            verdict=exc.message,
            checks=[{"check": check, "outcome": "failed", "detail": exc.message}],
            facts=facts,
            hint=(
                "Not a token of the configured identity provider (by its issuer), so tessera checked it as "
                "one of its own (bot, personal access or sign-in token)."
            ),
        )
    return Diagnosis(
        accepted=True,
        status=200,
        verdict=f"Accepted: acts as {principal.name} ({principal.via})",
        checks=[{"check": check, "outcome": "passed", "detail": "signed by this server and not revoked"}],
        facts=facts,
    )


def _checks(trace: Trace, *, failed: str | None) -> list[dict[str, str]]:
    checks = [{"check": name, "outcome": "passed", "detail": detail} for name, detail in trace.passed]
    if failed is not None and trace.refusal is not None:
        checks.append({"check": failed, "outcome": "failed", "detail": trace.refusal.message})
    return checks


def _memberships(identities: EntraIdentities, token: str) -> list[str]:
    """What the mappings make of this token (groups past the overage are read at sign-in)."""
    sync = identities.memberships
    if sync is None:
        return []
    claims = jwt.decode(token, options={"verify_signature": False})
    if str(claims.get("tid", "")).lower() != identities.validator.home_tenant():
        return ["none: only the catalog's own tenant is mapped"]
    groups = mappings.claimed_groups(claims)
    granted = mappings.granted(sync.rules, mappings.claimed_app_roles(claims), groups)
    shown = [
        f"{grant.label()} (from {', '.join(mappings.describe_source(s) for s in sorted(sources))})"
        for grant, sources in sorted(granted.items())
    ]
    if groups is None:
        shown.append("and whatever the person's groups grant: past 200 groups they are read from Graph")
    return shown


def token_facts(token: str, now: float) -> dict[str, Any]:
    """What a token says, readable, without the token or its signature."""
    facts: dict[str, Any] = {}
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return {"readable": False}
    facts["header"] = {key: header[key] for key in ("alg", "kid", "typ") if key in header}
    for name in _FACT_CLAIMS:
        if name in claims:
            facts[name] = claims[name]
    if isinstance(claims.get("groups"), list):
        facts["groups"] = f"{len(claims['groups'])} group(s)"
    elif mappings.has_groups_overage(claims):
        facts["groups"] = "more than 200 (the overage: read from Microsoft Graph)"
    for name in ("iat", "nbf", "exp"):
        value = claims.get(name)
        if isinstance(value, int | float):
            facts[name] = _when(float(value), now)
    facts["kind"] = "application (client credentials)" if _app_only(claims) else "person"
    return facts


def _app_only(claims: Mapping[str, Any]) -> bool:
    if "scp" in claims:
        return False
    people = ("preferred_username", "upn", "unique_name", "email", "name", "nonce")
    return claims.get("idtyp") == "app" or not any(name in claims for name in people)


def _when(epoch: float, now: float) -> str:
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    delta = int(epoch - now)
    if abs(delta) < 2:
        return f"{stamp} (now)"
    amount = _duration(abs(delta))
    return f"{stamp} ({'in ' + amount if delta > 0 else amount + ' ago'} by this server's clock)"


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
