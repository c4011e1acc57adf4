"""The confidential client's settings: OpenMetadata's OIDC_* variables, where its secret may
come from, and the session cookie's CSRF token."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.auth.sessions import cookie_value, csrf_token, session_key
from tessera.config import load_settings
from tessera.errors import ConfigError

OIDC = {
    "AUTHENTICATION_PROVIDER": "azure",
    "AUTHENTICATION_CLIENT_TYPE": "confidential",
    "OIDC_CLIENT_ID": "4c1f2b7e-8a6d-4b0e-9f3a-2d5c7e9b1a00",
    "OIDC_DISCOVERY_URI": "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
}


def test_openmetadatas_variables_give_the_client_id_and_the_authority(tmp_path: Path) -> None:
    settings = load_settings(environ={**OIDC, "TESSERA_HOME": str(tmp_path), "OIDC_CLIENT_SECRET": "s3cret"})
    auth = settings.authenticationConfiguration
    assert auth.clientId == OIDC["OIDC_CLIENT_ID"]
    assert auth.authority == "https://login.microsoftonline.com/contoso.onmicrosoft.com"
    assert "s3cret" not in repr(settings)


def test_the_secret_comes_from_a_file_and_never_literally_from_a_production_config(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    from_file = load_settings(
        environ={**OIDC, "TESSERA_HOME": str(tmp_path), "OIDC_CLIENT_SECRET_FILE": str(secret)}
    )
    assert from_file.authenticationConfiguration.oidcConfiguration.secret.get_secret_value() == "from-a-file"
    config = tmp_path / "tessera.yaml"
    config.write_text("authenticationConfiguration:\n  oidcConfiguration:\n    secret: written-here\n")
    production = {**OIDC, "TESSERA_HOME": str(tmp_path), "TESSERA_ENV": "production"}
    with pytest.raises(ConfigError, match="refuses the client secret written in"):
        load_settings(config, environ=production)
    config.write_text("authenticationConfiguration:\n  oidcConfiguration:\n    secret: ${OIDC_SECRET}\n")
    referenced = load_settings(config, environ={**production, "OIDC_SECRET": "from-env"})
    assert referenced.authenticationConfiguration.oidcConfiguration.secret.get_secret_value() == "from-env"


def test_mappings_come_from_the_environment_as_json(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "TESSERA_HOME": str(tmp_path),
            "TESSERA_PROVIDER_MAPPINGS": '[{"appRole": "A", "roles": ["R"]}]',
        }
    )
    assert settings.authorizerConfiguration.providerMappings[0].roles == ("R",)
    with pytest.raises(ConfigError, match="providerMappings is not valid JSON"):
        load_settings(environ={"TESSERA_HOME": str(tmp_path), "TESSERA_PROVIDER_MAPPINGS": "[{nope"})


def test_the_csrf_token_is_bound_to_the_cookie_and_reveals_neither_it_nor_its_key() -> None:
    assert csrf_token("a") != csrf_token("b")
    assert csrf_token("a") != session_key("a")
    assert cookie_value('x=1; tessera_session="abc"; y=2', "tessera_session") == "abc"
    assert cookie_value("tessera_session_other=abc", "tessera_session") is None
