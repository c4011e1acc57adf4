"""OpenMetadata's own configuration, read as it is: a real ``openmetadata.yaml`` and the
environment variables of its Docker images and Helm chart.

* ``DB_HOST``, ``DB_PORT``, ``DB_USER``, ``DB_USER_PASSWORD``, ``OM_DATABASE``, ``DB_SCHEME``,
  ``DB_DRIVER_CLASS``, ``DB_USE_SSL`` and ``DB_PARAMS`` are assembled into the JDBC URL
  OpenMetadata's ``conf/openmetadata.yaml`` builds from them, which is then translated like any
  JDBC URL (:func:`jdbc_to_sqlalchemy`). ``LOG_LEVEL`` is logback's level names.
* ``openmetadata.yaml``'s sections that only mean something to OpenMetadata's Java server
  (Dropwizard, Elasticsearch, Airflow, ...) are dropped with one notice each; what tessera reads
  is translated (``database.url`` JDBC, ``server.applicationConnectors``' port, ``logging.level``).
  Anything else unknown is still refused by the settings' validation.

The notices are returned, never logged here: settings are loaded before logging is configured,
and the server logs them once it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa

from tessera.errors import ConfigError

# Top-level sections of OpenMetadata's server configuration (OpenMetadataApplicationConfig and
# Dropwizard's own) that tessera has nothing to do with, and why.
OPENMETADATA_ONLY: dict[str, str] = {
    "clusterName": "tessera runs one catalog per database",
    "swagger": "tessera serves its OpenAPI document itself, at /openapi.json",
    "metrics": "Dropwizard's metrics reporters",
    "health": "Dropwizard's health checks",
    "assets": "the UI is part of tessera",
    "migrationConfiguration": "tessera's migrations ship inside it: tessera db upgrade",
    "elasticsearch": "tessera searches in its own database",
    "eventMonitoringConfiguration": "OpenMetadata's event monitor",
    "eventHandlerConfiguration": "OpenMetadata's event handlers",
    "pipelineServiceClientConfiguration": "tessera runs no Airflow pipelines; tessera ingest runs ingestion",
    "secretsManagerConfiguration": "secrets are sealed in the database with the Fernet key",
    "security": "OpenMetadata's password masking (tessera always masks secrets)",
    "email": "tessera sends no email",
    "limits": "OpenMetadata's usage limits",
    "web": "OpenMetadata's HTTP response headers",
    "applicationConfig": "OpenMetadata's logo settings",
    "dataQualityConfiguration": "OpenMetadata's data quality engine",
    "objectStorage": "OpenMetadata's object storage",
    "operationalConfig": "OpenMetadata's operational settings",
    "rdf": "OpenMetadata's RDF store",
    "cache": "OpenMetadata's Redis cache",
    "cacheConfig": "OpenMetadata's Redis cache",
    "jobConfiguration": "OpenMetadata's background jobs",
    "pipelineServiceClient": "tessera runs no Airflow pipelines",
    "appsPrivateConfiguration": "OpenMetadata's applications",
    "samlConfiguration": "tessera signs in with basic or Azure (Entra ID)",
}

_SERVER_ONLY = ("adminConnectors", "requestLog", "type", "gzip", "registerDefaultExceptionMappers")
_DATABASE_POOL = (
    "maxSize",
    "minSize",
    "initialSize",
    "checkConnectionWhileIdle",
    "checkConnectionOnBorrow",
    "evictionInterval",
    "minIdleTime",
    "validationQuery",
    "properties",
)
# The keys tessera reads, from the sections it shares with OpenMetadata (empty values there are
# OpenMetadata's ``${VAR:-}`` for "unset").
_SHARED = (
    "server",
    "database",
    "authenticationConfiguration",
    "authorizerConfiguration",
    "jwtTokenConfiguration",
    "fernetConfiguration",
    "loginConfiguration",
)
# The key pair and Fernet key OpenMetadata ships in its repository for development: public, so
# never used to sign or seal anything here.
_SHIPPED_KEY_FILES = ("./conf/private_key.der", "./conf/public_key.der")
_SHIPPED_FERNET_KEY = "jJ/9sz0g0OHxsfxOoSfdFdmk3ysNmPRnH3TUAbz3IHA="

_LOG_LEVELS = {
    "TRACE": "DEBUG",
    "ALL": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARNING",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "OFF": "ERROR",
}

_DRIVERS = {
    "com.mysql.cj.jdbc.Driver": "mysql",
    "com.mysql.jdbc.Driver": "mysql",
    "org.mariadb.jdbc.Driver": "mysql",
    "org.postgresql.Driver": "postgresql",
}
_SQLALCHEMY_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}

# JDBC parameters with no meaning for tessera's drivers: PyMySQL negotiates the caching_sha2
# password exchange by itself and tessera stores times as UTC epoch numbers.
_HARMLESS = {
    "allowpublickeyretrieval",
    "servertimezone",
    "characterencoding",
    "useunicode",
    "connectioncollation",
    "cacheprepstmts",
    "useserverprepstmts",
    "rewritebatchedstatements",
    "prepstmtcachesize",
    "prepstmtcachesqllimit",
    "tcpkeepalive",
    "reWriteBatchedInserts".lower(),
}
# libpq understands these under the same names (https://www.postgresql.org/docs/current/libpq-connect.html).
_LIBPQ = {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "target_session_attrs"}
_LIBPQ_RENAMED = {"connecttimeout": "connect_timeout", "applicationname": "application_name"}


def log_level(value: str) -> str:
    """A logback level (OpenMetadata's ``LOG_LEVEL``) as a Python logging level name."""
    level = _LOG_LEVELS.get(value.strip().upper())
    if level is None:
        raise ConfigError(f"LOG_LEVEL {value!r} is not a level; use one of {', '.join(sorted(_LOG_LEVELS))}")
    return level


def environment(env: Mapping[str, str], notices: list[str]) -> dict[str, Any]:
    """Dotted keys from OpenMetadata's ``DB_*`` and ``LOG_LEVEL`` variables."""
    data: dict[str, Any] = {}
    if env.get("LOG_LEVEL", ""):
        data["server.logLevel"] = log_level(env["LOG_LEVEL"])
    names = ("DB_PORT", "DB_USER", "DB_USER_PASSWORD", "OM_DATABASE", "DB_SCHEME", "DB_DRIVER_CLASS")
    if not env.get("DB_HOST", ""):
        given = [name for name in (*names, "DB_USE_SSL", "DB_PARAMS") if env.get(name, "")]
        if given:
            notices.append(
                f"{', '.join(given)} ignored: without DB_HOST there is no database server to reach "
                "(tessera uses its embedded SQLite database, or TESSERA_DATABASE_URL)"
            )
        return data
    scheme = env.get("DB_SCHEME", "") or _DRIVERS.get(env.get("DB_DRIVER_CLASS", ""), "mysql")
    port = env.get("DB_PORT", "") or str(_DEFAULT_PORTS.get(scheme, 3306))
    database = env.get("OM_DATABASE", "") or "openmetadata_db"
    # OpenMetadata's default parameters; DB_USE_SSL is its useSSL.
    params = env.get("DB_PARAMS", "") or "allowPublicKeyRetrieval=true&useSSL=false&serverTimezone=UTC"
    use_ssl = env.get("DB_USE_SSL", "").strip().lower()
    if use_ssl:
        if use_ssl not in ("true", "false"):
            raise ConfigError(f"DB_USE_SSL {env['DB_USE_SSL']!r} is neither true nor false")
        kept = [pair for pair in params.split("&") if pair and pair.split("=", 1)[0].lower() != "usessl"]
        params = "&".join([*kept, f"useSSL={use_ssl}"])
    jdbc = f"jdbc:{scheme}://{env['DB_HOST']}:{port}/{database}?{params}"
    data["database.url"] = jdbc_to_sqlalchemy(
        jdbc,
        user=env.get("DB_USER", "") or "openmetadata_user",
        password=env.get("DB_USER_PASSWORD", "") or "openmetadata_password",
        driver_class=env.get("DB_DRIVER_CLASS", ""),
        notices=notices,
    )
    return data


def translate_yaml(data: dict[str, Any], notices: list[str]) -> dict[str, Any]:
    """An ``openmetadata.yaml`` (already expanded) as tessera's settings, and what was dropped."""
    translated: dict[str, Any] = {}
    for key, value in data.items():
        if key in OPENMETADATA_ONLY:
            notices.append(f"openmetadata.yaml: {key} ignored ({OPENMETADATA_ONLY[key]})")
        elif key == "logging":
            level = value.get("level") if isinstance(value, dict) else None
            if level:
                translated.setdefault("server", {}).setdefault("logLevel", log_level(str(level)))
            notices.append(
                "openmetadata.yaml: logging ignored but for its level (tessera logs to standard error; "
                "the container's runtime collects it)"
            )
        elif key in _SHARED and isinstance(value, dict):
            section = _without_unset(value)
            if key == "server":
                section = _server(section, notices)
            elif key == "database":
                section = _database(section, notices)
            elif key == "authenticationConfiguration":
                section = _authentication(section, notices)
            elif key == "jwtTokenConfiguration":
                section = _jwt(section, notices)
            elif key == "fernetConfiguration":
                section = _fernet(section, notices)
            merged = translated.setdefault(key, {})
            for name, item in section.items():
                merged.setdefault(name, item)
        else:
            translated[key] = value
    return translated


def _without_unset(section: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _without_unset(value) if isinstance(value, dict) else value
        for key, value in section.items()
        if value is not None and value != ""
    }


def _server(section: dict[str, Any], notices: list[str]) -> dict[str, Any]:
    connectors = section.pop("applicationConnectors", None)
    if connectors is not None:
        http = [c for c in connectors or [] if isinstance(c, dict) and c.get("type", "http") == "http"]
        if not http:
            raise ConfigError(
                "openmetadata.yaml: server.applicationConnectors has no http connector; tessera serves "
                "plain HTTP behind a TLS-terminating proxy or ingress (an https connector's keystore "
                "is OpenMetadata's)"
            )
        if "bindHost" in http[0]:
            section.setdefault("host", str(http[0]["bindHost"]))
        if "port" in http[0]:
            section.setdefault("port", http[0]["port"])
        notices.append(
            "openmetadata.yaml: server.applicationConnectors ignored but for the http connector's bindHost "
            "and port"
        )
    dropped = [key for key in _SERVER_ONLY if section.pop(key, None) is not None]
    # OpenMetadata mounts its REST API at /api/*; tessera serves /api/v1 there already.
    if section.get("rootPath") in ("/api/*", "/api"):
        section.pop("rootPath")
    if dropped:
        notices.append(f"openmetadata.yaml: server.{', server.'.join(dropped)} ignored (Dropwizard's)")
    return section


def _database(section: dict[str, Any], notices: list[str]) -> dict[str, Any]:
    driver_class = str(section.pop("driverClass", ""))
    user = str(section.pop("user", ""))
    password = str(section.pop("password", ""))
    url = str(section.get("url", ""))
    if url.startswith("jdbc:"):
        section["url"] = jdbc_to_sqlalchemy(
            url, user=user, password=password, driver_class=driver_class, notices=notices
        )
    elif user or password:
        raise ConfigError(
            "openmetadata.yaml: database.user and database.password go with a jdbc: URL; with an "
            "SQLAlchemy URL write them into it (postgresql+psycopg://user:password@host/db)"
        )
    pool = [key for key in _DATABASE_POOL if section.pop(key, None) is not None]
    if pool:
        notices.append(
            f"openmetadata.yaml: database.{', database.'.join(pool)} ignored (JDBC pool settings; "
            "tessera's pool per process is database.poolSize)"
        )
    return section


def _authentication(section: dict[str, Any], notices: list[str]) -> dict[str, Any]:
    for key in ("samlConfiguration", "ldapConfiguration"):
        if section.pop(key, None) is not None:
            notices.append(
                f"openmetadata.yaml: authenticationConfiguration.{key} ignored (tessera signs in with "
                "basic or azure)"
            )
    return section


def _jwt(section: dict[str, Any], notices: list[str]) -> dict[str, Any]:
    shipped = [
        key
        for key in ("rsaprivateKeyFilePath", "rsapublicKeyFilePath")
        if section.get(key) in _SHIPPED_KEY_FILES
    ]
    if shipped:
        for key in ("rsaprivateKeyFilePath", "rsapublicKeyFilePath"):
            section.pop(key, None)
        notices.append(
            "openmetadata.yaml: jwtTokenConfiguration key files ignored: ./conf/*_key.der are "
            "OpenMetadata's published development keys; tessera generates its own into the database"
        )
    return section


def _fernet(section: dict[str, Any], notices: list[str]) -> dict[str, Any]:
    if section.get("fernetKey") == _SHIPPED_FERNET_KEY:
        section.pop("fernetKey")
        notices.append(
            "openmetadata.yaml: fernetConfiguration.fernetKey ignored: it is OpenMetadata's published "
            "default key; set FERNET_KEY to a key of your own"
        )
    return section


# -- JDBC ---------------------------------------------------------------------------------------


def jdbc_to_sqlalchemy(
    jdbc: str, *, user: str = "", password: str = "", driver_class: str = "", notices: list[str]
) -> str:
    """A JDBC URL (PostgreSQL's or MySQL's) as the SQLAlchemy URL of tessera's drivers.

    TLS settings are kept, never weakened: pgjdbc's ``ssl=true`` verifies the server
    (``sslmode=verify-full`` against the system's CAs), MySQL's ``useSSL=true`` encrypts without
    verifying, as Connector/J does. Parameters that mean nothing to tessera's drivers are noted.
    """
    if not jdbc.startswith("jdbc:"):
        raise ConfigError(f"database.url {_hidden(jdbc)!r} is not a JDBC URL (jdbc:postgresql://...)")
    parts = urlsplit(jdbc[len("jdbc:") :])
    scheme = parts.scheme.lower()
    if scheme not in _SQLALCHEMY_DRIVERS:
        raise ConfigError(
            f"database.url: tessera speaks to PostgreSQL and MySQL (jdbc:postgresql:// or jdbc:mysql://), "
            f"not jdbc:{scheme}:"
        )
    expected = _DRIVERS.get(driver_class)
    if driver_class and expected is None:
        raise ConfigError(f"database.driverClass {driver_class!r} is not PostgreSQL's or MySQL's JDBC driver")
    if expected is not None and expected != ("mysql" if scheme == "mariadb" else scheme):
        raise ConfigError(
            f"database.driverClass {driver_class} does not match the URL's jdbc:{scheme}: "
            "(DB_DRIVER_CLASS and DB_SCHEME disagree)"
        )
    if not parts.hostname:
        raise ConfigError(f"database.url {_hidden(jdbc)!r} names no host")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    user = user or params.pop("user", "")
    password = password or params.pop("password", "")
    params.pop("user", None)
    params.pop("password", None)
    translate = _postgresql_params if scheme == "postgresql" else _mysql_params
    query = translate(params, notices)
    url = sa.URL.create(
        _SQLALCHEMY_DRIVERS[scheme],
        username=user or None,
        password=password or None,
        host=parts.hostname,
        port=parts.port or _DEFAULT_PORTS["postgresql" if scheme == "postgresql" else "mysql"],
        database=parts.path.lstrip("/") or None,
        query=query,
    )
    return url.render_as_string(hide_password=False)


def _postgresql_params(params: dict[str, str], notices: list[str]) -> dict[str, str]:
    query: dict[str, str] = {}
    ignored: list[str] = []
    for name, value in params.items():
        lower = name.lower()
        if lower in _LIBPQ:
            query[lower] = value
        elif lower in _LIBPQ_RENAMED:
            query[_LIBPQ_RENAMED[lower]] = value
        elif lower == "ssl":
            if value.lower() == "true" and "sslmode" not in {key.lower() for key in params}:
                # pgjdbc: ssl=true without sslmode verifies the certificate and the host name.
                query["sslmode"] = "verify-full"
                query.setdefault("sslrootcert", "system")
        elif lower == "usessl":
            # OpenMetadata's DB_USE_SSL, meant for MySQL; honoured for PostgreSQL too.
            if value.lower() == "true" and "sslmode" not in {key.lower() for key in params}:
                query["sslmode"] = "require"
        elif lower not in _HARMLESS:
            ignored.append(name)
    if ignored:
        notices.append(f"database.url: JDBC parameter(s) {', '.join(ignored)} ignored (not libpq's)")
    return query


def _mysql_params(params: dict[str, str], notices: list[str]) -> dict[str, str]:
    lowered = {name.lower(): value for name, value in params.items()}
    mode = lowered.pop("sslmode", "").upper()
    use_ssl = lowered.pop("usessl", "").lower() == "true"
    require_ssl = lowered.pop("requiressl", "").lower() == "true"
    query: dict[str, str] = {}
    if mode in ("VERIFY_CA", "VERIFY_IDENTITY"):
        raise ConfigError(
            f"database.url: sslMode={mode} verifies the server against a Java trust store, which tessera "
            "cannot read; give database.url as an SQLAlchemy URL with the CA's PEM file instead: "
            "mysql+pymysql://user:password@host:3306/db?ssl_ca=/path/ca.pem"
        )
    if mode == "REQUIRED" or (mode in ("", "PREFERRED") and (use_ssl or require_ssl)):
        # Encrypted without verifying the certificate, as Connector/J's useSSL=true does.
        query["ssl_check_hostname"] = "false"
    elif mode == "PREFERRED":
        notices.append("database.url: sslMode=PREFERRED connects without TLS (PyMySQL cannot fall back)")
    elif mode not in ("", "DISABLED"):
        raise ConfigError(f"database.url: sslMode={mode} is not one of MySQL's modes")
    for name in ("ssl_ca", "ssl_cert", "ssl_key"):
        if name in lowered:
            query[name] = lowered.pop(name)
            query.pop("ssl_check_hostname", None)
    ignored = [name for name in lowered if name not in _HARMLESS]
    if ignored:
        notices.append(f"database.url: JDBC parameter(s) {', '.join(ignored)} ignored (not PyMySQL's)")
    return query


def _hidden(url: str) -> str:
    """A URL as it may be shown: no password."""
    return url.split("@")[-1] if "@" in url else url.split("?")[0]
