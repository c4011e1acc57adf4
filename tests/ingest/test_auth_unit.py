"""Token providers without a network: JWT files and AADSTS explanations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.ingest.auth import AADSTS, AzureToken, StaticToken, explain_msal_error, is_microsoft_host
from tessera.ingest.errors import ConfigError

REQUIRED_CODES = (7000215, 7000222, 700016, 1002012, 500011, 90002, 501051, 65001)


def test_jwt_is_the_token_or_a_file_holding_it(tmp_path: Path) -> None:
    assert StaticToken("abc.def.ghi").token() == "abc.def.ghi"
    path = tmp_path / "bot.jwt"
    path.write_text("  from.a.file\n")
    provider = StaticToken(str(path))
    assert provider.token() == "from.a.file"
    assert str(path) in provider.description
    (tmp_path / "empty").write_text("")
    with pytest.raises(ConfigError, match="empty"):
        StaticToken(str(tmp_path / "empty"))


def test_a_real_sized_jwt_is_the_token_not_a_file_name() -> None:
    # Bot JWTs are ~900 characters: longer than a file name may be (ENAMETOOLONG on Linux).
    token = "eyJhbGciOiJSUzI1NiJ9." + "a" * 900 + ".sig"
    assert StaticToken(token).token() == token
    assert StaticToken(f"  {token}\n").token() == token


@pytest.mark.parametrize("code", REQUIRED_CODES)
def test_aadsts_errors_say_code_meaning_and_fix(code: int) -> None:
    error = explain_msal_error(
        {
            "error": "invalid_client",
            "error_description": f"AADSTS{code}: Entra's words.\r\nTrace ID: 1\r\nCorrelation ID: 2",
            "error_codes": [code],
        }
    )
    assert error.code == code
    assert f"AADSTS{code} ({AADSTS[code].meaning})" in error.message
    assert "Entra's words." in error.message
    assert "Trace ID" not in error.message
    assert error.hint == AADSTS[code].fix
    assert error.exit_code == 3


def test_unknown_aadsts_code_still_reported() -> None:
    error = explain_msal_error({"error": "x", "error_description": "AADSTS123: odd"})
    assert error.code == 123
    assert "AADSTS123" in error.message


def test_instance_discovery_only_for_microsoft_hosts() -> None:
    assert is_microsoft_host("https://login.microsoftonline.com/contoso")
    assert not is_microsoft_host("https://127.0.0.1:8443/tenant")


def test_authority_must_be_https() -> None:
    with pytest.raises(ConfigError, match="must be an https URL"):
        AzureToken(client_id="a", client_secret="b", authority="http://idp/tenant", scopes=["x/.default"])
