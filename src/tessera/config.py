"""Typed settings, loaded once at start and injected.

The YAML file follows OpenMetadata's ``openmetadata.yaml`` section names so that operators can
carry their knowledge (and their env files) over. Precedence, lowest to highest: defaults, the
YAML file, environment variables (OpenMetadata's names where they exist, ``TESSERA_*`` for keys
of our own), then the command line's options. ``${VAR}`` and ``${VAR:-default}`` inside the YAML
are expanded from the environment, as OpenMetadata's config does. pydantic-settings merges the
layers; each layer is a source below.

Every key is validated once; an unknown key or a bad value stops start-up with a message that
names the key, the value and what is allowed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import expandvars
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tessera import openmetadata_config
from tessera.errors import ConfigError
from tessera.sign_in_settings import OidcSettings, ProviderMapping, with_confidential_client

DEFAULT_PORT = 8585
DEFAULT_OPENMETADATA_API_VERSION = "2.0.7"

# Providers tessera implements; OpenMetadata's other enum values are refused with this list.
Provider = Literal["basic", "azure", "no-auth"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(DEFAULT_PORT, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    production: bool = False
    # The URL clients reach this server at; used for absolute `href`s. Defaults to the
    # request's own base URL.
    publicUrl: str | None = None
    # Production refuses an http:// publicUrl unless TLS is terminated before it (a mesh, a
    # private link): the operator says so here.
    tlsTerminatedUpstream: bool = False
    # The OpenMetadata API version we implement; its client requires the same major.minor.
    openMetadataApiVersion: str = Field(DEFAULT_OPENMETADATA_API_VERSION, pattern=r"^\d+\.\d+\.\d+")
    logLevel: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Log lines as text or as one JSON object per line (for a log collector).
    logFormat: Literal["text", "json"] = "text"
    # Who may read /metrics: anyone who reaches the port, any caller with a valid token, or
    # administrators only (docs/operations.md).
    metricsAccess: Literal["open", "authenticated", "admin"] = "open"
    # The sub-path a reverse proxy serves tessera under (e.g. /catalog); empty = the root.
    rootPath: str = Field("", pattern=r"^(/[A-Za-z0-9._~-]+)*$")
    # Addresses whose X-Forwarded-For/-Proto headers are believed (comma-separated IPs or
    # networks, or * for any): the reverse proxies in front of tessera.
    forwardedAllowIps: str = "127.0.0.1"
    # On SIGTERM: seconds readiness answers 503 while requests are still served (so a load
    # balancer stops sending new ones), then at most this long for requests in flight.
    shutdownDrainSeconds: float = Field(5.0, ge=0, le=300)
    shutdownTimeoutSeconds: int = Field(30, ge=1, le=3600)
    # The largest request body accepted (413 above it), and for sign-in and the other endpoints
    # anyone may call without a token.
    maxRequestBodyBytes: int = Field(32 * 1024 * 1024, ge=1024)
    maxPublicRequestBodyBytes: int = Field(64 * 1024, ge=1024)
    # Schema migrations at start: auto applies them, check refuses to start on an old schema (a
    # rolling upgrade runs `tessera db upgrade` as a step of its own first), never trusts it.
    # Unset: check in production mode, auto otherwise.
    migrate: Literal["auto", "check", "never"] | None = None

    @property
    def migrate_mode(self) -> str:
        return self.migrate or ("check" if self.production else "auto")


class DatabaseSettings(_Section):
    # Empty means the embedded SQLite database in TESSERA_HOME.
    url: str = ""
    poolSize: int = Field(10, ge=1, le=200)
    echo: bool = False


class AuthenticationSettings(_Section):
    provider: Provider = "basic"
    providerName: str = ""
    clientType: Literal["public", "confidential"] = "public"
    responseType: Literal["id_token", "code"] = "code"
    authority: str = ""
    clientId: str = ""
    callbackUrl: str = ""
    publicKeyUrls: tuple[str, ...] = ()
    tokenValidationAlgorithm: Literal["RS256"] = "RS256"
    jwtPrincipalClaims: tuple[str, ...] = ("email", "preferred_username", "sub")
    jwtPrincipalClaimsMapping: tuple[str, ...] = ()
    enableSelfSignup: bool = True
    # tessera's own keys (OpenMetadata has no equivalent):
    # tenants whose tokens are accepted; empty = the authority's tenant.
    allowedTenants: tuple[str, ...] = ()
    # accepted `aud` values; empty = clientId and its App ID URI (api://clientId).
    acceptedAudiences: tuple[str, ...] = ()
    acceptedTokenVersions: tuple[Literal["1.0", "2.0"], ...] = ("1.0", "2.0")
    clockLeewaySeconds: int = Field(60, ge=0, le=600)
    # scopes the browser asks for when signing in; empty = openid profile email offline_access,
    # and the UI then calls the API with the ID token. Add tessera's API scope
    # (api://<clientId>/access_as_user) for access tokens.
    scopes: tuple[str, ...] = ()
    # An unknown `kid` refetches the IdP's keys at most once per this many seconds, so a flood
    # of forged tokens never hammers the IdP.
    jwksRefreshCooldownSeconds: int = Field(30, ge=0, le=3600)
    # CA bundle (PEM) trusted when fetching the IdP's discovery document and keys; empty =
    # the system's. Needed for a local tessera.entra.
    idpCaBundle: str = ""
    # Production refuses an authority that is not one of Microsoft's hosts (tessera.entra, say)
    # unless declared here, for a demo.
    nonMicrosoftAuthority: bool = False
    # Microsoft Graph, asked for the groups of people past the overage; empty = Microsoft's for
    # Microsoft's authorities, the authority's own origin otherwise (tessera.entra serves both).
    graphUrl: str = ""
    oidcConfiguration: OidcSettings = OidcSettings()


class AuthorizerSettings(_Section):
    className: str = "org.openmetadata.service.security.DefaultAuthorizer"
    containerRequestFilter: str = "org.openmetadata.service.security.JwtFilter"
    adminPrincipals: tuple[str, ...] = ("admin",)
    principalDomain: str = "open-metadata.org"
    enforcePrincipalDomain: bool = False
    allowedDomains: tuple[str, ...] = ()
    allowedEmailRegistrationDomains: tuple[str, ...] = ("all",)
    enableSecureSocketConnection: bool = False
    useRolesFromProvider: bool = False
    # Entra app roles and groups that make people and bots administrators, role holders and team
    # members, added and removed by the identity provider alone (tessera.auth.mappings).
    providerMappings: tuple[ProviderMapping, ...] = ()
    # How long a person's groups read from Graph (past the overage) are trusted, seconds.
    groupsCacheSeconds: int = Field(900, ge=0, le=86400)


class JwtTokenSettings(_Section):
    # Empty paths mean: generated on first start into TESSERA_HOME (no key ships with tessera).
    rsapublicKeyFilePath: str = ""
    rsaprivateKeyFilePath: str = ""
    jwtissuer: str = "open-metadata.org"
    # Ignored: tessera derives the kid from the key itself so that rotation needs no config.
    keyId: str = ""


class FernetSettings(_Section):
    # Comma-separated; the first key encrypts, all keys decrypt. Empty = a key generated into
    # TESSERA_HOME on first start (refused in production, where it must be given explicitly).
    fernetKey: str = ""
    # A file holding the key(s) (a mounted Kubernetes or Docker secret), read when fernetKey is
    # empty.
    fernetKeyFile: str = ""


class LoginSettings(_Section):
    maxLoginFailAttempts: int = Field(3, ge=1, le=100)
    accessBlockTime: int = Field(600, ge=1)
    jwtTokenExpiryTime: int = Field(3600, ge=60)


class Settings(BaseSettings):
    # Only the sources below feed it: pydantic-settings' own environment source would map any
    # variable named like a field (HOME -> home) into the settings.
    model_config = SettingsConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    home: Path = Field(default_factory=lambda: Path("~/.tessera").expanduser())
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    authenticationConfiguration: AuthenticationSettings = AuthenticationSettings()
    authorizerConfiguration: AuthorizerSettings = AuthorizerSettings()
    jwtTokenConfiguration: JwtTokenSettings = JwtTokenSettings()
    fernetConfiguration: FernetSettings = FernetSettings()
    loginConfiguration: LoginSettings = LoginSettings()
    # What loading ignored of OpenMetadata's configuration, logged when the server starts.
    _notices: tuple[str, ...] = PrivateAttr(default=())

    @property
    def notices(self) -> tuple[str, ...]:
        return self._notices

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.home / 'tessera.db'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Highest priority first.
        return (
            init_settings,
            _CommandLine(settings_cls),
            _Environment(settings_cls),
            _YamlFile(settings_cls),
        )


# Environment variable -> dotted key. OpenMetadata's names first, then tessera's own.
ENV_KEYS: dict[str, str] = {
    "AUTHENTICATION_PROVIDER": "authenticationConfiguration.provider",
    "CUSTOM_OIDC_AUTHENTICATION_PROVIDER_NAME": "authenticationConfiguration.providerName",
    "AUTHENTICATION_CLIENT_TYPE": "authenticationConfiguration.clientType",
    "AUTHENTICATION_RESPONSE_TYPE": "authenticationConfiguration.responseType",
    "AUTHENTICATION_AUTHORITY": "authenticationConfiguration.authority",
    "AUTHENTICATION_CLIENT_ID": "authenticationConfiguration.clientId",
    "AUTHENTICATION_CALLBACK_URL": "authenticationConfiguration.callbackUrl",
    "AUTHENTICATION_PUBLIC_KEYS": "authenticationConfiguration.publicKeyUrls",
    "AUTHENTICATION_TOKEN_VALIDATION_ALGORITHM": "authenticationConfiguration.tokenValidationAlgorithm",
    "AUTHENTICATION_JWT_PRINCIPAL_CLAIMS": "authenticationConfiguration.jwtPrincipalClaims",
    "AUTHENTICATION_JWT_PRINCIPAL_CLAIMS_MAPPING": "authenticationConfiguration.jwtPrincipalClaimsMapping",
    "AUTHENTICATION_ENABLE_SELF_SIGNUP": "authenticationConfiguration.enableSelfSignup",
    "AUTHORIZER_CLASS_NAME": "authorizerConfiguration.className",
    "AUTHORIZER_REQUEST_FILTER": "authorizerConfiguration.containerRequestFilter",
    "AUTHORIZER_ADMIN_PRINCIPALS": "authorizerConfiguration.adminPrincipals",
    "AUTHORIZER_PRINCIPAL_DOMAIN": "authorizerConfiguration.principalDomain",
    "AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN": "authorizerConfiguration.enforcePrincipalDomain",
    "AUTHORIZER_ALLOWED_DOMAINS": "authorizerConfiguration.allowedDomains",
    "AUTHORIZER_ALLOWED_REGISTRATION_DOMAIN": "authorizerConfiguration.allowedEmailRegistrationDomains",
    "AUTHORIZER_ENABLE_SECURE_SOCKET": "authorizerConfiguration.enableSecureSocketConnection",
    "AUTHORIZER_USE_ROLES_FROM_PROVIDER": "authorizerConfiguration.useRolesFromProvider",
    "RSA_PUBLIC_KEY_FILE_PATH": "jwtTokenConfiguration.rsapublicKeyFilePath",
    "RSA_PRIVATE_KEY_FILE_PATH": "jwtTokenConfiguration.rsaprivateKeyFilePath",
    "JWT_ISSUER": "jwtTokenConfiguration.jwtissuer",
    "JWT_KEY_ID": "jwtTokenConfiguration.keyId",
    "FERNET_KEY": "fernetConfiguration.fernetKey",
    "FERNET_KEY_FILE": "fernetConfiguration.fernetKeyFile",
    "OM_MAX_FAILED_LOGIN_ATTEMPTS": "loginConfiguration.maxLoginFailAttempts",
    "OM_LOGIN_ACCESS_BLOCK_TIME": "loginConfiguration.accessBlockTime",
    "OM_JWT_EXPIRY_TIME": "loginConfiguration.jwtTokenExpiryTime",
    "SERVER_HOST": "server.host",
    "SERVER_PORT": "server.port",
    "TESSERA_HOME": "home",
    "TESSERA_HOST": "server.host",
    "TESSERA_PORT": "server.port",
    "TESSERA_WORKERS": "server.workers",
    "TESSERA_MIGRATE": "server.migrate",
    "TESSERA_PUBLIC_URL": "server.publicUrl",
    "TESSERA_LOG_LEVEL": "server.logLevel",
    "LOG_FORMAT": "server.logFormat",
    "TESSERA_LOG_FORMAT": "server.logFormat",
    "TESSERA_METRICS_ACCESS": "server.metricsAccess",
    "TESSERA_ROOT_PATH": "server.rootPath",
    "FORWARDED_ALLOW_IPS": "server.forwardedAllowIps",
    "TESSERA_SHUTDOWN_DRAIN_SECONDS": "server.shutdownDrainSeconds",
    "TESSERA_SHUTDOWN_TIMEOUT_SECONDS": "server.shutdownTimeoutSeconds",
    "TESSERA_MAX_REQUEST_BODY_BYTES": "server.maxRequestBodyBytes",
    "TESSERA_MAX_PUBLIC_REQUEST_BODY_BYTES": "server.maxPublicRequestBodyBytes",
    "TESSERA_OPENMETADATA_API_VERSION": "server.openMetadataApiVersion",
    "TESSERA_DATABASE_URL": "database.url",
    "TESSERA_DATABASE_POOL_SIZE": "database.poolSize",
    "TESSERA_ALLOWED_TENANTS": "authenticationConfiguration.allowedTenants",
    "TESSERA_ACCEPTED_AUDIENCES": "authenticationConfiguration.acceptedAudiences",
    "TESSERA_ACCEPTED_TOKEN_VERSIONS": "authenticationConfiguration.acceptedTokenVersions",
    "TESSERA_CLOCK_LEEWAY_SECONDS": "authenticationConfiguration.clockLeewaySeconds",
    "TESSERA_AUTH_SCOPES": "authenticationConfiguration.scopes",
    "TESSERA_JWKS_REFRESH_COOLDOWN_SECONDS": "authenticationConfiguration.jwksRefreshCooldownSeconds",
    "TESSERA_IDP_CA_BUNDLE": "authenticationConfiguration.idpCaBundle",
    "TESSERA_NON_MICROSOFT_AUTHORITY": "authenticationConfiguration.nonMicrosoftAuthority",
    "TESSERA_TLS_TERMINATED_UPSTREAM": "server.tlsTerminatedUpstream",
    # The confidential client (OpenMetadata's names), group and role mappings (tessera's).
    "OIDC_CLIENT_ID": "authenticationConfiguration.oidcConfiguration.id",
    "OIDC_TYPE": "authenticationConfiguration.oidcConfiguration.type",
    "OIDC_CLIENT_SECRET": "authenticationConfiguration.oidcConfiguration.secret",
    "OIDC_CLIENT_SECRET_FILE": "authenticationConfiguration.oidcConfiguration.secretFile",
    "OIDC_SCOPE": "authenticationConfiguration.oidcConfiguration.scope",
    "OIDC_DISCOVERY_URI": "authenticationConfiguration.oidcConfiguration.discoveryUri",
    "OIDC_USE_NONCE": "authenticationConfiguration.oidcConfiguration.useNonce",
    "OIDC_PREFERRED_JWS": "authenticationConfiguration.oidcConfiguration.preferredJwsAlgorithm",
    "OIDC_RESPONSE_TYPE": "authenticationConfiguration.oidcConfiguration.responseType",
    "OIDC_DISABLE_PKCE": "authenticationConfiguration.oidcConfiguration.disablePkce",
    "OIDC_CALLBACK": "authenticationConfiguration.oidcConfiguration.callbackUrl",
    "OIDC_SERVER_URL": "authenticationConfiguration.oidcConfiguration.serverUrl",
    "OIDC_CLIENT_AUTH_METHOD": "authenticationConfiguration.oidcConfiguration.clientAuthenticationMethod",
    "OIDC_TENANT": "authenticationConfiguration.oidcConfiguration.tenant",
    "OIDC_MAX_CLOCK_SKEW": "authenticationConfiguration.oidcConfiguration.maxClockSkew",
    "OIDC_OM_REFRESH_TOKEN_VALIDITY": "authenticationConfiguration.oidcConfiguration.tokenValidity",
    "OIDC_CUSTOM_PARAMS": "authenticationConfiguration.oidcConfiguration.customParams",
    "OIDC_PROMPT_TYPE": "authenticationConfiguration.oidcConfiguration.prompt",
    "OIDC_MAX_AGE": "authenticationConfiguration.oidcConfiguration.maxAge",
    "OIDC_SESSION_EXPIRY": "authenticationConfiguration.oidcConfiguration.sessionExpiry",
    "TESSERA_GRAPH_URL": "authenticationConfiguration.graphUrl",
    "TESSERA_PROVIDER_MAPPINGS": "authorizerConfiguration.providerMappings",
    "TESSERA_GROUPS_CACHE_SECONDS": "authorizerConfiguration.groupsCacheSeconds",
}

_PRODUCTION_ENV = "TESSERA_ENV"


@dataclass(frozen=True)
class _Inputs:
    config_file: Path | None
    environ: Mapping[str, str]
    overrides: Mapping[str, Any]
    notices: list[str]


# What the sources read while load_settings builds a Settings: one call's inputs, never a global.
_INPUTS: ContextVar[_Inputs] = ContextVar("tessera_settings_inputs")


class _Source(PydanticBaseSettingsSource):
    """A layer that produces nested data for the whole model at once."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        inputs = _INPUTS.get(None)
        return {} if inputs is None else self.read(inputs)

    def read(self, inputs: _Inputs) -> dict[str, Any]:
        raise NotImplementedError


class _YamlFile(_Source):
    def read(self, inputs: _Inputs) -> dict[str, Any]:
        if inputs.config_file is None:
            return {}
        return openmetadata_config.translate_yaml(
            _read_yaml(inputs.config_file, inputs.environ), inputs.notices
        )


class _Environment(_Source):
    """OpenMetadata's variable names (and ``TESSERA_*``) mapped to their dotted keys."""

    def read(self, inputs: _Inputs) -> dict[str, Any]:
        data: dict[str, Any] = {}
        env = inputs.environ
        # OpenMetadata's DB_* and LOG_LEVEL first: TESSERA_DATABASE_URL and TESSERA_LOG_LEVEL win.
        for key, value in openmetadata_config.environment(env, inputs.notices).items():
            _set_dotted(data, key, value)
        for var, key in ENV_KEYS.items():
            if env.get(var, "") != "":
                _set_dotted(data, key, _env_value(env[var], key))
        if env.get(_PRODUCTION_ENV, "").lower() == "production":
            _set_dotted(data, "server.production", True)
        return data


class _CommandLine(_Source):
    def read(self, inputs: _Inputs) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in inputs.overrides.items():
            if value is not None:
                _set_dotted(data, key, value)
        return data


@contextmanager
def _loading(inputs: _Inputs) -> Iterator[None]:
    token = _INPUTS.set(inputs)
    try:
        yield
    finally:
        _INPUTS.reset(token)


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the one Settings object of this process.

    ``overrides`` are dotted keys from the command line (``server.port``), applied last.
    Raises :class:`ConfigError` with a message naming the key, the value and what is allowed.
    """
    env = dict(os.environ if environ is None else environ)
    source = str(config_file) if config_file is not None else "defaults"
    inputs = _Inputs(config_file, env, dict(overrides or {}), [])
    with _loading(inputs):
        try:
            settings = Settings()
        except ValidationError as exc:
            raise ConfigError(_explain(exc, source)) from None
    settings = with_confidential_client(settings, config_file, env)
    settings._notices = tuple(dict.fromkeys(inputs.notices))
    return settings


def _read_yaml(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    try:
        text = expandvars.expand(text, environ=env, nounset=True, surrounded_vars_only=True)
    except expandvars.UnboundVariable as exc:
        name = str(exc).strip("'\"").split(":", 1)[0]
        raise ConfigError(
            f"{path}: environment variable {name} is referenced but not set; set it or write "
            f"${{{name}:-default}}"
        ) from None
    except expandvars.ExpandvarsException as exc:
        raise ConfigError(f"{path}: cannot expand its environment references: {exc}") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not {type(loaded).__name__}")
    return loaded


def _env_value(raw: str, key: str) -> Any:
    """OpenMetadata writes list env vars as ``[a,b]``; accept that and plain ``a,b``. A list
    of objects (``[{...}]``) is JSON."""
    field = _field_annotation(key)
    if raw.strip().startswith("[{"):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"the environment variable for {key} is not valid JSON: {exc}") from None
    if field is not None and "tuple" in str(field):
        inner = raw.strip()
        if inner.startswith("[") and inner.endswith("]"):
            inner = inner[1:-1]
        return tuple(part.strip().strip("\"'") for part in inner.split(",") if part.strip())
    return raw


def _field_annotation(key: str) -> Any:
    model: Any = Settings
    annotation: Any = None
    for part in key.split("."):
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        model = annotation
    return annotation


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[last] = value


def _explain(exc: ValidationError, source: str) -> str:
    lines = [f"invalid configuration ({source}):"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            parent = err["loc"][:-1]
            allowed = ", ".join(_allowed_keys(parent))
            lines.append(f"  - unknown key '{key}' (value {value!r}); allowed keys here: {allowed}")
        elif err["type"] == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            lines.append(f"  - {key}: {value!r} is not allowed; expected one of {expected}")
        else:
            lines.append(f"  - {key}: {value!r} is invalid: {err['msg']}")
    return "\n".join(lines)


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Settings
    for part in loc:
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        model = info.annotation
    return list(model.model_fields) if hasattr(model, "model_fields") else []
