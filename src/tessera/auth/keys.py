"""tessera's RSA signing keys: generated, never shipped; shared by every replica; rotated without
breaking live tokens.

Two sources, chosen by configuration:

* Configured files (``RSA_PRIVATE_KEY_FILE_PATH`` / ``RSA_PUBLIC_KEY_FILE_PATH``, PEM or DER):
  one key, managed by the operator (every replica mounts the same files).
* The managed ring in the database (``signing_key``): a key pair generated at the first start,
  sealed with the Fernet key, so that replicas with separate TESSERA_HOMEs and no shared disk sign
  and verify with the same keys. ``tessera keys rotate`` adds a new signing key and keeps the
  previous ones published until every token they signed has expired. Each process keeps the key
  set for a few seconds and then checks it against the database; a token whose ``kid`` it does
  not know makes it look once more at once, so a key another replica just started signing with
  is accepted everywhere. A ring that an older tessera kept in ``TESSERA_HOME/jwt`` is imported
  at the first start.

The ``kid`` is the key's RFC 7638 JWK thumbprint, so it is derived from the key itself and two
processes can never disagree about it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from tessera.auth import key_store
from tessera.errors import ConfigError
from tessera.files import readable_by_others
from tessera.secrets.box import KEY_FILE, SecretBox
from tessera.storage import migrate
from tessera.storage.db import read_once, write_transaction

log = logging.getLogger(__name__)

# Where an older tessera kept its ring (imported into the database at the first start).
LEGACY_RING_DIR = "jwt"
LEGACY_MANIFEST = "ring.json"
# The longest lifetime tessera gives a token (90 days): a retired key stays published this long.
MAX_TOKEN_LIFETIME_S = 90 * 24 * 3600
# How long a process trusts the key set it read before checking it against the database again:
# how soon every replica signs with a key that `tessera keys rotate` just added.
REFRESH_EVERY_S = 2.0
# A token with an unknown kid makes the process re-read at once, but at most this often, so that
# a flood of made-up kids cannot turn into a flood of queries.
_UNKNOWN_KID_COOLDOWN_S = 0.25


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @property
    def public(self) -> rsa.RSAPublicKey:
        return self.private.public_key()

    def jwk(self) -> dict[str, str]:
        return public_jwk(self.kid, self.public)


def public_jwk(kid: str, public: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public.public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": "RS256",
        "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }


def thumbprint(public: rsa.RSAPublicKey) -> str:
    """RFC 7638 §3: SHA-256 over the canonical JSON of the required members, in lexical order."""
    numbers = public.public_numbers()
    canonical = json.dumps(
        {
            "e": _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            "kty": "RSA",
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


class KeyRing:
    """The signing key and every key whose tokens may still be alive."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        home: Path,
        *,
        private_path: str = "",
        public_path: str = "",
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        refresh_every_s: float = REFRESH_EVERY_S,
    ) -> None:
        self._engine = engine
        self._box = box
        self._clock = clock
        self._monotonic = monotonic
        self._refresh_every_s = refresh_every_s
        self._lock = threading.Lock()
        self._configured = bool(private_path)
        self._private_path = Path(private_path) if private_path else None
        self._public_path = Path(public_path) if public_path else None
        self.legacy_directory = home / LEGACY_RING_DIR
        self._checked_at = -math.inf
        self._signing: SigningKey | None = None
        self._verifying: dict[str, rsa.RSAPublicKey] = {}
        # Keys opened once (a Fernet decryption and an RSA key check each), by kid.
        self._opened: dict[str, rsa.RSAPrivateKey] = {}
        if not private_path and public_path:
            raise ConfigError(
                "jwtTokenConfiguration.rsapublicKeyFilePath is set without rsaprivateKeyFilePath; "
                "give both, or neither to let tessera generate its keys into the database"
            )

    @property
    def configured(self) -> bool:
        return self._configured

    # -- loading --------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the keys; for the managed ring, create it (or import an older tessera's) first.

        Fails loudly (ConfigError, or the driver's error) when the database cannot be read.
        """
        with self._lock:
            if self._configured:
                self._load_configured()
                return
            self._provision()
            self._refresh()

    def insecure_files(self) -> list[Path]:
        """Key files anyone but the owner can read (production refuses to start with them)."""
        if not self._configured or self._private_path is None:
            return []
        return (
            [self._private_path]
            if self._private_path.exists() and readable_by_others(self._private_path)
            else []
        )

    def _load_configured(self) -> None:
        assert self._private_path is not None
        private = _read_private(self._private_path)
        if self._public_path is not None:
            public = _read_public(self._public_path)
            if public.public_numbers() != private.public_key().public_numbers():
                raise ConfigError(
                    f"{self._public_path} is not the public half of {self._private_path}; "
                    "they must be one key pair"
                )
        key = SigningKey(thumbprint(private.public_key()), private)
        self._signing = key
        self._verifying = {key.kid: key.public}

    def _provision(self) -> None:
        """The first process to start creates the ring (one at a time: tessera's database lock)."""
        with migrate.exclusive(self._engine), write_transaction(self._engine) as conn:
            known = key_store.known_kids(conn)
            imported = self._import_legacy(conn, known)
            if known or imported:
                return
            key = _generate()
            key_store.add_key(conn, key.kid, self._seal(key.private), self._now_ms(), None, "generated")
            log.warning("generated tessera's JWT signing key %s (kept sealed in the database)", key.kid)

    def _import_legacy(self, conn: Any, known: set[str]) -> int:
        """Keys an older tessera kept in TESSERA_HOME/jwt, moved into the database.

        When the database already has a ring (another replica started first), this one's keys
        join it retired: tokens they signed stay valid, and the database's signing key stays.
        """
        manifest_path = self.legacy_directory / LEGACY_MANIFEST
        if not manifest_path.exists():
            return 0
        try:
            manifest = json.loads(manifest_path.read_text())
            entries = list(manifest["keys"])
            signing = manifest["signing"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"cannot read the key ring {manifest_path} to import it: {exc}") from None
        now_ms = self._now_ms()
        imported = 0
        for entry in entries:
            retired = entry.get("retired")
            retired_ms = None if retired is None else int(retired) * 1000
            if retired_ms is not None and now_ms > retired_ms + MAX_TOKEN_LIFETIME_S * 1000:
                continue
            path = self.legacy_directory / entry["file"]
            private = _read_private(path)
            kid = thumbprint(private.public_key())
            if kid in known:
                continue
            if retired_ms is None and (known or entry["kid"] != signing):
                retired_ms = now_ms
            created_ms = int(entry.get("created") or 0) * 1000 or now_ms
            key_store.add_key(conn, kid, self._seal(private), created_ms, retired_ms, f"imported from {path}")
            known.add(kid)
            imported += 1
        if imported:
            log.warning(
                "moved %d signing key(s) from %s into the database (sealed with the Fernet key); that "
                "directory is no longer read: delete it once every replica runs this version",
                imported,
                self.legacy_directory,
            )
        return imported

    def _refresh(self) -> None:
        """Read the live key set; open only the keys this process has not opened before."""
        now_ms = self._now_ms()
        with read_once(self._engine) as conn:
            rows = key_store.live_keys(conn, now_ms - MAX_TOKEN_LIFETIME_S * 1000)
            sealed = key_store.sealed_keys(conn, {row.kid for row in rows} - self._opened.keys())
        opened = {row.kid: self._opened[row.kid] for row in rows if row.kid in self._opened}
        for kid, value in sealed.items():
            opened[kid] = self._open(kid, value)
        current = next((row for row in rows if row.retired_at is None and row.kid in opened), None)
        if current is None:
            raise ConfigError(
                "the database holds no signing key; start tessera serve once, or run: tessera keys rotate"
            )
        self._opened = opened
        self._signing = SigningKey(current.kid, opened[current.kid])
        self._verifying = {row.kid: opened[row.kid].public_key() for row in rows if row.kid in opened}
        self._checked_at = self._monotonic()

    def _maybe_refresh(self, kid: str | None = None) -> None:
        if self._configured:
            return
        since = self._monotonic() - self._checked_at
        unknown = kid is not None and kid not in self._verifying
        if since < self._refresh_every_s and not (unknown and since >= _UNKNOWN_KID_COOLDOWN_S):
            return
        with self._lock:
            since = self._monotonic() - self._checked_at
            if since < self._refresh_every_s and not (unknown and since >= _UNKNOWN_KID_COOLDOWN_S):
                return  # another thread just read them
            try:
                self._refresh()
            except (SQLAlchemyError, ConfigError) as exc:
                if self._signing is None:
                    raise ConfigError(
                        f"cannot read tessera's signing keys from the database: {exc}"
                    ) from None
                # Keep serving with the keys read last; try again after the usual interval.
                self._checked_at = self._monotonic()
                log.error(
                    "cannot re-read the signing keys from the database, using the last ones read: %s", exc
                )

    def _seal(self, private: rsa.RSAPrivateKey) -> str:
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return self._box.seal(pem.decode())

    def _open(self, kid: str, sealed: str) -> rsa.RSAPrivateKey:
        try:
            pem = self._box.open(sealed)
        except ConfigError:
            generated = self.legacy_directory.parent / KEY_FILE
            hint = (
                f"; if they were sealed with the key tessera generated into {generated}, keep it after the "
                f"new one (FERNET_KEY=<new key>,<contents of {generated}>) and run tessera secrets rotate"
                if generated.exists()
                else ""
            )
            raise ConfigError(
                f"the signing key {kid} in the database cannot be opened with this process's Fernet key: "
                "every replica needs the same FERNET_KEY (or FERNET_KEY_FILE); a key tessera generated "
                f"into one replica's TESSERA_HOME is that replica's alone{hint}"
            ) from None
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ConfigError(f"the signing key {kid} in the database is not an RSA key")
        return key

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # -- use ------------------------------------------------------------------------------------

    @property
    def signing(self) -> SigningKey:
        self._maybe_refresh()
        if self._signing is None:
            raise ConfigError("tessera's signing keys are not loaded")
        return self._signing

    def verifying_key(self, kid: str) -> rsa.RSAPublicKey | None:
        self._maybe_refresh(kid)
        return self._verifying.get(kid)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        self._maybe_refresh()
        return {"keys": [public_jwk(kid, public) for kid, public in self._verifying.items()]}

    # -- operators ------------------------------------------------------------------------------

    def rotate(self) -> str:
        """Add a new signing key; the old ones stay published until their tokens expire."""
        if self._configured:
            raise ConfigError(
                "the signing key comes from RSA_PRIVATE_KEY_FILE_PATH; rotate it by replacing that file "
                "(tokens signed by the old key stop working) or remove the setting to use tessera's "
                "managed ring"
            )
        key = _generate()
        now_ms = self._now_ms()
        with self._lock:
            with migrate.exclusive(self._engine), write_transaction(self._engine) as conn:
                key_store.retire_current(conn, now_ms)
                key_store.add_key(conn, key.kid, self._seal(key.private), now_ms, None, "tessera keys rotate")
            self._opened[key.kid] = key.private
            self._refresh()
        return key.kid

    def history(self) -> list[key_store.KeyRow]:
        with read_once(self._engine) as conn:
            return key_store.history(conn)

    def state(self, row: key_store.KeyRow) -> str:
        if row.retired_at is None:
            return "signing" if self._signing is not None and row.kid == self._signing.kid else "published"
        if self._now_ms() > row.retired_at + MAX_TOKEN_LIFETIME_S * 1000:
            return "expired"
        return "published"

    def reseal(self) -> int:
        """Re-encrypt every stored key under the first Fernet key (``tessera secrets rotate``)."""
        with write_transaction(self._engine) as conn:
            sealed = key_store.all_sealed(conn)
            for kid, value in sealed.items():
                key_store.replace_sealed(conn, kid, self._box.rotate(value))
        return len(sealed)


def _generate() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(thumbprint(private.public_key()), private)


def _read_private(path: Path) -> rsa.RSAPrivateKey:
    data = _read(path)
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if data.lstrip().startswith(b"-----")
            else serialization.load_der_private_key(data, password=None)
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not an unencrypted RSA private key in PEM or DER form: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError(f"{path} holds a {type(key).__name__}; tessera signs with RSA (RS256) keys")
    if key.key_size < 2048:
        raise ConfigError(f"{path} is a {key.key_size}-bit RSA key; use at least 2048 bits")
    return key


def _read_public(path: Path) -> rsa.RSAPublicKey:
    data = _read(path)
    try:
        key = (
            serialization.load_pem_public_key(data)
            if data.lstrip().startswith(b"-----")
            else serialization.load_der_public_key(data)
        )
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not an RSA public key in PEM or DER form: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError(f"{path} holds a {type(key).__name__}; tessera verifies RSA (RS256) keys")
    return key


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {path}: {exc.strerror}") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
