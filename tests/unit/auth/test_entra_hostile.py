"""Entra ID tokens that a forger shapes to crash a validator: each is a 401, never an error.

The identity provider here is a JWKS document served by httpx's MockTransport (the network, not
our code, is what is replaced); tokens are signed with its key, so they pass the signature check
and reach the claim checks with claims of the wrong types.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tessera.auth.entra import EntraValidator
from tessera.config import AuthenticationSettings
from tessera.errors import NotAuthenticated

TENANT = str(uuid.UUID(int=7))
CLIENT = str(uuid.UUID(int=8))
KEYS_URL = "https://keys.example/discovery/v2.0/keys"
KID = "k1"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def validator(key: rsa.RSAPrivateKey) -> EntraValidator:
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": KID, "use": "sig"}

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"keys": [jwk]})

    settings = AuthenticationSettings(
        provider="azure",
        authority=f"https://login.microsoftonline.com/{TENANT}",
        clientId=CLIENT,
        publicKeyUrls=(KEYS_URL,),
    )
    return EntraValidator(settings, httpx.Client(transport=httpx.MockTransport(serve)))


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "aud": CLIENT,
        "tid": TENANT,
        "oid": str(uuid.uuid4()),
        "ver": "2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        **extra,
    }


def _signed(key: rsa.RSAPrivateKey, claims: dict[str, Any], **header: Any) -> str:
    # Raw JWS: PyJWT's jwt.encode refuses some of these claims itself.
    return jwt.PyJWS().encode(json.dumps(claims).encode(), key, "RS256", {"kid": KID, **header})


def _reason(validator: EntraValidator, token: str) -> str:
    with pytest.raises(NotAuthenticated) as info:
        validator.check_audience(validator.validate(token))
    return info.value.message


def test_a_well_formed_token_passes(validator: EntraValidator, key: rsa.RSAPrivateKey) -> None:
    validator.check_audience(validator.validate(_signed(key, _claims())))


@pytest.mark.parametrize(
    "audience",
    [[CLIENT, "other"], [[CLIENT]], {"x": 1}, 7, [{"a": 1}], ["https://graph.microsoft.com", CLIENT]],
    ids=repr,
)
def test_audience_of_the_wrong_shape_is_a_401(
    validator: EntraValidator, key: rsa.RSAPrivateKey, audience: object
) -> None:
    assert _reason(validator, _signed(key, _claims(aud=audience)))


@pytest.mark.parametrize(
    "claims",
    [{"iss": [f"https://login.microsoftonline.com/{TENANT}/v2.0"]}, {"tid": [TENANT]}, {"exp": "soon"}],
    ids=repr,
)
def test_claims_of_the_wrong_type_are_a_401(
    validator: EntraValidator, key: rsa.RSAPrivateKey, claims: dict[str, Any]
) -> None:
    assert _reason(validator, _signed(key, _claims(**claims)))


@pytest.mark.parametrize(
    "header",
    [{"kid": ["x"]}, {"kid": {"a": 1}}, {"kid": KID, "crit": ["foo"]}, {"kid": None}, [1], "RS256"],
    ids=repr,
)
def test_hostile_headers_are_a_401(validator: EntraValidator, header: Any) -> None:
    # Written by hand: PyJWT will not encode most of these headers.
    if isinstance(header, dict):
        header = {"alg": "RS256", **header}
    parts = [json.dumps(header).encode(), json.dumps(_claims()).encode(), b"signature"]
    token = ".".join(base64.urlsafe_b64encode(part).decode().rstrip("=") for part in parts)
    assert _reason(validator, token)
