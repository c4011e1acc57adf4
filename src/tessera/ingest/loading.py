"""OpenMetadata's workflow YAML, read unchanged into the models of ``workflow.py``.

Reading happens in four passes, each failing with the line, column and dotted key at fault:

1. YAML is composed into nodes so every value keeps its position (``yaml.safe_load`` loses it).
2. ``${VAR}`` and ``${VAR:-default}`` in string values are expanded from the environment by
   ``expandvars``, as a shell would, so secrets stay out of the file. ``\\${`` stands for a
   literal ``${``; a value without ``${`` is left exactly as written.
3. Every key is checked against two lists: the keys tessera acts on, and the keys OpenMetadata's
   own schema (``contract.schema("workflow")``) allows. A key only OpenMetadata knows is
   ignored with a warning; a key neither knows is an error that lists what is allowed there.
4. The pydantic models of ``workflow.py`` validate the values tessera uses.

With ``authProvider: openmetadata`` the file is also checked against OpenMetadata's complete
schema, and anything its ``metadata ingest`` would reject becomes a warning: the same file is
meant to work with both. (OpenMetadata 2.0.7's schema rejects an Azure ``securityConfig``,
which tessera accepts, so that check is skipped for ``azure``.)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import expandvars
import yaml
from pydantic import ValidationError

from tessera import contract
from tessera.ingest.errors import ConfigError
from tessera.ingest.workflow import (
    ConnectionConfig,
    MetadataConfig,
    SecurityConfig,
    ServerConfig,
    SslConfig,
    Workflow,
    WorkflowConfig,
)


@dataclass(frozen=True)
class LoadedWorkflow:
    workflow: Workflow
    warnings: list[str] = field(default_factory=list)


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
    # A copy: ${VAR:=default} assigns, and must not change this process's environment.
    env = dict(os.environ if environ is None else environ)
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


def _expand(value: Any, path: str, env: dict[str, str], locate: _Locator) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, f"{path}.{k}" if path else k, env, locate) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, f"{path}[{i}]", env, locate) for i, v in enumerate(value)]
    # Only values that use ${...}: expandvars also reads backslashes as escapes, which would
    # change a regular expression in a filter pattern.
    if not isinstance(value, str) or "${" not in value:
        return value
    try:
        expanded: str = expandvars.expand(value, environ=env, nounset=True, surrounded_vars_only=True)
    except expandvars.ExpandvarsException as exc:
        raise ConfigError(_expansion_problem(exc, locate.at(path))) from None
    return expanded


def _expansion_problem(exc: Exception, where: str) -> str:
    # expandvars words its errors "<name>: <problem>"; for a syntax error <name> is the whole
    # value, which is not repeated here (it may be long, and it is in the file anyway).
    subject, _, problem = str(exc.args[0] if exc.args else exc).partition(": ")
    if isinstance(exc, expandvars.UnboundVariable):
        return (
            f"{where}: environment variable {subject} is not set; export it, or write "
            f"${{{subject}:-<default>}} to give a default"
        )
    if isinstance(exc, expandvars.ParameterNullOrNotSet):
        return f"{where}: environment variable {subject} is not set or empty: {problem}"
    if isinstance(exc, SyntaxError):
        return (
            f"{where}: cannot expand the value: {problem} (write ${{NAME}} or ${{NAME:-default}}; "
            "\\${ is a literal ${)"
        )
    return f"{where}: cannot expand environment variable {subject}: {problem}"


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
