"""The services of one tessera process, built once from the settings and injected.

Nothing here runs at import time; :func:`build` is called by ``create_app`` (and by CLI
commands that act on the database directly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from starlette.requests import Request

from tessera.api.deps import Authorizer
from tessera.auth.principal import Principal
from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind
from tessera.catalog.service import CatalogService
from tessera.config import Settings


class Authenticator(Protocol):
    def authenticate(self, request: Request) -> Principal:
        """Who sent this request; raise NotAuthenticated (401) with the reason otherwise."""


# Adjusts a document on its way out (e.g. masks secrets for callers who may not see them); gets
# the fields the caller asked for by name (None: the default fields).
Presenter = Callable[[Kind, Doc, Principal | None, frozenset[str] | None], Doc]


@dataclass
class Container:
    settings: Settings
    engine: Engine
    catalog: CatalogService
    authenticator: Authenticator
    authorizer: Authorizer
    presenters: list[Presenter] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    closeables: list[Callable[[], None]] = field(default_factory=list)

    def present(
        self, kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None = None
    ) -> Doc:
        for presenter in self.presenters:
            doc = presenter(kind, doc, principal, fields)
        return doc

    def base_url(self, request: Request) -> str:
        if self.settings.server.publicUrl:
            return self.settings.server.publicUrl.rstrip("/")
        return str(request.base_url).rstrip("/")

    def close(self) -> None:
        for closeable in self.closeables:
            closeable()
        self.engine.dispose()
