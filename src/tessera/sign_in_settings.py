"""The settings of sign-in beyond the guide: the confidential client (OpenMetadata's
``oidcConfiguration``, its ``OIDC_*`` variables) and the mappings from Entra app roles and
groups to tessera's administrators, roles and teams. Part of :mod:`tessera.config`, which holds
them in ``authenticationConfiguration.oidcConfiguration`` and
``authorizerConfiguration.providerMappings``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from tessera.errors import ConfigError

if TYPE_CHECKING:
    from tessera.config import Settings


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class OidcSettings(_Section):
    """OpenMetadata's ``oidcConfiguration``: the confidential client, the server's own app
    registration (a Web platform with a client secret). Its credentials also let the server ask
    Microsoft Graph for the groups of people with more than 200 (the groups overage)."""

    id: str = ""
    type: Literal["azure"] = "azure"
    # Never logged (SecretStr); production refuses one written literally in the config file.
    secret: SecretStr = SecretStr("")
    # A file holding the secret (a mounted Kubernetes secret); `secret` wins when both are set.
    secretFile: str = ""
    scope: str = "openid email profile"
    discoveryUri: str = ""
    # tessera always sends a nonce and always uses PKCE; `false`/`true` here change nothing.
    useNonce: bool = True
    disablePkce: bool = False
    preferredJwsAlgorithm: Literal["RS256"] = "RS256"
    responseType: Literal["code"] = "code"
    # Empty: <serverUrl>/callback.
    callbackUrl: str = ""
    # Empty: server.publicUrl.
    serverUrl: str = ""
    clientAuthenticationMethod: Literal["client_secret_post"] = "client_secret_post"
    tenant: str = ""
    maxClockSkew: int | None = Field(None, ge=0, le=600)
    # The longest a session goes without asking Entra ID again (a silent refresh), seconds.
    tokenValidity: int = Field(3600, ge=60, le=86400)
    customParams: tuple[str, ...] = ()
    prompt: Literal["", "login", "consent", "select_account", "none"] = ""
    maxAge: int = Field(0, ge=0)
    # The absolute lifetime of a signed-in session, seconds.
    sessionExpiry: int = Field(604800, ge=300, le=90 * 86400)


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ProviderMapping(_Section):
    """An Entra app role value or a group object id, and what it makes its holder in tessera."""

    appRole: str = ""
    group: str = ""
    admin: bool = False
    roles: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_source_and_a_grant(self) -> ProviderMapping:
        if bool(self.appRole) == bool(self.group):
            raise ValueError("give exactly one of appRole (an app role value) or group (a group object id)")
        if self.group and not _GUID.match(self.group):
            raise ValueError(
                f"group {self.group!r} is not a group object id: tokens carry groups by id, never by "
                "name (Entra ID » Groups » the group » Object ID)"
            )
        if not (self.admin or self.roles or self.teams):
            raise ValueError("a mapping grants something: admin: true, roles or teams")
        return self


_SECRET_KEY = "authenticationConfiguration.oidcConfiguration.secret"


def with_confidential_client(
    settings: Settings, config_file: Path | None, env: Mapping[str, str]
) -> Settings:
    """The client secret read from its file, and what OpenMetadata's confidential setup leaves
    to the server: the client id and authority from the OIDC_* variables."""
    auth = settings.authenticationConfiguration
    oidc = auth.oidcConfiguration
    if not oidc.secret.get_secret_value() and oidc.secretFile:
        try:
            secret = Path(oidc.secretFile).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"authenticationConfiguration.oidcConfiguration.secretFile {oidc.secretFile}: cannot read it "
                f"({exc.strerror})"
            ) from None
        if not secret:
            raise ConfigError(
                f"authenticationConfiguration.oidcConfiguration.secretFile {oidc.secretFile} is empty"
            )
        oidc = oidc.model_copy(update={"secret": SecretStr(secret)})
    elif (
        settings.server.production
        and oidc.secret.get_secret_value()
        and not env.get("OIDC_CLIENT_SECRET")
        and config_file is not None
        and _written_literally(config_file, _SECRET_KEY)
    ):
        raise ConfigError(
            f"production mode refuses the client secret written in {config_file} "
            f"({_SECRET_KEY}): a config file is copied, committed and read by more people than a "
            "secret should be. Give it in the environment (OIDC_CLIENT_SECRET, or secret: "
            "${OIDC_CLIENT_SECRET} in the file) or in a file of its own (OIDC_CLIENT_SECRET_FILE)"
        )
    update: dict[str, Any] = {"oidcConfiguration": oidc}
    if auth.clientType == "confidential":
        if not auth.clientId:
            update["clientId"] = oidc.id
        if not auth.authority:
            update["authority"] = _authority_of(oidc)
    auth = auth.model_copy(update=update)
    return settings.model_copy(update={"authenticationConfiguration": auth})


def _authority_of(oidc: OidcSettings) -> str:
    """``https://login.microsoftonline.com/<tenant>`` from OIDC_DISCOVERY_URI or OIDC_TENANT."""
    marker = "/v2.0/.well-known/openid-configuration"
    if oidc.discoveryUri.endswith(marker):
        return oidc.discoveryUri[: -len(marker)]
    if oidc.tenant:
        return f"https://login.microsoftonline.com/{oidc.tenant}"
    return ""


def _written_literally(path: Path, key: str) -> bool:
    """Whether ``key`` holds a value in the file itself rather than an ``${ENV}`` reference."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return False
    for part in key.split("."):
        if not isinstance(raw, dict):
            return False
        raw = raw.get(part)
    return isinstance(raw, str) and bool(raw) and "${" not in raw


def refuse_incomplete(settings: Settings) -> list[str]:
    """Start-up refusals of the confidential client's settings (ConfigError), and the notices
    to log about settings tessera accepts but does not follow."""
    auth = settings.authenticationConfiguration
    oidc = auth.oidcConfiguration
    if auth.clientType != "confidential":
        return []
    missing = [
        name
        for name, value in (
            ("OIDC_CLIENT_ID", oidc.id),
            ("OIDC_CLIENT_SECRET", oidc.secret.get_secret_value()),
        )
        if not value
    ]
    if auth.provider != "azure":
        raise ConfigError(
            "authenticationConfiguration.clientType confidential needs provider azure (it is "
            f"{auth.provider}); set AUTHENTICATION_PROVIDER=azure or AUTHENTICATION_CLIENT_TYPE=public"
        )
    if missing:
        raise ConfigError(
            "clientType confidential: the server signs people in with its own app registration (a Web "
            f"platform with a client secret); set {' and '.join(missing)} (oidcConfiguration id and secret; "
            "the secret may come from OIDC_CLIENT_SECRET_FILE)"
        )
    if auth.clientId != oidc.id:
        raise ConfigError(
            f"authenticationConfiguration.clientId ({auth.clientId}) and oidcConfiguration.id ({oidc.id}) "
            "differ: with clientType confidential they are the same app registration. Set "
            "AUTHENTICATION_CLIENT_ID to OIDC_CLIENT_ID, or leave it empty"
        )
    notices = []
    if oidc.disablePkce:
        notices.append(
            "oidcConfiguration.disablePkce (OIDC_DISABLE_PKCE) is ignored: tessera always uses PKCE"
        )
    if not oidc.useNonce:
        notices.append("oidcConfiguration.useNonce (OIDC_USE_NONCE) is ignored: tessera always sends a nonce")
    return notices
