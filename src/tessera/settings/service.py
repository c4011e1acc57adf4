"""System settings as OpenMetadata's client and UI use them (``settings.json`` in its schemas).

Three kinds of setting:

* **Stored**: what administrators change at run time and the UI reads (theme, lineage depths,
  certification, search, profiler, workflow and rule settings). Kept in the database, so every
  process serves the same, with OpenMetadata's defaults until someone sets them.
* **From the configuration**: authentication, authorizer, login and JWT settings and the base URL
  are tessera's configuration, read once at start (``tessera.yaml``, the environment). Shown to
  administrators, without secrets; changing them here is refused with where to change them.
* **Not offered**: secrets (the Fernet key, the secrets manager) are never shown; features
  tessera does not have (mail, Slack, SCIM, ...) are refused by name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from tessera import contract
from tessera.auth import store
from tessera.auth.principal import Principal
from tessera.config import Settings
from tessera.errors import AdminOnly, BadRequest, Forbidden, NotFound
from tessera.storage.db import write_transaction

Doc = dict[str, Any]
_PREFIX = "settings."

# OpenMetadata's defaults for the settings its UI reads before anyone has set them.
DEFAULTS: dict[str, Doc] = {
    "customUiThemePreference": {
        "customLogoConfig": {
            "customLogoUrlPath": "",
            "customMonogramUrlPath": "",
            "customFaviconUrlPath": "",
        },
        "customTheme": {
            "primaryColor": "",
            "errorColor": "",
            "successColor": "",
            "warningColor": "",
            "infoColor": "",
        },
    },
    "lineageSettings": {
        "upstreamDepth": 2,
        "downstreamDepth": 2,
        "lineageLayer": "EntityLineage",
        "pipelineViewMode": "Node",
    },
    "assetCertificationSettings": {"allowedClassification": "Certification", "validityPeriod": "P30D"},
    "profilerConfiguration": {"metricConfiguration": []},
    "workflowSettings": {
        "executorConfiguration": {
            "corePoolSize": 50,
            "maxPoolSize": 100,
            "queueSize": 1000,
            "tasksDuePerAcquisition": 20,
        },
        "historyCleanUpConfiguration": {"cleanAfterNumberOfDays": 7},
    },
    "entityRulesSettings": {"entitySemantics": []},
    "glossaryTermRelationSettings": {"relationTypes": []},
    "searchSettings": {"globalSettings": {"maxAggregateSize": 10000, "maxResultHits": 10000}},
    "openLineageSettings": {"enabled": False},
}
STORED = frozenset(DEFAULTS)
# The part of OpenMetadata's settings schema each stored setting's value must match (the UI
# theme has none in the client's schema: any object).
SCHEMAS = {
    "lineageSettings": "LineageSettings",
    "assetCertificationSettings": "AssetCertificationSettings",
    "profilerConfiguration": "ProfilerConfiguration",
    "workflowSettings": "WorkflowSettings",
    "entityRulesSettings": "EntityRuleSettings",
    "glossaryTermRelationSettings": "GlossaryTermRelationSettings",
    "searchSettings": "SearchSettings",
    "openLineageSettings": "OpenLineageSettings",
}
FROM_CONFIGURATION = frozenset(
    {
        "authenticationConfiguration",
        "authorizerConfiguration",
        "loginConfiguration",
        "jwtTokenConfiguration",
        "openMetadataBaseUrlConfiguration",
    }
)
NEVER_SHOWN = frozenset({"fernetConfiguration", "secretsManagerConfiguration"})


class SettingsService:
    def __init__(self, engine: Engine, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._settings = settings
        self._clock = clock

    def names(self) -> list[str]:
        return list(contract.schema("settings")["$defs"]["SettingType"]["enum"])

    def list(self, principal: Principal) -> list[Doc]:
        readable = sorted(STORED | (FROM_CONFIGURATION if principal.is_admin else frozenset()))
        return [self.get(principal, name) for name in readable]

    def get(self, principal: Principal, name: str) -> Doc:
        self._known(name)
        if name in STORED:
            with self._engine.connect() as conn:
                stored = store.get_setting(conn, _PREFIX + name)
            value = orjson.loads(stored) if stored is not None else DEFAULTS[name]
            return {"config_type": name, "config_value": value}
        if name in NEVER_SHOWN:
            raise Forbidden(f"The {name} setting holds secrets: it is never shown")
        if name in FROM_CONFIGURATION:
            if not principal.is_admin:
                raise AdminOnly(principal.display, f"read the {name} setting")
            return {"config_type": name, "config_value": self._from_configuration(name)}
        raise NotFound(f"tessera has no {name} setting: {_NOT_OFFERED}")

    def stored(self, name: str) -> Doc:
        """A stored setting's value (OpenMetadata's default until someone sets it), for the
        server's own use."""
        with self._engine.connect() as conn:
            value = store.get_setting(conn, _PREFIX + name)
        return dict(orjson.loads(value)) if value is not None else dict(DEFAULTS[name])

    def put(self, principal: Principal, body: Mapping[str, Any]) -> Doc:
        if not principal.is_admin:
            raise AdminOnly(principal.display, "change settings")
        name = body.get("config_type")
        value = body.get("config_value")
        if not isinstance(name, str) or name not in self.names():
            raise BadRequest(f"config_type must be one of {', '.join(self.names())}, not {name!r:.60}")
        if name in FROM_CONFIGURATION or name in NEVER_SHOWN:
            raise BadRequest(
                f"{name} comes from tessera's configuration (tessera.yaml or the environment, read at "
                "start; see docs/configuration.md); it is not changed through the API"
            )
        if name not in STORED:
            raise BadRequest(f"tessera has no {name} setting to change: {_NOT_OFFERED}")
        if not isinstance(value, dict):
            raise BadRequest(f"config_value of {name} must be an object")
        if name in SCHEMAS:
            problems = contract.definition_errors("settings", SCHEMAS[name], value)
            if problems:
                raise BadRequest(contract.summary(problems, what=f"{name} value"))
        with write_transaction(self._engine) as conn:
            store.put_setting(conn, _PREFIX + name, orjson.dumps(value).decode(), int(self._clock() * 1000))
        return {"config_type": name, "config_value": value}

    def reset(self, principal: Principal, name: str) -> Doc:
        if not principal.is_admin:
            raise AdminOnly(principal.display, "change settings")
        if name not in STORED:
            raise BadRequest(f"Only stored settings are reset; {name} is not one")
        return self.put(principal, {"config_type": name, "config_value": DEFAULTS[name]})

    def _known(self, name: str) -> None:
        if name not in self.names():
            raise NotFound(f"Unknown setting {name!r}; settings are {', '.join(self.names())}")

    def _from_configuration(self, name: str) -> Doc:
        settings = self._settings
        if name == "authenticationConfiguration":
            auth = settings.authenticationConfiguration
            return {
                "provider": auth.provider,
                "providerName": auth.providerName,
                "clientType": auth.clientType,
                "responseType": auth.responseType,
                "authority": auth.authority,
                "clientId": auth.clientId,
                "callbackUrl": auth.callbackUrl,
                "publicKeyUrls": list(auth.publicKeyUrls),
                "jwtPrincipalClaims": list(auth.jwtPrincipalClaims),
                "jwtPrincipalClaimsMapping": list(auth.jwtPrincipalClaimsMapping),
                "enableSelfSignup": auth.enableSelfSignup,
            }
        if name == "authorizerConfiguration":
            authz = settings.authorizerConfiguration
            return {
                "className": authz.className,
                "containerRequestFilter": authz.containerRequestFilter,
                "adminPrincipals": list(authz.adminPrincipals),
                "principalDomain": authz.principalDomain,
                "enforcePrincipalDomain": authz.enforcePrincipalDomain,
                "allowedDomains": list(authz.allowedDomains),
                "allowedEmailRegistrationDomains": list(authz.allowedEmailRegistrationDomains),
                "enableSecureSocketConnection": authz.enableSecureSocketConnection,
                "useRolesFromProvider": authz.useRolesFromProvider,
            }
        if name == "loginConfiguration":
            login = settings.loginConfiguration
            return {
                "maxLoginFailAttempts": login.maxLoginFailAttempts,
                "accessBlockTime": login.accessBlockTime,
                "jwtTokenExpiryTime": login.jwtTokenExpiryTime,
            }
        if name == "jwtTokenConfiguration":
            # Where the keys are is the operator's business; the keys themselves never leave.
            return {"jwtissuer": settings.jwtTokenConfiguration.jwtissuer}
        return {"openMetadataUrl": settings.server.publicUrl or ""}


_NOT_OFFERED = "it sends no mail and has no Slack, Teams, SCIM or MCP integration (docs/compatibility.md)"
