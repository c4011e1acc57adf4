"""tessera's own JWTs: every way a token can be wrong gets a 401 that says which."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine

from tessera.auth.keys import KeyRing, thumbprint
from tessera.auth.tokens import TesseraTokens, TokenType
from tessera.errors import BadRequest, NotAuthenticated
from tessera.secrets.box import SecretBox
from tests.unit.auth.key_tables import key_database

ISSUER = "open-metadata.org"
BOX = SecretBox([Fernet.generate_key().decode()])


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return key_database(tmp_path)


@pytest.fixture
def ring(engine: Engine, tmp_path: Path) -> KeyRing:
    keys = KeyRing(engine, BOX, tmp_path)
    keys.load()
    return keys


@pytest.fixture
def tokens(ring: KeyRing) -> TesseraTokens:
    return TesseraTokens(ring, ISSUER, leeway_s=5)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned(header: dict[str, object], claims: dict[str, object], signature: bytes = b"") -> str:
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)])


def _claims(**extra: object) -> dict[str, object]:
    import time

    now = int(time.time())
    return {"iss": ISSUER, "sub": "alice", "tokenType": "BOT", "iat": now, "exp": now + 600, **extra}


def _reason(tokens: TesseraTokens, token: str) -> str:
    with pytest.raises(NotAuthenticated) as info:
        tokens.verify(token)
    assert info.value.headers["WWW-Authenticate"].startswith('Bearer realm="tessera", error="invalid_token"')
    return info.value.message


def test_generated_keys_are_sealed_in_the_database_and_kid_is_the_thumbprint(
    ring: KeyRing, engine: Engine, tmp_path: Path
) -> None:
    assert not (tmp_path / "jwt").exists()
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT kid, private_key FROM signing_key").all()
    assert [kid for kid, _ in stored] == [ring.signing.kid]
    assert stored[0][1].startswith("fernet:")
    assert "PRIVATE KEY" in BOX.open(stored[0][1])
    assert ring.signing.kid == thumbprint(ring.signing.public)
    published = ring.jwks()["keys"]
    assert [k["kid"] for k in published] == [ring.signing.kid]
    assert set(published[0]) == {"kty", "kid", "use", "alg", "n", "e"}


def test_issued_token_verifies_with_its_claims(tokens: TesseraTokens) -> None:
    issued = tokens.issue(
        subject="ingestion-bot", email="b@x", token_type=TokenType.BOT, lifetime_s=60, is_bot=True
    )
    claims = tokens.verify(issued.token)
    assert claims["sub"] == "ingestion-bot"
    assert claims["isBot"] is True
    assert claims["tokenType"] == "BOT"
    assert claims["exp"] - claims["iat"] == 60
    assert jwt.get_unverified_header(issued.token)["kid"] == tokens.keys.signing.kid


def test_alg_none_is_refused(tokens: TesseraTokens, ring: KeyRing) -> None:
    token = _unsigned({"alg": "none", "typ": "JWT", "kid": ring.signing.kid}, _claims())
    assert "algorithm 'none' is not accepted" in _reason(tokens, token)


def test_hs256_signed_with_the_public_key_is_refused(tokens: TesseraTokens, ring: KeyRing) -> None:
    public_pem = ring.signing.public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    header = {"alg": "HS256", "typ": "JWT", "kid": ring.signing.kid}
    signing_input = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(_claims()).encode())])
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64(signature)}"
    assert "algorithm 'HS256' is not accepted" in _reason(tokens, token)


@pytest.mark.parametrize("header", ["jku", "x5u", "jwk", "x5c"])
def test_key_carrying_headers_are_refused(tokens: TesseraTokens, ring: KeyRing, header: str) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        _claims(),
        attacker,
        algorithm="RS256",
        headers={"kid": ring.signing.kid, header: "https://evil.example/k"},
    )
    assert f"header '{header}' is not accepted" in _reason(tokens, token)


def test_kid_path_traversal_is_just_an_unknown_key(tokens: TesseraTokens) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(), attacker, algorithm="RS256", headers={"kid": "../../../../etc/passwd"})
    assert "Unknown signing key '../../../../etc/passwd'" in _reason(tokens, token)


def test_token_signed_by_another_key_with_our_kid_fails_the_signature(
    tokens: TesseraTokens, ring: KeyRing
) -> None:
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(), attacker, algorithm="RS256", headers={"kid": ring.signing.kid})
    assert "signature does not verify" in _reason(tokens, token)


def test_tampered_payload_fails_the_signature(tokens: TesseraTokens) -> None:
    issued = tokens.issue(subject="bob", email="b@x", token_type=TokenType.USER, lifetime_s=60)
    header, _payload, signature = issued.token.split(".")
    forged = _b64(json.dumps(_claims(sub="admin", tokenType="OM_USER")).encode())
    assert "signature does not verify" in _reason(tokens, f"{header}.{forged}.{signature}")


def test_expired_and_not_yet_valid(ring: KeyRing, tokens: TesseraTokens) -> None:
    import time

    key = ring.signing
    expired = jwt.encode(
        _claims(iat=int(time.time()) - 1000, exp=int(time.time()) - 100),
        key.private,
        "RS256",
        {"kid": key.kid},
    )
    assert _reason(tokens, expired) == "Not Authorized! Token expired"
    future = jwt.encode(_claims(nbf=int(time.time()) + 3600), key.private, "RS256", {"kid": key.kid})
    assert "not valid yet" in _reason(tokens, future)


def test_missing_exp_is_refused(ring: KeyRing, tokens: TesseraTokens) -> None:
    claims = _claims()
    del claims["exp"]
    token = jwt.encode(claims, ring.signing.private, "RS256", {"kid": ring.signing.kid})
    assert "no expiry" in _reason(tokens, token)


def test_wrong_issuer(ring: KeyRing, tokens: TesseraTokens) -> None:
    token = jwt.encode(
        _claims(iss="https://evil.example"), ring.signing.private, "RS256", {"kid": ring.signing.kid}
    )
    assert "issuer is not 'open-metadata.org'" in _reason(tokens, token)


def test_unknown_token_type(ring: KeyRing, tokens: TesseraTokens) -> None:
    token = jwt.encode(_claims(tokenType="ROOT"), ring.signing.private, "RS256", {"kid": ring.signing.kid})
    assert "Token type 'ROOT'" in _reason(tokens, token)


def test_oversized_token_and_random_bytes(tokens: TesseraTokens) -> None:
    assert "Token too large" in _reason(tokens, "a" * (17 * 1024))
    assert "Malformed token" in _reason(tokens, base64.b64encode(os.urandom(300)).decode())
    assert "Malformed token" in _reason(tokens, "not-a-jwt")


def test_unlimited_expiry_is_refused() -> None:
    from tessera.auth.tokens import expiry_seconds

    with pytest.raises(BadRequest, match="without expiry"):
        expiry_seconds("Unlimited")
    assert expiry_seconds("OneHour") == 3600


def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
    ring: KeyRing, tokens: TesseraTokens
) -> None:
    old = tokens.issue(subject="a", email="a@x", token_type=TokenType.USER, lifetime_s=60)
    old_kid = ring.signing.kid
    new_kid = ring.rotate()
    assert new_kid != old_kid
    assert {k["kid"] for k in ring.jwks()["keys"]} == {old_kid, new_kid}
    assert tokens.verify(old.token)["sub"] == "a"
    fresh = tokens.issue(subject="b", email="b@x", token_type=TokenType.USER, lifetime_s=60)
    assert jwt.get_unverified_header(fresh.token)["kid"] == new_kid


def test_configured_key_files_in_pem_and_der(tmp_path: Path, engine: Engine) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der_private = tmp_path / "private_key.der"
    der_public = tmp_path / "public_key.der"
    der_private.write_bytes(
        private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    der_public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    ring = KeyRing(engine, BOX, tmp_path / "home", private_path=str(der_private), public_path=str(der_public))
    ring.load()
    assert ring.signing.kid == thumbprint(private.public_key())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der_public.write_bytes(
        other.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    from tessera.errors import ConfigError

    with pytest.raises(ConfigError, match="not the public half"):
        KeyRing(
            engine, BOX, tmp_path / "home", private_path=str(der_private), public_path=str(der_public)
        ).load()


HOSTILE_HEADERS: list[object] = [
    {"alg": "RS256", "kid": ["x"]},
    {"alg": "RS256", "kid": {"a": 1}},
    {"alg": ["RS256"], "kid": "a"},
    {"alg": "RS256", "kid": None},
    {"alg": "RS256", "kid": "x", "crit": ["foo"]},
    {"alg": "RS256", "kid": "\u0000\u2603"},
    [1, 2],
    "str",
    1,
]


@pytest.mark.parametrize("header", HOSTILE_HEADERS, ids=repr)
def test_hostile_headers_are_a_401_never_an_error(tokens: TesseraTokens, header: object) -> None:
    token = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(_claims()).encode()), _b64(b"s")])
    assert _reason(tokens, token)


@pytest.mark.parametrize(
    "override",
    [{"tokenType": ["BOT"]}, {"tokenType": {"x": 1}}, {"iss": ["open-metadata.org"]}],
    ids=repr,
)
def test_signed_claims_of_the_wrong_type_are_a_401(
    ring: KeyRing, tokens: TesseraTokens, override: dict[str, object]
) -> None:
    # Claims built here, not in the parameters: test ids must not hold a timestamp (pytest-xdist
    # workers collect at different seconds and must agree on the ids).
    # Signed as raw JWS: PyJWT's jwt.encode itself refuses some of these claims.
    payload = json.dumps(_claims(**override)).encode()
    token = jwt.PyJWS().encode(payload, ring.signing.private, "RS256", {"kid": ring.signing.kid})
    assert _reason(tokens, token)
