"""Secrets at rest: Fernet encryption with rotation.

Stored ciphertexts carry OpenMetadata's ``fernet:`` prefix. The configured key list is
comma-separated: the first key encrypts, every key decrypts, so rotation is "put the new key
first, run ``tessera secrets rotate``, drop the old key". No key ships with tessera: without
``fernetConfiguration.fernetKey`` / ``FERNET_KEY`` (or ``FERNET_KEY_FILE``) a key is generated into
TESSERA_HOME on first start. Production mode refuses to start without an explicit key: the key
also seals the JWT signing keys in the database, so every replica must hold the same one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tessera.errors import ConfigError
from tessera.files import write_private

log = logging.getLogger(__name__)

PREFIX = "fernet:"
MASK = "*********"
KEY_FILE = "fernet.key"


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("fernetConfiguration.fernetKey is empty; give at least one Fernet key")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError):
            raise ConfigError(
                "fernetConfiguration.fernetKey holds a value that is not a Fernet key (32 url-safe base64 "
                'bytes); generate one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(PREFIX)

    def seal(self, plaintext: str) -> str:
        if self.is_sealed(plaintext):
            return plaintext
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, value: str) -> str:
        if not self.is_sealed(value):
            return value
        try:
            return self._fernet.decrypt(value[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise ConfigError(
                "a stored secret cannot be decrypted with the configured Fernet keys; keep the old key in "
                "fernetConfiguration.fernetKey (after the new one) until `tessera secrets rotate` has run"
            ) from None

    def rotate(self, value: str) -> str:
        """Re-encrypt with the first key (no-op for values already under it)."""
        if not self.is_sealed(value):
            return self.seal(value)
        return PREFIX + self._fernet.rotate(value[len(PREFIX) :].encode()).decode()


def load_box(configured: str, home: Path, *, production: bool, key_file: str = "") -> tuple[SecretBox, bool]:
    """The process's SecretBox, and whether its key was generated (not configured).

    The keys come from ``fernetKey`` (FERNET_KEY) or, when that is empty, from the file
    ``fernetKeyFile`` (FERNET_KEY_FILE: a mounted Kubernetes or Docker secret).
    """
    if not configured.strip() and key_file:
        try:
            configured = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read FERNET_KEY_FILE {key_file}: {exc.strerror}") from None
        if not configured:
            raise ConfigError(f"FERNET_KEY_FILE {key_file} is empty; write the Fernet key into it")
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    if keys:
        return SecretBox(keys), False
    if production:
        raise ConfigError(
            "production mode needs an explicit Fernet key, the same for every replica: set FERNET_KEY (or "
            "FERNET_KEY_FILE, or fernetConfiguration.fernetKey) "
            'to the output of python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())" and keep it in your secret store'
        )
    path = home / KEY_FILE
    if write_private(path, Fernet.generate_key() + b"\n"):
        log.warning("generated a Fernet key for secrets at rest in %s; back it up with the database", path)
    return SecretBox([path.read_text().strip()]), True
