"""OpenMetadata's workflow YAML, read unchanged: the subset ``tessera ingest`` acts on, typed.

Reading happens in four passes, each failing with the line, column and dotted key at fault:

1. YAML is composed into nodes so every value keeps its position (``yaml.safe_load`` loses it).
2. ``${VAR}`` and ``${VAR:-default}`` in string values are expanded from the environment, so
   secrets stay out of the file. ``$${`` stands for a literal ``${``.
3. Every key is checked against two lists: the keys tessera acts on, and the keys OpenMetadata's
   own schema (``contract.schema("workflow")``) allows. A key only OpenMetadata knows is
   ignored with a warning; a key neither knows is an error that lists what is allowed there.
4. The pydantic models below validate the values tessera uses.

With ``authProvider: openmetadata`` the file is also checked against OpenMetadata's complete
schema, and anything its ``metadata ingest`` would reject becomes a warning: the same file is
meant to work with both. (OpenMetadata 2.0.7's schema rejects an Azure ``securityConfig``,
which tessera accepts, so that check is skipped for ``azure``.)
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from tessera import contract
from tessera.ingest.errors import ConfigError

SourceType = Literal["sqlite", "postgres", "mysql"]
AuthProvider = Literal["openmetadata", "azure", "no-auth"]
SERVICE_TYPES: dict[str, str] = {"sqlite": "SQLite", "postgres": "Postgres", "mysql": "Mysql"}


# -- typed models -----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class LoadedWorkflow:
    workflow: Workflow
    warnings: list[str] = field(default_factory=list)


# -- loading ----------------------------------------------------------------------------------


Position = tuple[int, int]  # 1-based line and column


def load_workflow(path: Path, environ: Mapping[str, str] | None = None) -> LoadedWorkflow:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; pass the workflow YAML with -c/--config") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the workflow file ({exc})") from None
    return parse_workflow(text, name=str(path), environ=environ)


def parse_workflow(
    text: str, *, name: str = "<workflow>", environ: Mapping[str, str] | None = None
) -> LoadedWorkflow:
    env = os.environ if environ is None else environ
    data, positions = _compose(text, name)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{name}: the workflow must be a YAML mapping with source, sink and workflowConfig "
            f"(found {_type_name(data)})"
        )
    locate = _Locator(name, positions)
    data = _expand(data, "", env, locate)
    warnings: list[str] = []
    _check_keys(data, locate, warnings)
    try:
        workflow = Workflow.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, locate)) from None
    if workflow.server.authProvider == "openmetadata":
        warnings.extend(_openmetadata_rejects(data, locate))
    if workflow.server.authProvider == "no-auth":
        warnings.append(
            f"{locate.at('workflowConfig.openMetadataServerConfig.authProvider')}: no-auth sends no token; "
            "only a server running without authentication accepts it (OpenMetadata's client would "
            "reject this value)"
        )
    return LoadedWorkflow(workflow, warnings)


class _Locator:
    def __init__(self, name: str, positions: dict[str, Position]) -> None:
        self.name = name
        self.positions = positions

    def at(self, key: str) -> str:
        """``file:line:column: key`` for the nearest known position of ``key``."""
        probe = key
        while probe and probe not in self.positions:
            probe = _parent_key(probe)
        if probe in self.positions:
            line, column = self.positions[probe]
            return f"{self.name}:{line}:{column}: {key}" if key else f"{self.name}:{line}:{column}"
        return f"{self.name}: {key}" if key else self.name


def _parent_key(key: str) -> str:
    if key.endswith("]"):
        return key[: key.rindex("[")]
    return key.rsplit(".", 1)[0] if "." in key else ""


def _compose(text: str, name: str) -> tuple[Any, dict[str, Position]]:
    loader = yaml.SafeLoader(text)
    positions: dict[str, Position] = {}
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(f"{name}: the file is empty; it needs source, sink and workflowConfig")
        return _construct(loader, node, "", positions, name), positions
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _construct(
    loader: yaml.SafeLoader, node: yaml.Node, path: str, positions: dict[str, Position], name: str
) -> Any:
    positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<) as safe_load would
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                line = key_node.start_mark.line + 1
                raise ConfigError(f"{name}:{line}: {path or 'top level'}: keys must be strings, not {key!r}")
            child = f"{path}.{key}" if path else key
            if key in out:
                line = key_node.start_mark.line + 1
                first = positions[child][0]
                raise ConfigError(f"{name}:{line}: {child} is given twice (first on line {first})")
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _construct(loader, value_node, child, positions, name)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(loader, item, f"{path}[{index}]", positions, name)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node)


_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value: Any, path: str, env: Mapping[str, str], locate: _Locator) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, f"{path}.{k}" if path else k, env, locate) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, f"{path}[{i}]", env, locate) for i, v in enumerate(value)]
    if not isinstance(value, str) or "$" not in value:
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        variable, default = match.group(1), match.group(2)
        if variable in env:
            return env[variable]
        if default is not None:
            return default
        raise ConfigError(
            f"{locate.at(path)}: environment variable {variable} is not set; export it, or write "
            f"${{{variable}:-<default>}} to give a default"
        )

    return _VAR.sub(substitute, value)


# -- pass 3: keys -----------------------------------------------------------------------------

# Keys tessera acts on, per section. A section is named by the dotted key path that leads to
# it; "*" stands for "any key" (free-form maps).
_OURS: dict[str, frozenset[str]] = {
    "": frozenset(
        {"source", "sink", "workflowConfig", "ingestionPipelineFQN", "pipelineRunId", "enableStreamableLogs"}
    ),
    "source": frozenset({"type", "serviceName", "serviceConnection", "sourceConfig"}),
    "source.serviceConnection": frozenset({"config"}),
    "source.serviceConnection.config": frozenset(ConnectionConfig.model_fields),
    "source.serviceConnection.config.authType": frozenset({"password"}),
    "source.sourceConfig": frozenset({"config"}),
    "source.sourceConfig.config": frozenset(MetadataConfig.model_fields),
    "sink": frozenset({"type", "config"}),
    "workflowConfig": frozenset(WorkflowConfig.model_fields),
    "workflowConfig.openMetadataServerConfig": frozenset(ServerConfig.model_fields),
    "workflowConfig.openMetadataServerConfig.securityConfig": frozenset(SecurityConfig.model_fields),
    "workflowConfig.openMetadataServerConfig.sslConfig": frozenset(SslConfig.model_fields),
}
_FILTER_SECTIONS = ("schemaFilterPattern", "tableFilterPattern")
_CONNECTION_DEFS: dict[str, str] = {
    "sqlite": "SQLiteConnection",
    "postgres": "PostgresConnection",
    "mysql": "MysqlConnection",
}
# OpenMetadata's definitions for the same sections ($defs of its OpenMetadataWorkflowConfig).
_OM_DEFS: dict[str, str | Callable[[dict[str, Any]], str | None]] = {
    "": "",
    "source": "Source",
    "source.serviceConnection": "DatabaseConnection",
    "source.serviceConnection.config": lambda data: _CONNECTION_DEFS.get(_source_type(data)),
    "source.serviceConnection.config.authType": (
        "metadata__generated__schema__entity__services__connections__database__common__basicAuth__BasicAuth"
    ),
    "source.sourceConfig": "SourceConfig",
    "source.sourceConfig.config": "DatabaseServiceMetadataPipeline",
    "sink": "Sink",
    "workflowConfig": "WorkflowConfig",
    "workflowConfig.openMetadataServerConfig": "OpenMetadataConnection",
    "workflowConfig.openMetadataServerConfig.securityConfig": "OpenMetadataJWTClientConfig",
    "workflowConfig.openMetadataServerConfig.sslConfig": "ValidateSslClientConfig",
}
_CONNECTION_DEFS = {
    "sqlite": "SQLiteConnection",
    "postgres": "PostgresConnection",
    "mysql": "MysqlConnection",
}
# Free-form maps: no key check below them.
_FREE = frozenset(
    {
        "sink.config",
        "workflowConfig.config",
        "source.serviceConnection.config.connectionArguments",
        "source.serviceConnection.config.connectionOptions",
        "workflowConfig.openMetadataServerConfig.extraHeaders",
    }
)


def _source_type(data: dict[str, Any]) -> str:
    source = data.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    return kind.lower() if isinstance(kind, str) else ""


@functools.cache
def _om_keys(definition: str) -> frozenset[str]:
    schema = contract.schema("workflow")
    node = schema if definition == "" else schema["$defs"][definition]
    return frozenset(node.get("properties", {}))


def _sections(data: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """(section path, mapping) for every section named in _OURS that the file has."""
    for path in _OURS:
        node: Any = data
        for part in path.split(".") if path else []:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            yield path, node
    for parent in ("source.serviceConnection.config", "source.sourceConfig.config"):
        node = data
        for part in parent.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        for name in _FILTER_SECTIONS:
            pattern = node.get(name) if isinstance(node, dict) else None
            if isinstance(pattern, dict):
                yield f"{parent}.{name}", pattern


def _check_keys(data: dict[str, Any], locate: _Locator, warnings: list[str]) -> None:
    unknown: list[str] = []
    for path, node in _sections(data):
        if path in _FREE:
            continue
        if path.endswith(_FILTER_SECTIONS):
            ours = frozenset({"includes", "excludes"})
            theirs = _om_keys("FilterPattern")
        else:
            ours = _OURS[path]
            definition = _OM_DEFS[path]
            resolved = definition(data) if callable(definition) else definition
            theirs = _om_keys(resolved) if resolved is not None else frozenset()
        for key in node:
            child = f"{path}.{key}" if path else key
            if key in ours:
                continue
            if key in theirs:
                warnings.append(
                    f"{locate.at(child)}: OpenMetadata option, not used by tessera ingest; ignored"
                )
                continue
            allowed = ", ".join(sorted(ours | theirs))
            unknown.append(f"{locate.at(child)}: unknown key {key!r}; allowed here: {allowed}")
    if unknown:
        raise ConfigError("\n".join(unknown))


def _describe(exc: ValidationError, locate: _Locator) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        key = _dotted(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            message = f"must be one of {expected}, not {error.get('input')!r}"
        lines.append(f"{locate.at(key)}: {message}")
    return "\n".join(lines)


def _dotted(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@functools.cache
def _workflow_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(contract.schema("workflow"))


def _openmetadata_rejects(data: dict[str, Any], locate: _Locator) -> list[str]:
    """What OpenMetadata 2.0.7's own schema would reject, worded without echoing values
    (a rejected mapping may hold a password)."""
    out = []
    for error in _workflow_validator().iter_errors(data):
        key = _dotted(list(error.instance_path))
        kind = type(error.kind).__name__
        if kind in ("AnyOf", "OneOf"):
            reason = "does not match any form OpenMetadata's schema allows"
        elif kind == "AdditionalProperties":
            reason = f"OpenMetadata does not know {', '.join(map(repr, error.kind.unexpected))}"
        elif kind == "Required":
            reason = f"OpenMetadata requires {error.kind.property!r}"
        elif kind == "Enum":
            reason = f"must be one of {', '.join(map(str, error.kind.options))} for OpenMetadata"
        else:
            reason = "has a value OpenMetadata's schema rejects"
        out.append(f"{locate.at(key)}: OpenMetadata's `metadata ingest` would reject this: {reason}")
    return out


def _type_name(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "nothing"}.get(type(value), type(value).__name__)
