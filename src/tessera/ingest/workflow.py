"""OpenMetadata's workflow YAML, typed: the subset ``tessera ingest`` acts on.

``loading.py`` reads the file into these models, with the line and key of every problem.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

SourceType = Literal["sqlite", "postgres", "mysql"]
AuthProvider = Literal["openmetadata", "azure", "no-auth"]
SERVICE_TYPES: dict[str, str] = {"sqlite": "SQLite", "postgres": "Postgres", "mysql": "Mysql"}


class _Model(BaseModel):
    # Unknown keys were already sorted into warnings and errors by the key check (pass 3).
    model_config = ConfigDict(extra="ignore", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, value: Any) -> Any:
        # OpenMetadata's schema allows an explicit null for optional keys, meaning "the default".
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if v is not None}
        return value


class FilterPattern(_Model):
    """OpenMetadata's include/exclude regex lists, matched with ``re.match``, ignoring case."""

    includes: list[str] = Field(default_factory=list)
    excludes: list[str] = Field(default_factory=list)

    @field_validator("includes", "excludes")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
        return patterns

    def excludes_name(self, name: str) -> bool:
        """True when ``name`` is filtered out; as in OpenMetadata, an exclude beats an include."""
        if self.includes and not any(re.match(p, name, re.IGNORECASE) for p in self.includes):
            return True
        return any(re.match(p, name, re.IGNORECASE) for p in self.excludes)


class AuthType(_Model):
    password: SecretStr | None = None


class ConnectionConfig(_Model):
    type: str | None = None
    scheme: str | None = None
    hostPort: str | None = None
    username: str | None = None
    # OpenMetadata 1.x put the password here; 2.x wants authType.password. Both work.
    password: SecretStr | None = None
    authType: AuthType | None = None
    database: str | None = None
    databaseName: str | None = None
    databaseSchema: str | None = None
    databaseMode: str | None = None
    connectionArguments: dict[str, Any] = Field(default_factory=dict)
    connectionOptions: dict[str, str] = Field(default_factory=dict)

    @property
    def secret(self) -> str | None:
        if self.authType is not None and self.authType.password is not None:
            return self.authType.password.get_secret_value()
        return self.password.get_secret_value() if self.password is not None else None


class ServiceConnection(_Model):
    config: ConnectionConfig


class MetadataConfig(_Model):
    type: Literal["DatabaseMetadata"] = "DatabaseMetadata"
    schemaFilterPattern: FilterPattern | None = None
    tableFilterPattern: FilterPattern | None = None
    useFqnForFiltering: bool = False
    markDeletedTables: bool = True
    includeTables: bool = True
    includeViews: bool = True
    overrideMetadata: bool = False


class SourceConfig(_Model):
    config: MetadataConfig = Field(default_factory=MetadataConfig)


class Source(_Model):
    type: SourceType
    serviceName: str = Field(min_length=1, max_length=256)
    serviceConnection: ServiceConnection
    sourceConfig: SourceConfig = Field(default_factory=SourceConfig)

    @field_validator("type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @property
    def service_type(self) -> str:
        return SERVICE_TYPES[self.type]

    @model_validator(mode="after")
    def _types_agree(self) -> Source:
        declared = self.serviceConnection.config.type
        if declared is not None and declared != self.service_type:
            raise ValueError(
                f"source.type {self.type} needs serviceConnection.config.type {self.service_type}, "
                f"not {declared}"
            )
        return self


class Sink(_Model):
    type: Literal["metadata-rest"] = "metadata-rest"
    config: dict[str, Any] | None = None


class SecurityConfig(_Model):
    jwtToken: SecretStr | None = None
    clientId: str | None = None
    clientSecret: SecretStr | None = None
    authority: str | None = None
    scopes: list[str] = Field(default_factory=list)


class SslConfig(_Model):
    caCertificate: str | None = None
    sslCertificate: str | None = None
    sslKey: str | None = None


class ServerConfig(_Model):
    hostPort: str
    authProvider: AuthProvider = "openmetadata"
    securityConfig: SecurityConfig | None = None
    verifySSL: Literal["no-ssl", "ignore", "validate"] = "no-ssl"
    sslConfig: SslConfig | None = None
    extraHeaders: dict[str, str] = Field(default_factory=dict)
    enableVersionValidation: bool = True

    @field_validator("hostPort")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL; write e.g. http://localhost:8585/api")
        if not parts.path.rstrip("/").endswith("/api"):
            raise ValueError(
                f"{value!r} must end in /api (e.g. {parts.scheme}://{parts.netloc}/api), "
                "as OpenMetadata's client requires"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _credentials(self) -> ServerConfig:
        security = self.securityConfig or SecurityConfig()
        if self.authProvider == "openmetadata" and security.jwtToken is None:
            raise ValueError(
                "authProvider openmetadata needs securityConfig.jwtToken: the bot's JWT, or the path "
                "of a file holding it (e.g. jwtToken: ${TESSERA_JWT})"
            )
        if self.authProvider == "azure":
            missing = [
                name
                for name, value in (
                    ("clientId", security.clientId),
                    ("clientSecret", security.clientSecret),
                    ("authority", security.authority),
                )
                if not value
            ]
            if not security.scopes:
                missing.append("scopes")
            if missing:
                raise ValueError(
                    f"authProvider azure needs securityConfig.{', securityConfig.'.join(missing)} "
                    "(see the Azure SSO guide, step 9)"
                )
        return self


LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR"]


class WorkflowConfig(_Model):
    openMetadataServerConfig: ServerConfig
    loggerLevel: LogLevel = "INFO"
    successThreshold: int = Field(90, ge=0, le=100)
    raiseOnError: bool = True


class Workflow(_Model):
    source: Source
    sink: Sink = Field(default_factory=Sink)
    workflowConfig: WorkflowConfig
    ingestionPipelineFQN: str | None = None
    pipelineRunId: str | None = None
    enableStreamableLogs: bool = False

    @field_validator("pipelineRunId", mode="before")
    @classmethod
    def _uuid(cls, value: Any) -> Any:
        if value is None:
            return None
        text = str(value)
        if not re.fullmatch(r"[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}", text):
            raise ValueError(f"{text!r} is not a UUID (OpenMetadata's pipelineRunId is one)")
        return text

    @property
    def server(self) -> ServerConfig:
        return self.workflowConfig.openMetadataServerConfig

    @property
    def metadata(self) -> MetadataConfig:
        return self.source.sourceConfig.config

    @property
    def pipeline_mode(self) -> bool:
        return self.ingestionPipelineFQN is not None and self.pipelineRunId is not None
