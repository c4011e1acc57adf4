"""tessera's RSA signing keys: generated, never shipped; rotated without breaking live tokens.

Two sources, chosen by configuration:

* Configured files (``RSA_PRIVATE_KEY_FILE_PATH`` / ``RSA_PUBLIC_KEY_FILE_PATH``, PEM or DER):
  one key, managed by the operator.
* The managed ring in ``TESSERA_HOME/jwt``: a key pair generated on first start (files 0600),
  ``tessera keys rotate`` adds a new signing key and keeps the previous ones published until
  every token they signed has expired (``ring.json`` says when each was retired).

The ``kid`` is the key's RFC 7638 JWK thumbprint, so it is derived from the key itself and two
processes can never disagree about it. Processes re-read the ring when its manifest changes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tessera.errors import ConfigError
from tessera.files import readable_by_others, write_private

log = logging.getLogger(__name__)

RING_DIR = "jwt"
MANIFEST = "ring.json"
# The longest lifetime tessera gives a token (90 days): a retired key stays published this long.
MAX_TOKEN_LIFETIME_S = 90 * 24 * 3600
_RELOAD_EVERY_S = 2.0


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
        self, home: Path, *, private_path: str = "", public_path: str = "", clock: Any = time.time
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._configured = bool(private_path)
        self._private_path = Path(private_path) if private_path else None
        self._public_path = Path(public_path) if public_path else None
        self.directory = home / RING_DIR
        self._manifest_mtime = -1.0
        self._checked_at = 0.0
        self._signing: SigningKey | None = None
        self._verifying: dict[str, rsa.RSAPublicKey] = {}
        if not private_path and public_path:
            raise ConfigError(
                "jwtTokenConfiguration.rsapublicKeyFilePath is set without rsaprivateKeyFilePath; "
                "give both, or neither to let tessera generate its keys in TESSERA_HOME"
            )

    # -- loading --------------------------------------------------------------------------------

    def load(self) -> None:
        with self._lock:
            if self._configured:
                self._load_configured()
            else:
                self._ensure_ring()
                self._load_ring()

    def key_files(self) -> list[Path]:
        if self._configured:
            return [p for p in (self._private_path, self._public_path) if p is not None]
        return [*sorted(self.directory.glob("key-*.pem")), self.directory / MANIFEST]

    def insecure_files(self) -> list[Path]:
        """Key files anyone but the owner can read (production refuses to start with them)."""
        private = [self._private_path] if self._configured and self._private_path else self.key_files()
        return [path for path in private if path.exists() and readable_by_others(path)]

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

    def _ensure_ring(self) -> None:
        manifest = self.directory / MANIFEST
        if manifest.exists():
            return
        key = _generate()
        entry = self._store_key(key)
        write_private(manifest, json.dumps({"signing": key.kid, "keys": [entry]}, indent=2).encode())
        log.warning("generated tessera's JWT signing key %s in %s", key.kid, self.directory)

    def _store_key(self, key: SigningKey) -> dict[str, Any]:
        pem = key.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        write_private(self.directory / f"key-{key.kid}.pem", pem)
        return {"kid": key.kid, "file": f"key-{key.kid}.pem", "created": int(self._clock()), "retired": None}

    def _load_ring(self) -> None:
        manifest_path = self.directory / MANIFEST
        manifest = json.loads(manifest_path.read_text())
        now = self._clock()
        verifying: dict[str, rsa.RSAPublicKey] = {}
        signing: SigningKey | None = None
        for entry in manifest["keys"]:
            retired = entry.get("retired")
            if retired is not None and now > retired + MAX_TOKEN_LIFETIME_S:
                continue
            private = _read_private(self.directory / entry["file"])
            verifying[entry["kid"]] = private.public_key()
            if entry["kid"] == manifest["signing"]:
                signing = SigningKey(entry["kid"], private)
        if signing is None:
            raise ConfigError(f"{manifest_path} names signing key {manifest['signing']} but it is missing")
        self._signing, self._verifying = signing, verifying
        self._manifest_mtime = manifest_path.stat().st_mtime

    def _maybe_reload(self) -> None:
        if self._configured:
            return
        now = time.monotonic()
        if now - self._checked_at < _RELOAD_EVERY_S:
            return
        self._checked_at = now
        try:
            mtime = (self.directory / MANIFEST).stat().st_mtime
        except FileNotFoundError:
            return
        if mtime != self._manifest_mtime:
            with self._lock:
                self._load_ring()

    # -- use ------------------------------------------------------------------------------------

    @property
    def signing(self) -> SigningKey:
        self._maybe_reload()
        if self._signing is None:
            raise ConfigError("tessera's signing keys are not loaded")
        return self._signing

    def verifying_key(self, kid: str) -> rsa.RSAPublicKey | None:
        self._maybe_reload()
        return self._verifying.get(kid)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        self._maybe_reload()
        return {"keys": [public_jwk(kid, public) for kid, public in self._verifying.items()]}

    def rotate(self) -> str:
        """Add a new signing key; the old ones stay published until their tokens expire."""
        if self._configured:
            raise ConfigError(
                "the signing key comes from RSA_PRIVATE_KEY_FILE_PATH; rotate it by replacing that file "
                "(tokens signed by the old key stop working) or remove the setting to use tessera's "
                "managed ring"
            )
        with self._lock:
            self._ensure_ring()
            manifest_path = self.directory / MANIFEST
            manifest = json.loads(manifest_path.read_text())
            key = _generate()
            now = int(self._clock())
            for entry in manifest["keys"]:
                if entry["retired"] is None:
                    entry["retired"] = now
            manifest["keys"].append(self._store_key(key))
            manifest["keys"] = [
                entry
                for entry in manifest["keys"]
                if entry["retired"] is None or now <= entry["retired"] + MAX_TOKEN_LIFETIME_S
            ]
            manifest["signing"] = key.kid
            temporary = manifest_path.with_suffix(".tmp")
            temporary.unlink(missing_ok=True)
            write_private(temporary, json.dumps(manifest, indent=2).encode())
            temporary.replace(manifest_path)
            self._load_ring()
            return key.kid


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
