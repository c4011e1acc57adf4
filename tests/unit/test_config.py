from pathlib import Path

import pytest

from tessera.config import load_settings
from tessera.errors import ConfigError


def test_defaults_start_on_embedded_sqlite_in_tessera_home(tmp_path: Path) -> None:
    settings = load_settings(environ={"TESSERA_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'tessera.db'}"
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8585


def test_openmetadata_env_names_override_the_file(tmp_path: Path) -> None:
    config = tmp_path / "tessera.yaml"
    config.write_text("authorizerConfiguration:\n  adminPrincipals: [alice]\n  principalDomain: a.com\n")
    settings = load_settings(
        config,
        environ={"AUTHORIZER_ADMIN_PRINCIPALS": "[bob, carol]", "AUTHORIZER_PRINCIPAL_DOMAIN": "b.com"},
    )
    assert settings.authorizerConfiguration.adminPrincipals == ("bob", "carol")
    assert settings.authorizerConfiguration.principalDomain == "b.com"


def test_yaml_expands_environment_references(tmp_path: Path) -> None:
    config = tmp_path / "tessera.yaml"
    config.write_text("server:\n  port: ${PORT:-9000}\n  host: ${HOST}\n")
    settings = load_settings(config, environ={"HOST": "0.0.0.0"})
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9000)


def test_missing_environment_reference_is_named(tmp_path: Path) -> None:
    config = tmp_path / "tessera.yaml"
    config.write_text("server:\n  host: ${NOT_SET_ANYWHERE}\n")
    with pytest.raises(ConfigError, match="NOT_SET_ANYWHERE"):
        load_settings(config, environ={})


def test_unknown_key_names_key_value_and_allowed_keys(tmp_path: Path) -> None:
    config = tmp_path / "tessera.yaml"
    config.write_text("authenticationConfiguration:\n  provder: azure\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ={})
    message = str(info.value)
    assert "authenticationConfiguration.provder" in message
    assert "'azure'" in message
    assert "provider" in message.split("allowed keys here:")[1]


def test_bad_enum_value_lists_what_is_allowed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"AUTHENTICATION_PROVIDER": "okta"})
    assert "authenticationConfiguration.provider" in str(info.value)
    assert "'okta' is not allowed" in str(info.value)
    assert "'azure'" in str(info.value)


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    config = tmp_path / "tessera.yaml"
    config.write_text("server:\n  port: 1\n   host: x\n")
    with pytest.raises(ConfigError, match="line 3"):
        load_settings(config, environ={})


def test_production_env_switch(tmp_path: Path) -> None:
    settings = load_settings(environ={"TESSERA_ENV": "production"})
    assert settings.server.production is True
