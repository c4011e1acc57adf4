"""What the catalog service takes and gives besides documents: who writes, what a write did,
and the hooks through which other domains take part in writes without the catalog knowing them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy.engine import Connection

from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind

Include = Literal["non-deleted", "deleted", "all"]
Outcome = Literal["created", "updated", "unchanged"]
# OpenMetadata's parent filters on a list: service=, database=, databaseSchema= (FQNs); for
# tags and glossary terms parent= (a classification, glossary or term: FQN or id), glossary=
# and directChildrenOf= (see hierarchy.nested_scope).
ParentScope = Literal["service", "database", "databaseSchema", "parent", "glossary", "directChildrenOf"]
NESTED_SCOPES: tuple[ParentScope, ...] = ("parent", "glossary", "directChildrenOf")
# The versions (in tenths) a conditional write accepts (If-Match); None: any version.
ExpectedVersions = Collection[int] | None


@dataclass(frozen=True)
class Actor:
    """Who is writing: recorded as ``updatedBy``; bots' re-ingestion keeps curated text."""

    name: str
    is_bot: bool = False


class DocumentHook(Protocol):
    """Lets other domains (secrets, users) adjust a document before it is stored."""

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None: ...


class WriteListener(Protocol):
    """Told, inside the writing transaction, what changed (e.g. to invalidate caches)."""

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None: ...

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None: ...


# Called inside a write with the stored entity before it changes (None: about to be created);
# raises (Forbidden) to refuse. The route's authorization, decided on the locked row.
AuthorizeWrite = Callable[[Doc | None], None]
# Called inside a patch with the stored entity and the entity the patch would make.
AuthorizeChange = Callable[[Doc, Doc], None]


@dataclass(frozen=True)
class Found:
    """A search hit: the entity's type and its stored document."""

    entity_type: str
    doc: Doc


@dataclass
class Upserted:
    doc: Doc
    outcome: Outcome


@dataclass
class BulkResult:
    processed: int = 0
    passed: int = 0
    failed: int = 0
    success: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        status = "success" if self.failed == 0 else ("failure" if self.passed == 0 else "partialSuccess")
        return {
            "dryRun": False,
            "status": status,
            "numberOfRowsProcessed": self.processed,
            "numberOfRowsPassed": self.passed,
            "numberOfRowsFailed": self.failed,
            "successRequest": self.success,
            "failedRequest": self.failures,
        }
