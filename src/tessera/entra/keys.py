"""Token signing keys and the JWKS document (``/discovery/v2.0/keys``, ``/discovery/keys``).

Entra publishes RSA keys wrapped in self-signed certificates (CN
``accounts.accesscontrol.windows.net``). Each JWK carries ``kid`` = ``x5t`` = base64url SHA-1 of
the certificate (RFC 7515 §4.1.7), the certificate in ``x5c``, the issuer the key signs for
(checked by Microsoft.IdentityModel's ``EnableAadSigningKeyIssuerValidation``), and no ``alg``:
validators pin RS256 themselves. Several keys are published at once, as Entra always does: the
signing key, the next one (published before it signs, so a rollover never meets a validator's
JWKS cache cold) and earlier ones; ``keys rotate`` moves signing to the next key.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import ColumnClause, func, literal_column, select
from sqlalchemy.orm import Session

from tessera.entra.clock import Clock
from tessera.entra.models import SigningKey
from tessera.entra.pki import b64url, self_signed_rsa, x5t
from tessera.entra.store import LazySession, Store

SIGNING_KEY_SUBJECT = "accounts.accesscontrol.windows.net"
# SQLite's insertion order breaks ties between keys created within the same clock tick (tests
# freeze the clock).
_INSERTION: ColumnClause[int] = literal_column("signing_keys.rowid")


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_key: rsa.RSAPrivateKey


class KeyRing:
    """The signing keys: one signs (the highest ``activation``), the next one is published before
    it signs, and earlier ones stay published for tokens they signed."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._loaded: dict[str, rsa.RSAPrivateKey] = {}
        self._lock = threading.Lock()

    def ensure(self) -> str:
        """Create the signing key and the next key if missing; returns the signing ``kid``."""
        with self._store.transaction() as s:
            active = _signing_row(s)
            has_next = s.scalars(select(SigningKey.kid).where(SigningKey.state == "next")).first()
            if active is not None and has_next is not None:
                return active.kid
        if active is None:
            return self.rotate(force=True)
        return self._ensure_next()

    def _ensure_next(self) -> str:
        with self._store.transaction() as s:
            if s.scalars(select(SigningKey.kid).where(SigningKey.state == "next")).first() is None:
                s.add(self._new_row("next"))
            row = _signing_row(s)
            assert row is not None
            return row.kid

    def _new_row(self, state: str) -> SigningKey:
        key, cert = self_signed_rsa(SIGNING_KEY_SUBJECT)
        der = cert.public_bytes(serialization.Encoding.DER)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return SigningKey(
            kid=x5t(der), private_key_pem=pem, certificate=der, created=self._clock.now(), state=state
        )

    def rotate(self, *, force: bool = False) -> str:
        """Sign with another key from now on; returns its ``kid``. Older keys stay published.

        As Entra does, the key that takes over was published beforehand (the ``next`` key), so a
        validator's cached JWKS already knows it; a new ``next`` key is published in its place.
        ``force`` is the unannounced rollover (a fault to test against): a key nobody has seen
        signs at once, and a validator must refetch the JWKS on the unknown ``kid``."""
        with self._store.transaction() as s:
            top = s.scalar(select(func.max(SigningKey.activation)))
            order = (top or 0) + 1
            upcoming = (
                None if force else s.scalars(select(SigningKey).where(SigningKey.state == "next")).first()
            )
            if upcoming is None:
                upcoming = self._new_row("active")
                s.add(upcoming)
            upcoming.state = "active"
            upcoming.activation = order
            if s.scalars(select(SigningKey.kid).where(SigningKey.state == "next")).first() is None:
                s.add(self._new_row("next"))
            return upcoming.kid

    def active(self, session: Session | LazySession | None = None) -> ActiveKey:
        """The signing key. Read through the store's cache, which a ``keys rotate`` run by the
        CLI against the same database invalidates, so rotation takes effect in a running server.
        Pass the caller's ``session`` when inside a transaction already."""
        if session is None:
            with self._store.transaction() as s:
                return self.active(s)

        def db() -> Session:
            return session.session if isinstance(session, LazySession) else session

        row = self._store.cached(
            ("signing-key",),
            lambda: (
                db().execute(_SIGNING.with_only_columns(SigningKey.kid, SigningKey.private_key_pem)).first()
            ),
        )
        if row is None:
            raise LookupError("no signing key: KeyRing.ensure() was not called")
        kid, pem = row
        with self._lock:
            loaded = self._loaded.get(kid)
            if loaded is None:
                private = serialization.load_pem_private_key(pem, password=None)
                assert isinstance(private, rsa.RSAPrivateKey)
                self._loaded[kid] = loaded = private
        return ActiveKey(kid, loaded)

    def public_keys(self) -> dict[str, rsa.RSAPublicKey]:
        with self._store.transaction() as s:
            rows = s.execute(select(SigningKey.kid, SigningKey.certificate)).all()
        out: dict[str, rsa.RSAPublicKey] = {}
        for kid, der in rows:
            public = x509.load_der_x509_certificate(der).public_key()
            assert isinstance(public, rsa.RSAPublicKey)
            out[kid] = public
        return out

    def jwks(self, issuer: str) -> dict[str, Any]:
        """Every published key, the next one first: a validator that takes ``keys[0]`` instead of
        looking up the token's ``kid`` fails here as it would with Entra."""
        with self._store.transaction() as s:
            keys = [_jwk(row.certificate, issuer) for row in _published(s)]
        return {"keys": keys}

    def describe(self) -> list[dict[str, Any]]:
        """Signing key first, then the next one, then the others, newest first."""
        with self._store.transaction() as s:
            signing = _signing_row(s)
            rows = _published(s)
            described = [
                {
                    "kid": r.kid,
                    "created": r.created,
                    "active": signing is not None and r.kid == signing.kid,
                    "state": "signing" if signing is not None and r.kid == signing.kid else r.state,
                }
                for r in rows
            ]
        return sorted(described, key=lambda k: {"signing": 0, "next": 1}.get(str(k["state"]), 2))


_SIGNING = (
    select(SigningKey)
    .where(SigningKey.retired.is_(False), SigningKey.state == "active")
    .order_by(SigningKey.activation.desc().nulls_last(), SigningKey.created.desc(), _INSERTION.desc())
    .limit(1)
)


def _signing_row(s: Session) -> SigningKey | None:
    return s.scalars(_SIGNING).first()


def _published(s: Session) -> list[SigningKey]:
    rows = s.scalars(select(SigningKey).where(SigningKey.retired.is_(False))).all()
    return sorted(
        rows,
        key=lambda r: (r.state != "next", -(r.activation or 0), -r.created),
    )


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _jwk(cert_der: bytes, issuer: str) -> dict[str, Any]:
    public = x509.load_der_x509_certificate(cert_der).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    numbers = public.public_numbers()
    thumb = x5t(cert_der)
    return {
        "kty": "RSA",
        "use": "sig",
        "kid": thumb,
        "x5t": thumb,
        "n": _int_b64(numbers.n),
        "e": _int_b64(numbers.e),
        "x5c": [base64.b64encode(cert_der).decode()],
        "issuer": issuer,
    }


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
