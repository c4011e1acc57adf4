"""JWS signing of the tokens the emulator issues (RFC 7515, RFC 7519), with Entra's headers.

- v2 tokens: ``{"typ": "JWT", "alg": "RS256", "kid": …}``; v1 access tokens also ``x5t``
  (equal to ``kid``), as Entra's do.
- Microsoft Graph access tokens carry a ``nonce`` header and are signed over a header holding
  the SHA-256 of that nonce instead, so nobody but Graph can verify them
  (AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet#609). APIs must not accept
  Graph tokens; the emulator reproduces the trap so that a validator's tests meet it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

import jwt

from tessera.entra.keys import ActiveKey
from tessera.entra.pki import b64url


def sign(
    claims: dict[str, Any], key: ActiveKey, *, x5t_header: bool = False, graph_nonce: bool = False
) -> str:
    headers: dict[str, Any] = {"kid": key.kid}
    if x5t_header:
        headers["x5t"] = key.kid
    if not graph_nonce:
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers=headers)
    nonce = b64url(secrets.token_bytes(32))
    signed_over = dict(headers, nonce=hashed_graph_nonce(nonce))
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers=signed_over)
    _, payload, signature = token.split(".")
    header = jwt.get_unverified_header(token)
    header["nonce"] = nonce
    return f"{_encode_header(header)}.{payload}.{signature}"


def hashed_graph_nonce(nonce: str) -> str:
    """What the signature of a Graph token covers in place of the header's ``nonce``."""
    return b64url(hashlib.sha256(nonce.encode()).digest())


def restore_graph_signing_input(token: str) -> str:
    """The token as it was signed (the emulator's userinfo endpoint uses this to check Graph
    tokens, as Graph itself does)."""
    header_b64, payload, signature = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    nonce = header.get("nonce")
    if not isinstance(nonce, str):
        return token
    header["nonce"] = hashed_graph_nonce(nonce)
    return f"{_encode_header(header)}.{payload}.{signature}"


def _encode_header(header: dict[str, Any]) -> str:
    # PyJWT serialises headers with sorted keys and no spaces; the signing input must match.
    return b64url(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())
