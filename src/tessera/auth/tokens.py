"""tessera's own JWTs (RFC 7519, signed RS256 per RFC 7515) for bots, signed-in users and
personal access tokens.

Validation pins everything the token could otherwise choose: the algorithm is RS256 whatever
the header says, the key is looked up by ``kid`` in tessera's own ring only (``jku``, ``x5u``,
``jwk`` and ``x5c`` headers are refused outright), the issuer must be ``jwtissuer``, and
``exp`` is required: tessera issues no token without an expiry and accepts none.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt

from tessera.auth.keys import KeyRing
from tessera.errors import BadRequest, NotAuthenticated

ALGORITHM = "RS256"
MAX_TOKEN_BYTES = 16 * 1024
_FORBIDDEN_HEADERS = ("jku", "x5u", "jwk", "x5c")


class TokenType(StrEnum):
    BOT = "BOT"
    USER = "OM_USER"
    PERSONAL_ACCESS = "PERSONAL_ACCESS"


_TOKEN_TYPES = frozenset(t.value for t in TokenType)

# OpenMetadata's JWTTokenExpiry values, in seconds. "Unlimited" is refused: a token that never
# expires is a credential that can never be taken back once leaked from a log or a laptop.
EXPIRY_SECONDS: dict[str, int] = {
    "OneHour": 3600,
    "1": 86400,
    "7": 7 * 86400,
    "30": 30 * 86400,
    "60": 60 * 86400,
    "90": 90 * 86400,
}


def expiry_seconds(choice: str) -> int:
    if choice == "Unlimited":
        raise BadRequest(
            "tessera does not issue tokens without expiry; "
            "choose JWTTokenExpiry OneHour, 1, 7, 30, 60 or 90 (days)"
        )
    try:
        return EXPIRY_SECONDS[choice]
    except KeyError:
        raise BadRequest(f"JWTTokenExpiry {choice!r} is not one of OneHour, 1, 7, 30, 60, 90") from None


def invalid_token(reason: str) -> NotAuthenticated:
    """401 with the reason in the body and in RFC 6750 §3's WWW-Authenticate challenge."""
    # Header values are ASCII (RFC 9110 §5.5); the body keeps the full text.
    description = reason.replace("»", ">").replace("\\", "\\\\").replace('"', "'")
    description = description.encode("ascii", "replace").decode("ascii")
    challenge = f'Bearer realm="tessera", error="invalid_token", error_description="{description}"'
    return NotAuthenticated(f"Not Authorized! {reason}", headers={"WWW-Authenticate": challenge})


def missing_token(reason: str = "Token not present") -> NotAuthenticated:
    return NotAuthenticated(
        f"Not Authorized! {reason}", headers={"WWW-Authenticate": 'Bearer realm="tessera"'}
    )


@dataclass(frozen=True)
class Issued:
    token: str
    token_id: str
    expires_at_ms: int


class TesseraTokens:
    def __init__(
        self, keys: KeyRing, issuer: str, *, leeway_s: int = 60, clock: Callable[[], float] = time.time
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.leeway_s = leeway_s
        self._clock = clock

    def issue(
        self,
        *,
        subject: str,
        email: str,
        token_type: TokenType,
        lifetime_s: int,
        is_bot: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> Issued:
        now = int(self._clock())
        token_id = str(uuid.uuid4())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "email": email,
            "isBot": is_bot,
            "tokenType": token_type.value,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            "jti": token_id,
            **(extra or {}),
        }
        key = self.keys.signing
        token = jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": "JWT"})
        return Issued(token=token, token_id=token_id, expires_at_ms=(now + lifetime_s) * 1000)

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or a 401 that says exactly what is wrong with it."""
        if len(token.encode()) > MAX_TOKEN_BYTES:
            raise invalid_token(f"Token too large ({len(token.encode())} bytes; the limit is 16 KiB)")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            # DecodeError and its siblings (a header whose fields have the wrong types, an
            # unsupported `crit`): every one is the caller's token, never our 500.
            raise invalid_token(f"Malformed token: {exc}") from None
        kid = pinned_key_id(header, refusal="tessera never takes keys from a token")
        key = self.keys.verifying_key(kid)
        if key is None:
            raise invalid_token(
                f"Unknown signing key {_shown(kid)}: the token was not signed by this server's keys"
            )
        claims = decode_verified(
            token, key, leeway_s=self.leeway_s, require=("exp", "iat", "iss", "sub"), issuer=self.issuer
        )
        if not isinstance(claims.get("tokenType"), str) or claims["tokenType"] not in _TOKEN_TYPES:
            raise invalid_token(f"Token type {_shown(claims.get('tokenType'))} is not one tessera issues")
        return claims


def pinned_key_id(header: Mapping[str, Any], *, refusal: str) -> str:
    """The ``kid`` of a token whose header asks for nothing we do not allow (RFC 7515 §4.1)."""
    for name in _FORBIDDEN_HEADERS:
        if name in header:
            raise invalid_token(f"Token header '{name}' is not accepted: {refusal}")
    if header.get("alg") != ALGORITHM:
        raise invalid_token(
            f"Token algorithm {_shown(header.get('alg'))} is not accepted; tokens must be RS256"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise invalid_token("Token has no key id (kid)")
    return kid


def decode_verified(
    token: str, key: Any, *, leeway_s: int, require: Sequence[str], issuer: str | None = None
) -> dict[str, Any]:
    """Signature (RS256 only) and time claims checked, each failure a 401 that names it."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            leeway=leeway_s,
            options={"require": list(require), "verify_aud": False, "verify_iss": issuer is not None},
        )
    except jwt.MissingRequiredClaimError as exc:
        if exc.claim == "exp":
            raise invalid_token("Token has no expiry (exp); tessera accepts no token without one") from None
        raise invalid_token(f"Token lacks the required claim '{exc.claim}'") from None
    except jwt.ExpiredSignatureError:
        raise invalid_token("Token expired") from None
    except jwt.ImmatureSignatureError:
        raise invalid_token("Token is not valid yet (nbf/iat in the future)") from None
    except jwt.InvalidIssuerError:
        raise invalid_token(f"Token issuer is not {issuer!r}") from None
    except jwt.InvalidSignatureError:
        raise invalid_token("Token signature does not verify") from None
    except (jwt.InvalidTokenError, TypeError) as exc:
        # PyJWT raises TypeError for a claim of the wrong type (`iss` as a list).
        raise invalid_token(f"Malformed token: {exc}") from None
    return claims


def _shown(value: Any) -> str:
    """A header or claim value, safe to echo: quoted, printable, short."""
    text = str(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return repr(text[:64] + ("..." if len(text) > 64 else ""))
