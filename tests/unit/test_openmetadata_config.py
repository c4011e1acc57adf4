"""OpenMetadata's own configuration: JDBC URLs, the DB_* variables and a real openmetadata.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera.config import load_settings
from tessera.errors import ConfigError
from tessera.openmetadata_config import jdbc_to_sqlalchemy, log_level

OPENMETADATA_YAML = Path(__file__).parent.parent / "data" / "openmetadata.yaml"


def _jdbc(url: str, **kwargs: str) -> tuple[str, list[str]]:
    notices: list[str] = []
    return jdbc_to_sqlalchemy(url, notices=notices, **kwargs), notices


@pytest.mark.parametrize(
    ("jdbc", "expected"),
    [
        (
            "jdbc:postgresql://h:5432/db?sslmode=require",
            "postgresql+psycopg://om:secret@h:5432/db?sslmode=require",
        ),
        # pgjdbc's ssl=true verifies the server: so does libpq, against the system's CAs.
        (
            "jdbc:postgresql://h/db?ssl=true",
            "postgresql+psycopg://om:secret@h:5432/db?sslmode=verify-full&sslrootcert=system",
        ),
        (
            "jdbc:postgresql://h:6432/db?connectTimeout=5",
            "postgresql+psycopg://om:secret@h:6432/db?connect_timeout=5",
        ),
        (
            "jdbc:mysql://m:3306/openmetadata_db?allowPublicKeyRetrieval=true&useSSL=false&serverTimezone=UTC",
            "mysql+pymysql://om:secret@m:3306/openmetadata_db",
        ),
        # Connector/J's useSSL=true encrypts without verifying; PyMySQL the same way.
        ("jdbc:mysql://m/db?useSSL=true", "mysql+pymysql://om:secret@m:3306/db?ssl_check_hostname=false"),
        (
            "jdbc:mysql://m/db?sslMode=REQUIRED",
            "mysql+pymysql://om:secret@m:3306/db?ssl_check_hostname=false",
        ),
        ("jdbc:mariadb://m:3307/db", "mysql+pymysql://om:secret@m:3307/db"),
    ],
)
def test_jdbc_urls_become_sqlalchemy_urls(jdbc: str, expected: str) -> None:
    url, notices = _jdbc(jdbc, user="om", password="secret")
    assert url == expected
    assert notices == []


def test_a_password_with_url_characters_survives() -> None:
    url, _ = _jdbc("jdbc:postgresql://h:5432/db", user="o@m", password="p@ss:w/rd?#")
    parsed = sa.make_url(url)
    assert (parsed.username, parsed.password, parsed.host, parsed.database) == (
        "o@m",
        "p@ss:w/rd?#",
        "h",
        "db",
    )


def test_mysql_tls_is_really_on() -> None:
    url, _ = _jdbc("jdbc:mysql://m/db?useSSL=true", user="u")
    dialect = sa.create_engine(url).dialect
    _, kwargs = dialect.create_connect_args(sa.make_url(url))
    assert kwargs["ssl"] == {"check_hostname": False}


def test_unknown_parameters_are_noted_and_unsafe_ones_refused() -> None:
    _, notices = _jdbc("jdbc:postgresql://h/db?prepareThreshold=0", user="u")
    assert notices == ["database.url: JDBC parameter(s) prepareThreshold ignored (not libpq's)"]
    with pytest.raises(ConfigError, match=r"sslMode=VERIFY_IDENTITY .*\?ssl_ca="):
        _jdbc("jdbc:mysql://m/db?sslMode=VERIFY_IDENTITY")
    with pytest.raises(ConfigError, match="not jdbc:oracle:"):
        _jdbc("jdbc:oracle://h/db")
    with pytest.raises(ConfigError, match="DB_DRIVER_CLASS and DB_SCHEME disagree"):
        _jdbc("jdbc:postgresql://h/db", driver_class="com.mysql.cj.jdbc.Driver")


def test_openmetadata_variables_alone_configure_the_database_host_and_log_level() -> None:
    settings = load_settings(
        environ={
            "DB_DRIVER_CLASS": "org.postgresql.Driver",
            "DB_SCHEME": "postgresql",
            "DB_HOST": "postgresql",
            "DB_PORT": "5432",
            "DB_USER": "openmetadata_user",
            "DB_USER_PASSWORD": "openmetadata_password",
            "OM_DATABASE": "openmetadata_db",
            "DB_USE_SSL": "true",
            "DB_PARAMS": "allowPublicKeyRetrieval=true&useSSL=false&serverTimezone=UTC",
            "SERVER_HOST": "0.0.0.0",
            "SERVER_PORT": "8586",
            "LOG_LEVEL": "WARN",
        }
    )
    assert settings.database_url == (
        "postgresql+psycopg://openmetadata_user:openmetadata_password@postgresql:5432/openmetadata_db"
        "?sslmode=require"
    )
    assert (settings.server.host, settings.server.port, settings.server.logLevel) == (
        "0.0.0.0",
        8586,
        "WARNING",
    )
    # tessera's own names win over OpenMetadata's.
    mine = load_settings(
        environ={
            "DB_HOST": "db",
            "TESSERA_DATABASE_URL": "sqlite:///x.db",
            "LOG_LEVEL": "DEBUG",
            "TESSERA_LOG_LEVEL": "ERROR",
        }
    )
    assert mine.database_url == "sqlite:///x.db"
    assert mine.server.logLevel == "ERROR"


def test_db_variables_without_a_host_are_noted_not_guessed() -> None:
    settings = load_settings(environ={"DB_USER_PASSWORD": "x", "TESSERA_HOME": "/tmp/h"})
    assert settings.database_url == "sqlite:////tmp/h/tessera.db"
    assert any("DB_USER_PASSWORD ignored: without DB_HOST" in notice for notice in settings.notices)


def test_log_levels_of_logback() -> None:
    assert [log_level(v) for v in ("TRACE", "debug", "WARN", "OFF")] == ["DEBUG", "DEBUG", "WARNING", "ERROR"]
    with pytest.raises(ConfigError, match="LOG_LEVEL 'LOUD' is not a level"):
        log_level("LOUD")


def test_a_real_openmetadata_yaml_loads_with_one_notice_per_ignored_section() -> None:
    settings = load_settings(
        OPENMETADATA_YAML,
        environ={
            "DB_SCHEME": "postgresql",
            "DB_HOST": "pg",
            "DB_PORT": "5432",
            "DB_DRIVER_CLASS": "org.postgresql.Driver",
            "DB_PARAMS": "sslmode=disable",
        },
    )
    assert (
        settings.database_url
        == "postgresql+psycopg://openmetadata_user:openmetadata_password@pg:5432/openmetadata_db?sslmode=disable"
    )
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 8585)
    # OpenMetadata's published development keys are never used.
    assert settings.fernetConfiguration.fernetKey == ""
    assert settings.jwtTokenConfiguration.rsaprivateKeyFilePath == ""
    assert settings.authorizerConfiguration.adminPrincipals == ("admin",)
    ignored = [n.split(" ignored")[0].removeprefix("openmetadata.yaml: ") for n in settings.notices]
    for section in (
        "clusterName",
        "elasticsearch",
        "logging",
        "eventMonitoringConfiguration",
        "server.applicationConnectors",
        "pipelineServiceClientConfiguration",
        "authenticationConfiguration.samlConfiguration",
        "web",
    ):
        assert section in ignored, section
    assert len(settings.notices) == len(set(settings.notices))


def test_a_key_that_is_neither_openmetadatas_nor_tesseras_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "openmetadata.yaml"
    config.write_text(OPENMETADATA_YAML.read_text() + "\nelasticsearh:\n  host: x\n")
    with pytest.raises(ConfigError, match="unknown key 'elasticsearh'"):
        load_settings(config, environ={})
