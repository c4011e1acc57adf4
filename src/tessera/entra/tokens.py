"""JWS compact serialization (RFC 7515 §7.1) of the tokens the emulator issues (RFC 7519),
RS256 (RFC 7518 §3.3), with Entra's headers:

- v2 tokens: ``{"typ": "JWT", "alg": "RS256", "kid": …}``; v1 access tokens also ``x5t``
  (equal to ``kid``), as Entra's do.
- Microsoft Graph access tokens carry a ``nonce`` header and are signed over a header holding
  the SHA-256 of that nonce instead, so nobody but Graph can verify them
  (AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet#609). APIs must not accept
  Graph tokens; the emulator reproduces the trap so that a validator's tests meet it.

Serialization is done here, directly on ``cryptography``: the token endpoint signs on every
request, and a generic JWT library's checks and conversions would cost as much as the rest of
the request. Nothing here verifies tokens (that is the relying party's job, with its own code).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tessera.entra.keys import ActiveKey
from tessera.entra.pki import b64url

_SHA256 = hashes.SHA256()
_PKCS1 = padding.PKCS1v15()


def _segment(obj: dict[str, Any]) -> bytes:
    return base64.urlsafe_b64encode(orjson.dumps(obj)).rstrip(b"=")


def sign(
    claims: dict[str, Any], key: ActiveKey, *, x5t_header: bool = False, graph_nonce: bool = False
) -> str:
    # Entra's member order: typ, nonce (Graph), alg, x5t (v1), kid.
    header: dict[str, Any] = {"typ": "JWT"}
    if graph_nonce:
        header["nonce"] = b64url(secrets.token_bytes(32))
    header["alg"] = "RS256"
    if x5t_header:
        header["x5t"] = key.kid
    header["kid"] = key.kid
    payload = _segment(claims)
    if graph_nonce:
        signed_header = dict(header, nonce=hashed_graph_nonce(header["nonce"]))
        signing_input = _segment(signed_header) + b"." + payload
        visible = _segment(header)
    else:
        visible = _segment(header)
        signing_input = visible + b"." + payload
    signature = key.private_key.sign(signing_input, _PKCS1, _SHA256)
    return (visible + b"." + payload + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def hashed_graph_nonce(nonce: str) -> str:
    """What the signature of a Graph token covers in place of the header's ``nonce``."""
    return b64url(hashlib.sha256(nonce.encode()).digest())


def restore_graph_signing_input(token: str) -> str:
    """The token as it was signed (the emulator's userinfo endpoint uses this to check Graph
    tokens, as Graph itself does)."""
    header_b64, payload, signature = token.split(".")
    header = orjson.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    nonce = header.get("nonce")
    if not isinstance(nonce, str):
        return token
    header["nonce"] = hashed_graph_nonce(nonce)
    return f"{_segment(header).decode()}.{payload}.{signature}"
