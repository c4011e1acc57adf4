"""The signing keys live in the database: replicas with separate homes share them, see a rotation
within seconds (at once for a token signed by a key they have not seen), and an older tessera's
TESSERA_HOME/jwt ring is imported."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine

from tessera.auth.keys import MAX_TOKEN_LIFETIME_S, REFRESH_EVERY_S, KeyRing, thumbprint
from tessera.auth.tokens import TesseraTokens, TokenType
from tessera.errors import ConfigError
from tessera.secrets.box import SecretBox
from tests.clock import MovableClock
from tests.unit.auth.key_tables import key_database

KEY = Fernet.generate_key().decode()


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return key_database(tmp_path)


def _replica(engine: Engine, home: Path, clock: MovableClock, key: str = KEY) -> KeyRing:
    ring = KeyRing(engine, SecretBox([key]), home, clock=clock.now, monotonic=clock.monotonic)
    ring.load()
    return ring


def _token(ring: KeyRing, subject: str = "alice") -> str:
    return (
        TesseraTokens(ring, "open-metadata.org")
        .issue(subject=subject, email=f"{subject}@x", token_type=TokenType.USER, lifetime_s=600)
        .token
    )


def test_replicas_with_separate_homes_share_the_keys_and_see_a_rotation(
    engine: Engine, tmp_path: Path
) -> None:
    clock = MovableClock()
    first = _replica(engine, tmp_path / "a", clock)
    second = _replica(engine, tmp_path / "b", clock)
    assert first.signing.kid == second.signing.kid
    before = _token(first)
    assert TesseraTokens(second, "open-metadata.org").verify(before)["sub"] == "alice"

    new_kid = first.rotate()  # as `tessera keys rotate` does, from anywhere
    after = _token(first)
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    # The second replica has not looked yet: an unknown kid makes it look at once.
    clock.advance(0.3)
    assert TesseraTokens(second, "open-metadata.org").verify(after)["sub"] == "alice"
    assert TesseraTokens(second, "open-metadata.org").verify(before)["sub"] == "alice"
    # And it signs with the new key once its key set is older than the refresh interval.
    clock.advance(REFRESH_EVERY_S)
    assert second.signing.kid == new_kid
    assert {k["kid"] for k in second.jwks()["keys"]} == {new_kid, jwt.get_unverified_header(before)["kid"]}


def test_made_up_kids_do_not_each_cost_a_query(engine: Engine, tmp_path: Path) -> None:
    clock = MovableClock()
    ring = _replica(engine, tmp_path, clock)
    queries: list[str] = []

    from sqlalchemy import event

    def count(*args: object) -> None:
        queries.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    clock.advance(0.3)
    for n in range(50):
        assert ring.verifying_key(f"forged-{n}") is None
    event.remove(engine, "before_cursor_execute", count)
    assert len([q for q in queries if "signing_key" in q]) == 1


def test_a_retired_key_is_published_until_its_tokens_have_expired(engine: Engine, tmp_path: Path) -> None:
    clock = MovableClock()
    ring = _replica(engine, tmp_path, clock)
    old = ring.signing.kid
    new = ring.rotate()
    assert [row.kid for row in ring.history()] == [new, old]
    clock.advance(MAX_TOKEN_LIFETIME_S + REFRESH_EVERY_S + 1)
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new]
    # The history keeps it.
    assert [ring.state(row) for row in ring.history()] == ["signing", "expired"]


def test_a_replica_with_another_fernet_key_is_told_what_to_fix(engine: Engine, tmp_path: Path) -> None:
    clock = MovableClock()
    _replica(engine, tmp_path / "a", clock)
    with pytest.raises(ConfigError, match="every replica needs the same FERNET_KEY"):
        _replica(engine, tmp_path / "b", clock, key=Fernet.generate_key().decode())


def _legacy_ring(home: Path, created: int = 1_700_000_000) -> rsa.RSAPrivateKey:
    """TESSERA_HOME/jwt as tessera wrote it before the keys moved into the database."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = thumbprint(private.public_key())
    directory = home / "jwt"
    directory.mkdir(parents=True)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (directory / f"key-{kid}.pem").write_bytes(pem)
    manifest = {
        "signing": kid,
        "keys": [{"kid": kid, "file": f"key-{kid}.pem", "created": created, "retired": None}],
    }
    (directory / "ring.json").write_text(json.dumps(manifest))
    return private


def test_an_older_home_ring_is_imported_and_its_tokens_stay_valid(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = MovableClock()
    first_key = _legacy_ring(tmp_path / "a")
    old_token = jwt.encode(
        {"iss": "open-metadata.org", "sub": "bot", "tokenType": "BOT", "iat": 1, "exp": 2**31},
        first_key,
        "RS256",
        {"kid": thumbprint(first_key.public_key())},
    )
    with caplog.at_level(logging.WARNING):
        first = _replica(engine, tmp_path / "a", clock)
    assert "moved 1 signing key(s) from" in caplog.text
    assert first.signing.kid == thumbprint(first_key.public_key())
    assert first.history()[0].origin.startswith("imported from")
    assert TesseraTokens(first, "open-metadata.org").verify(old_token)["sub"] == "bot"
    # A second replica that had a ring of its own: its key joins, retired, and still verifies.
    second_key = _legacy_ring(tmp_path / "b")
    second = _replica(engine, tmp_path / "b", clock)
    assert second.signing.kid == first.signing.kid
    assert second.verifying_key(thumbprint(second_key.public_key())) is not None
    # A restart imports nothing twice.
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        _replica(engine, tmp_path / "a", clock)
    assert "moved" not in caplog.text
    assert len(first.history()) == 2
