"""Finding the calling application (RFC 6749 §2.2 ``client_id``) and authenticating it
(RFC 6749 §2.3: ``client_secret`` in the body or HTTP Basic; RFC 7523 §2.2 / OIDC Core §9
``private_key_jwt`` client assertions, as MSAL's certificate credentials send them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote_plus

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from tessera.entra import errors
from tessera.entra.credentials import key_credentials, password_credentials
from tessera.entra.directory import sha256_hex
from tessera.entra.models import Application, KeyCredential, ServicePrincipal
from tessera.entra.registrations import find_application, find_service_principal
from tessera.entra.tenants import TenantPath

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class Client:
    app: Application
    sp: ServicePrincipal | None
    """The client's service principal in the request's tenant; None on /common."""


def find_client(s: Session, path: TenantPath, client_id: str | None) -> Client:
    if not client_id:
        raise errors.missing_parameter("client_id")
    if client_id.strip("-0") == "" and len(client_id) == 36:
        raise errors.invalid_application_identifier(client_id)
    app = find_application(s, client_id) if len(client_id) == 36 else None
    if app is None or app.app_id != client_id.lower():
        raise errors.application_not_found(client_id, path.display_name)
    if path.tenant_id is None:
        if app.sign_in_audience == "AzureADMyOrg":
            raise errors.not_multi_tenant(app.app_id, app.display_name)
        return Client(app, None)
    sp = find_service_principal(s, app.app_id, path.tenant_id)
    if sp is None or not sp.account_enabled:
        raise errors.application_not_found(client_id, path.display_name)
    return Client(app, sp)


@dataclass(frozen=True)
class Credentials:
    """What the request presented, wherever it was put."""

    secret: str | None
    assertion: str | None
    assertion_type: str | None
    basic_client_id: str | None = None
    """RFC 6749 §2.3.1: with HTTP Basic the client id is the user name."""

    @property
    def any(self) -> bool:
        return self.secret is not None or self.assertion is not None


def presented(form: dict[str, str], authorization: str | None) -> Credentials:
    secret = form.get("client_secret") or None
    basic_user: str | None = None
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, sep, password = decoded.partition(":")
        if sep:
            # RFC 6749 §2.3.1: both parts are form-urlencoded before being base64-encoded.
            secret = unquote_plus(password)
            basic_user = unquote_plus(user)
    return Credentials(
        secret=secret,
        assertion=form.get("client_assertion") or None,
        assertion_type=form.get("client_assertion_type") or None,
        basic_client_id=basic_user,
    )


AuthMethod = Literal["none", "secret", "assertion"]
# appidacr / azpacr: 0 public client, 1 client secret, 2 certificate.
ACR: dict[AuthMethod, str] = {"none": "0", "secret": "1", "assertion": "2"}


def authenticate(
    s: Session,
    app: Application,
    creds: Credentials,
    *,
    public: bool,
    audiences: set[str],
    now: float,
    skew: int,
    secrets: Sequence[tuple[str, float]] | None = None,
) -> AuthMethod:
    """Check the credential of a confidential client, or its absence for a public one.

    ``secrets`` (hash, expiry) may be passed by a caller that has them cached."""
    if public:
        if creds.any:
            raise errors.public_client_with_credential()
        return "none"
    if creds.secret is not None:
        known = secrets if secrets is not None else secret_hashes(s, app)
        check_secret(app, known, creds.secret, now)
        return "secret"
    if creds.assertion is not None:
        if creds.assertion_type != JWT_BEARER:
            raise errors.unsupported_assertion_type()
        _check_assertion(s, app, creds.assertion, audiences=audiences, now=now, skew=skew)
        return "assertion"
    raise errors.missing_client_credential()


def secret_hashes(s: Session, app: Application) -> tuple[tuple[str, float], ...]:
    return tuple((c.secret_hash, c.end) for c in password_credentials(s, app))


def check_secret(app: Application, known: Sequence[tuple[str, float]], secret: str, now: float) -> None:
    digest = sha256_hex(secret)
    for secret_hash, end in known:
        if hmac.compare_digest(secret_hash, digest):
            # Entra names expiry only for a secret that matches (AADSTS7000222).
            if end <= now:
                raise errors.expired_client_secret(app.app_id)
            return
    raise errors.invalid_client_secret(app.app_id)


def _b64_any(value: str) -> bytes | None:
    """x5t values arrive base64url or standard base64, padded or not (MSAL Python sends both)."""
    cleaned = value.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except binascii.Error:
        return None


def _find_key(s: Session, app: Application, header: dict[str, object]) -> KeyCredential:
    registered = key_credentials(s, app)
    sha1 = header.get("x5t")
    sha256 = header.get("x5t#S256")
    chain = header.get("x5c")
    wanted_sha1: set[str] = set()
    wanted_sha256: set[str] = set()
    if isinstance(sha1, str) and (raw := _b64_any(sha1)) is not None:
        wanted_sha1.add(raw.hex().upper())
    if isinstance(sha256, str) and (raw := _b64_any(sha256)) is not None:
        wanted_sha256.add(raw.hex().upper())
    if isinstance(chain, list) and chain and isinstance(chain[0], str):
        der = _b64_any("".join(chain[0].split()))
        if der is not None:
            wanted_sha256.add(hashlib.sha256(der).hexdigest().upper())
    for credential in registered:
        if credential.thumbprint_sha1 in wanted_sha1 or credential.thumbprint_sha256 in wanted_sha256:
            return credential
    thumb = sha1 if isinstance(sha1, str) else sha256
    raise errors.invalid_client_assertion(
        f"[Reason - The key was not found., Thumbprint of key used by client: '{thumb}', Please "
        f"visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys "
        f"for app Id '{app.app_id}'.]"
    )


def _check_assertion(
    s: Session, app: Application, assertion: str, *, audiences: set[str], now: float, skew: int
) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise errors.client_assertion_invalid(str(exc)) from None
    alg = header.get("alg")
    if alg not in ("RS256", "PS256"):
        raise errors.client_assertion_invalid(f"The signing algorithm '{alg}' is not supported.")
    credential = _find_key(s, app, header)
    public = x509.load_der_x509_certificate(credential.certificate).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    try:
        claims = jwt.decode(
            assertion,
            public,
            algorithms=[alg],
            # Times are checked below against the emulator's clock; MSAL sends them as floats.
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise errors.invalid_client_assertion("[Reason - The signature is invalid.]") from None
    except jwt.PyJWTError as exc:
        raise errors.client_assertion_invalid(str(exc)) from None
    if claims.get("iss") != app.app_id or claims.get("sub") != app.app_id:
        raise errors.client_assertion_invalid(
            f"The 'iss' and 'sub' claims must both be the client id '{app.app_id}'."
        )
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.rstrip("/") in audiences for a in auds):
        raise errors.client_assertion_audience(aud)
    exp = claims.get("exp")
    nbf = claims.get("nbf")
    if not isinstance(exp, int | float) or exp + skew < now:
        raise errors.client_assertion_expired()
    if isinstance(nbf, int | float) and nbf - skew > now:
        raise errors.client_assertion_expired()
    if credential.end <= now:
        raise errors.invalid_client_assertion("[Reason - The certificate credential has expired.]")
