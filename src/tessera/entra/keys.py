"""Token signing keys and the JWKS document (``/discovery/v2.0/keys``, ``/discovery/keys``).

Entra publishes RSA keys wrapped in self-signed certificates (CN
``accounts.accesscontrol.windows.net``). Each JWK carries ``kid`` = ``x5t`` = base64url SHA-1 of
the certificate (RFC 7515 §4.1.7), the certificate in ``x5c``, the issuer the key signs for
(checked by Microsoft.IdentityModel's ``EnableAadSigningKeyIssuerValidation``), and no ``alg``:
validators pin RS256 themselves. Several keys are published at once for rollover: ``keys
rotate`` signs with a new key and keeps publishing the old ones.
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
from sqlalchemy import ColumnClause, literal_column, select
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
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._loaded: dict[str, rsa.RSAPrivateKey] = {}
        self._lock = threading.Lock()

    def ensure(self) -> str:
        """Create the first signing key if there is none; returns the active ``kid``."""
        with self._store.transaction() as s:
            current = s.scalars(
                select(SigningKey).order_by(SigningKey.created.desc(), _INSERTION.desc()).limit(1)
            ).first()
            if current is not None:
                return current.kid
        return self.rotate()

    def rotate(self) -> str:
        """Sign with a new key from now on; older keys stay in the JWKS."""
        key, cert = self_signed_rsa(SIGNING_KEY_SUBJECT)
        der = cert.public_bytes(serialization.Encoding.DER)
        kid = x5t(der)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with self._store.transaction() as s:
            s.add(SigningKey(kid=kid, private_key_pem=pem, certificate=der, created=self._clock.now()))
        return kid

    def active(self, session: Session | LazySession | None = None) -> ActiveKey:
        """The newest key. Read through the store's cache, which a ``keys rotate`` run by the
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
                db()
                .execute(
                    select(SigningKey.kid, SigningKey.private_key_pem)
                    .where(SigningKey.retired.is_(False))
                    .order_by(SigningKey.created.desc(), _INSERTION.desc())
                    .limit(1)
                )
                .first()
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
        with self._store.transaction() as s:
            rows = s.scalars(select(SigningKey).order_by(SigningKey.created.desc(), _INSERTION.desc())).all()
            keys = [_jwk(row.certificate, issuer) for row in rows]
        return {"keys": keys}

    def describe(self) -> list[dict[str, Any]]:
        with self._store.transaction() as s:
            rows = s.scalars(select(SigningKey).order_by(SigningKey.created.desc(), _INSERTION.desc())).all()
            return [
                {"kid": r.kid, "created": r.created, "active": i == 0 and not r.retired}
                for i, r in enumerate(rows)
            ]


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
