"""Passwords: argon2id hashes and OpenMetadata's composition policy, without its 16-character cap.

Login payloads carry the password Base64-encoded, as OpenMetadata's UI sends it; that is an
encoding, not protection: use HTTPS.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tessera.errors import BadRequest

MIN_LENGTH = 8
MAX_LENGTH = 256
POLICY = (
    f"Password must be {MIN_LENGTH} to {MAX_LENGTH} characters with no spaces, and contain an upper "
    "case letter, a lower case letter, a digit and a special character."
)


@functools.cache
def _hasher() -> PasswordHasher:
    # argon2id with OWASP's recommended minimum (19 MiB, 2 passes): strong against offline
    # guessing, and cheap enough that sign-in stays fast on a small server.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the user does not exist, so a wrong name costs as long as a wrong
    # password and response times do not reveal which accounts exist.
    return _hasher().hash(secrets.token_urlsafe(16))


def check_policy(password: str) -> None:
    if (
        not MIN_LENGTH <= len(password) <= MAX_LENGTH
        or re.search(r"\s", password)
        or not re.search(r"[A-Z]", password)
        or not re.search(r"[a-z]", password)
        or not re.search(r"[0-9]", password)
        or not re.search(r"[^A-Za-z0-9]", password)
    ):
        raise BadRequest(POLICY)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False  # never stored (the policy caps it); not worth an argon2 pass
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# The Base64 of MAX_LENGTH characters of UTF-8 (four bytes at most each): anything longer cannot
# be a password of the policy, and is refused before it is decoded or hashed.
MAX_ENCODED_LENGTH = (4 * MAX_LENGTH + 2) // 3 * 4


def decode_base64(encoded: str) -> str:
    if len(encoded) > MAX_ENCODED_LENGTH:
        raise BadRequest(f"Password is longer than {MAX_LENGTH} characters.")
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # not Base64, not ASCII, or not UTF-8 inside
        raise BadRequest("Password need to be encoded in Base-64.") from None


def generate() -> str:
    """A random password that satisfies the policy (for the first admin and resets)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(20)) + secrets.choice("!@#%^*-_=+")
        try:
            check_policy(candidate)
        except BadRequest:
            continue
        return candidate
