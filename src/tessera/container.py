"""The services of one tessera process, built once from the settings and injected.

Nothing here runs at import time; :func:`tessera.bootstrap.build_container` builds it for the
server (``create_app``) and for the operators' commands that act on the database directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from tessera.audit.service import AuditLog
from tessera.auth.cache import TokenCache
from tessera.auth.identity import EntraIdentities
from tessera.auth.interfaces import Authenticator, Authorizer
from tessera.auth.keys import KeyRing
from tessera.auth.principal import Principal
from tessera.auth.sessions import WebSessions
from tessera.auth.tokens import TesseraTokens
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind
from tessera.catalog.service import CatalogService
from tessera.config import Settings
from tessera.lineage.service import LineageService
from tessera.secrets.box import SecretBox
from tessera.settings.service import SettingsService
from tessera.tabledata.service import TableDataService
from tessera.users.service import UserService

if TYPE_CHECKING:
    from starlette.requests import Request

# Adjusts a document on its way out (e.g. masks secrets for callers who may not see them); gets
# the fields the caller asked for by name (None: the default fields).
Presenter = Callable[[Kind, Doc, Principal | None, frozenset[str] | None], Doc]
# Reads what the presenters will need for a whole page of a list at once (no query per entity).
Preloader = Callable[[Kind, list[Doc], frozenset[str] | None], None]


@dataclass
class Container:
    settings: Settings
    engine: Engine
    catalog: CatalogService
    authenticator: Authenticator
    authorizer: Authorizer
    users: UserService
    audit: AuditLog
    keys: KeyRing
    tokens: TesseraTokens
    box: SecretBox
    token_cache: TokenCache
    system_settings: SettingsService
    lineage: LineageService
    table_data: TableDataService
    # The Entra ID half of authentication; None unless the provider is azure.
    entra: EntraIdentities | None = None
    # The confidential client's sessions; None unless clientType is confidential.
    sessions: WebSessions | None = None
    presenters: list[Presenter] = field(default_factory=list)
    preloaders: list[Preloader] = field(default_factory=list)
    closeables: list[Callable[[], None]] = field(default_factory=list)
    # When this process started serving (epoch ms), as /system/version reports it.
    started_at_ms: int = 0

    def present(
        self, kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None = None
    ) -> Doc:
        for presenter in self.presenters:
            doc = presenter(kind, doc, principal, fields)
        return doc

    def preload(self, kind: Kind, docs: list[Doc], fields: frozenset[str] | None) -> None:
        for preloader in self.preloaders:
            preloader(kind, docs, fields)

    def base_url(self, request: Request) -> str:
        if self.settings.server.publicUrl:
            return self.settings.server.publicUrl.rstrip("/")
        return str(request.base_url).rstrip("/")

    def close(self) -> None:
        for closeable in self.closeables:
            closeable()
        self.engine.dispose()
