"""Client credentials: secrets (Graph's ``addPassword``; only a hash and the hint are kept) and
certificates (``keyCredentials``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tessera.entra.directory import generate_client_secret, new_id, sha256_hex
from tessera.entra.models import Application, KeyCredential, PasswordCredential


@dataclass(frozen=True)
class NewSecret:
    credential: PasswordCredential
    secret_text: str


def add_password(
    s: Session,
    app: Application,
    *,
    display_name: str | None,
    lifetime_seconds: float,
    now: float,
    secret_text: str | None = None,
) -> NewSecret:
    """``application: addPassword``: the value is returned once; only its hint and hash stay."""
    value = secret_text or generate_client_secret()
    credential = PasswordCredential(
        key_id=new_id(),
        application_id=app.id,
        display_name=display_name,
        hint=value[:3],
        secret_hash=sha256_hex(value),
        start=now,
        end=now + lifetime_seconds,
    )
    s.add(credential)
    s.flush()
    return NewSecret(credential, value)


def password_credentials(s: Session, app: Application) -> list[PasswordCredential]:
    return list(
        s.scalars(select(PasswordCredential).where(PasswordCredential.application_id == app.id)).all()
    )


def add_key_credential(
    s: Session, app: Application, *, certificate_der: bytes, display_name: str | None
) -> KeyCredential:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(certificate_der)
    credential = KeyCredential(
        key_id=new_id(),
        application_id=app.id,
        display_name=display_name or cert.subject.rfc4514_string(),
        certificate=certificate_der,
        thumbprint_sha1=hashlib.sha1(certificate_der, usedforsecurity=False).hexdigest().upper(),
        thumbprint_sha256=hashlib.sha256(certificate_der).hexdigest().upper(),
        start=cert.not_valid_before_utc.timestamp(),
        end=cert.not_valid_after_utc.timestamp(),
    )
    s.add(credential)
    s.flush()
    return credential


def key_credentials(s: Session, app: Application) -> list[KeyCredential]:
    return list(s.scalars(select(KeyCredential).where(KeyCredential.application_id == app.id)).all())


def is_confidential(s: Session, app: Application) -> bool:
    return bool(password_credentials(s, app) or key_credentials(s, app))
