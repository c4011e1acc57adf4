"""Rules the generic catalog cannot know, applied to users, bots and policies on every write,
and the presenter that keeps secrets out of user documents on their way out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.auth.policies import validate_rules
from tessera.auth.principal import Principal
from tessera.catalog.kinds import USER, Kind
from tessera.catalog.service import CatalogService
from tessera.config import Settings
from tessera.errors import BadRequest
from tessera.users.bootstrap import INGESTION_BOT
from tessera.users.service import UserService

Doc = dict[str, Any]


class SecurityHooks:
    def __init__(self, catalog: CatalogService) -> None:
        self._catalog = catalog

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None:
        if kind.type == "policy":
            validate_rules(doc.get("rules") or [])
        elif kind.type == "bot":
            bot_user = doc.get("botUser") or {}
            user = self._catalog.find_by_name(USER, bot_user.get("fullyQualifiedName", ""))
            if user is None or not user.get("isBot"):
                raise BadRequest(
                    f"botUser {bot_user.get('name')!r} is not a bot user; create it with "
                    'PUT /api/v1/users {"name": ..., "email": ..., "isBot": true} first'
                )
        elif kind.type == "user" and existing is not None and existing.get("isBot") != doc.get("isBot"):
            raise BadRequest("isBot cannot change: a person cannot become a bot or the other way round")


def user_presenter(users: UserService) -> Any:
    def present(kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None) -> Doc:
        if kind.type != "user":
            return doc
        out = dict(doc)
        visible = principal is not None and (principal.is_admin or principal.user_id == doc.get("id"))
        if "authenticationMechanism" in doc:
            if visible:
                assert principal is not None
                out["authenticationMechanism"] = users.present_mechanism(
                    doc["authenticationMechanism"], principal, owner_id=doc["id"]
                )
            else:
                del out["authenticationMechanism"]
        # tessera's extension (asked for by name): the server's own answer to "is this user an
        # administrator, and why", since isAdmin is only the stored flag and adminPrincipals makes
        # administrators too. Who the administrators are is for administrators and oneself, as
        # adminPrincipals itself is.
        if fields and "adminBy" in fields and visible:
            out["adminBy"] = users.directory.admin_by(doc)
        return out

    return present


def pipeline_connection_presenter(users: UserService, settings: Settings) -> Any:
    """``openMetadataServerConnection`` of an ingestion pipeline, from its bot (the ingestion bot).

    Computed when asked for by name (``fields=openMetadataServerConnection``) and shown only to
    administrators and the bot itself: a JWT bot's connection carries its token. An Azure SSO bot's
    connection carries its Azure configuration with the secret masked (secrets never leave), in
    OpenMetadata 1.1's AzureSSOClientConfig shape, which OpenMetadata 2.x clients do not parse:
    hence never part of the default or ``*`` fields.
    """
    host_port = (settings.server.publicUrl or f"http://{settings.server.host}:{settings.server.port}").rstrip(
        "/"
    )

    def present(kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None) -> Doc:
        if kind.type != "ingestionPipeline" or not fields or "openMetadataServerConnection" not in fields:
            return doc
        bot = users.directory.by_name(INGESTION_BOT)
        allowed = principal is not None and (
            principal.is_admin or (bot is not None and principal.user_id == bot["id"])
        )
        if bot is None or not allowed:
            return {key: value for key, value in doc.items() if key != "openMetadataServerConnection"}
        mechanism = users.present_mechanism(
            bot.get("authenticationMechanism") or {}, principal, owner_id=bot["id"]
        )
        config = mechanism.get("config") or {}
        connection: Doc = {"hostPort": f"{host_port}/api", "verifySSL": "no-ssl"}
        if mechanism.get("authType") == "SSO":
            connection.update(authProvider="azure", securityConfig=dict(config.get("authConfig") or {}))
        else:
            connection.update(
                authProvider="openmetadata", securityConfig={"jwtToken": config.get("JWTToken")}
            )
        return {**doc, "openMetadataServerConnection": connection}

    return present
