"""The workflow YAML: OpenMetadata's keys, ${VAR} expansion, and errors that name line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.ingest.errors import ConfigError
from tessera.ingest.loading import load_workflow, parse_workflow
from tessera.ingest.workflow import FilterPattern

SQLITE = """\
source:
  type: sqlite
  serviceName: local_sqlite
  serviceConnection:
    config:
      type: SQLite
      database: testdb
      databaseMode: /tmp/app.db
  sourceConfig:
    config:
      type: DatabaseMetadata
sink:
  type: metadata-rest
  config: {}
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
    authProvider: openmetadata
    securityConfig:
      jwtToken: ${JWT}
"""

AZURE = """\
source:
  type: postgres
  serviceName: pg
  serviceConnection:
    config:
      type: Postgres
      hostPort: db:5432
      username: reader
      authType:
        password: ${PGPASSWORD}
      database: shop
  sourceConfig:
    config:
      type: DatabaseMetadata
workflowConfig:
  openMetadataServerConfig:
    hostPort: https://catalog.example.com/api
    authProvider: azure
    verifySSL: validate
    sslConfig:
      caCertificate: /etc/ssl/ca.pem
    securityConfig:
      clientId: 11111111-2222-3333-4444-555555555555
      clientSecret: ${AZURE_SECRET}
      authority: https://login.microsoftonline.com/contoso.onmicrosoft.com
      scopes:
        - api://catalog/.default
"""


def parse(text: str, **env: str) -> tuple[object, list[str]]:
    loaded = parse_workflow(text, name="wf.yaml", environ={"JWT": "token", **env})
    return loaded.workflow, loaded.warnings


def error(text: str, **env: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_workflow(text, name="wf.yaml", environ={"JWT": "token", **env})
    return info.value.message


def test_reads_openmetadata_sqlite_workflow() -> None:
    loaded = parse_workflow(SQLITE, environ={"JWT": "abc"})
    workflow = loaded.workflow
    assert loaded.warnings == []
    assert workflow.source.service_type == "SQLite"
    assert workflow.source.serviceConnection.config.databaseMode == "/tmp/app.db"
    assert workflow.server.securityConfig is not None
    assert workflow.server.securityConfig.jwtToken is not None
    assert workflow.server.securityConfig.jwtToken.get_secret_value() == "abc"
    assert workflow.metadata.markDeletedTables is True
    assert workflow.workflowConfig.successThreshold == 90
    assert workflow.sink.type == "metadata-rest"


def test_reads_azure_security_config_that_openmetadata_2_rejects() -> None:
    loaded = parse_workflow(AZURE, environ={"PGPASSWORD": "pw", "AZURE_SECRET": "s3cret"})
    server = loaded.workflow.server
    assert server.authProvider == "azure"
    assert server.securityConfig is not None
    assert server.securityConfig.scopes == ["api://catalog/.default"]
    assert server.sslConfig is not None
    assert server.sslConfig.caCertificate == "/etc/ssl/ca.pem"
    assert loaded.workflow.source.serviceConnection.config.secret == "pw"
    assert loaded.warnings == []


def test_env_expansion_with_default_and_escape() -> None:
    text = SQLITE.replace("/tmp/app.db", "${DB_DIR:-/data}/app.db").replace(
        "serviceName: local_sqlite", "serviceName: svc_\\${literal}"
    )
    workflow, _ = parse(text)
    assert workflow.source.serviceConnection.config.databaseMode == "/data/app.db"  # type: ignore[attr-defined]
    assert workflow.source.serviceName == "svc_${literal}"  # type: ignore[attr-defined]
    workflow, _ = parse(text, DB_DIR="/srv")
    assert workflow.source.serviceConnection.config.databaseMode == "/srv/app.db"  # type: ignore[attr-defined]


def test_missing_env_var_names_line_key_and_variable() -> None:
    with pytest.raises(ConfigError) as info:
        parse_workflow(SQLITE, name="wf.yaml", environ={})
    message = info.value.message
    assert message.startswith("wf.yaml:20:")
    assert "workflowConfig.openMetadataServerConfig.securityConfig.jwtToken" in message
    assert "environment variable JWT is not set" in message


def test_yaml_syntax_error_has_line_and_column() -> None:
    message = error(SQLITE.replace("  serviceName: local_sqlite", "  serviceName: [local_sqlite"))
    assert message.startswith("wf.yaml:4:")
    assert "invalid YAML" in message


def test_duplicate_key_is_an_error() -> None:
    message = error(SQLITE.replace("  serviceName: local_sqlite\n", "  serviceName: a\n  serviceName: b\n"))
    assert "wf.yaml:4: source.serviceName is given twice (first on line 3)" in message


def test_unknown_key_names_key_line_and_what_is_allowed() -> None:
    message = error(SQLITE.replace("      databaseMode:", "      databaseMod: x\n      databaseMode:"))
    assert message.startswith(
        "wf.yaml:8:7: source.serviceConnection.config.databaseMod: unknown key 'databaseMod'"
    )
    assert "allowed here:" in message
    assert "databaseMode" in message


def test_openmetadata_only_key_is_a_warning() -> None:
    workflow, warnings = parse(
        SQLITE.replace("      type: DatabaseMetadata", "      type: DatabaseMetadata\n      includeDDL: true")
    )
    assert workflow is not None
    assert warnings == [
        "wf.yaml:12:7: source.sourceConfig.config.includeDDL: "
        "OpenMetadata option, not used by tessera ingest; ignored"
    ]


def test_wrong_value_names_key_and_reason() -> None:
    message = error(SQLITE.replace("  type: sqlite", "  type: oracle"))
    assert message.startswith("wf.yaml:2:3: source.type: must be one of 'sqlite', 'postgres' or 'mysql'")
    message = error(SQLITE.replace("http://localhost:8585/api", "http://localhost:8585"))
    assert "workflowConfig.openMetadataServerConfig.hostPort" in message
    assert "must end in /api" in message


def test_provider_needs_its_credentials() -> None:
    message = error(SQLITE.replace("    securityConfig:\n      jwtToken: ${JWT}\n", ""))
    assert "authProvider openmetadata needs securityConfig.jwtToken" in message
    message = error(
        AZURE.replace("      clientId: 11111111-2222-3333-4444-555555555555\n", ""),
        PGPASSWORD="x",
        AZURE_SECRET="y",
    )
    assert "authProvider azure needs securityConfig.clientId" in message


def test_openmetadata_schema_violations_warn_without_echoing_secrets() -> None:
    text = SQLITE.replace("  type: sqlite", "  type: postgres").replace(
        "      type: SQLite\n      database: testdb\n      databaseMode: /tmp/app.db\n",
        "      type: Postgres\n      hostPort: h:5432\n      username: u\n"
        "      password: hunter2\n      database: d\n",
    )
    workflow, warnings = parse(text)
    assert workflow is not None
    assert any("metadata ingest` would reject this" in w for w in warnings)
    assert not any("hunter2" in w for w in warnings)


def test_bad_regex_in_filter_is_reported() -> None:
    text = SQLITE.replace(
        "      type: DatabaseMetadata\n",
        "      type: DatabaseMetadata\n      tableFilterPattern:\n        includes: ['(']\n",
    )
    message = error(text)
    assert "wf.yaml:13:9: source.sourceConfig.config.tableFilterPattern.includes:" in message
    assert "not a valid regular expression" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_workflow(tmp_path / "nope.yaml")


def test_filter_patterns_follow_openmetadata() -> None:
    pattern = FilterPattern(includes=["^cust", "ORD.*"], excludes=[".*_tmp$"])
    assert not pattern.excludes_name("customers")
    assert not pattern.excludes_name("orders")  # case-insensitive, like OpenMetadata
    assert pattern.excludes_name("customers_tmp")  # exclude wins over include
    assert pattern.excludes_name("products")  # not included
    assert pattern.excludes_name("my_orders") is True  # re.match anchors at the start
    assert not FilterPattern(excludes=["^tmp"]).excludes_name("orders")


def test_connection_type_must_match_source_type() -> None:
    message = error(SQLITE.replace("      type: SQLite", "      type: Postgres"))
    assert "source.type sqlite needs serviceConnection.config.type SQLite, not Postgres" in message
