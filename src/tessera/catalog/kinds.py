"""The entity kinds tessera serves, declared once.

A :class:`Kind` says where a kind lives in the API, which OpenMetadata schemas describe its
create request and its entity, what contains it (and so how its FQN is built), which request
fields are references to other entities, which fields are only returned when asked for
with ``fields=``, and which of those are computed from other entities (expansions). The
generic service and routes work from this table; what no table can say lives in small per-kind
hooks in ``catalog.documents``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from tessera import contract


class RefBy(StrEnum):
    """How a create request names another entity."""

    FQN = "fqn"  # "svc.db" (FullyQualifiedEntityName)
    ID = "id"  # a UUID
    NAME = "name"  # an EntityName
    REFERENCE = "reference"  # an EntityReference {"id", "type"}


@dataclass(frozen=True)
class Ref:
    field: str
    target: str
    by: RefBy
    many: bool = False


@dataclass(frozen=True)
class Expansion:
    """A field OpenMetadata derives from relationships, served when asked for by name: the
    ``related`` kind's entities that are children of this one, or whose documents reference it."""

    field: str
    related: str
    how: Literal["children", "referencing"]


@dataclass(frozen=True)
class Kind:
    type: str
    collection: str
    entity_schema: str
    create_schema: str | None
    # The containing entity: its FQN prefixes ours and deleting it deletes us.
    parent: Ref | None = None
    # An entity of the same kind the request may name instead as its container (a tag under a
    # tag, a glossary term under a term): then it prefixes our FQN and holds us, and the top
    # container (``parent``) is the one it has.
    nested: Ref | None = None
    refs: tuple[Ref, ...] = ()
    # Fields copied from the parent document (a table carries its database and service).
    inherit: tuple[str, ...] = ()
    # Entity fields served only when requested with fields=... (or fields=*).
    optional_fields: tuple[str, ...] = ("owners", "tags", "followers", "extension", "domains", "votes")
    search_index: str | None = None
    # Request fields accepted only when empty: they name entity kinds tessera does not have.
    unsupported: tuple[str, ...] = ("domains", "dataProducts")
    # Request fields consumed by hooks rather than copied into the entity.
    hook_fields: tuple[str, ...] = ()
    read_only: bool = False
    # Whether a PATCH may change the name (and so the FQN of it and of all below it).
    renamable: bool = False
    expansions: tuple[Expansion, ...] = ()
    # Owners come from the nearest container that has some when the entity has none
    # (catalog.owners), as OpenMetadata's setInheritedFields does for data assets.
    inherits_owners: bool = False
    # tessera's own response fields, outside OpenMetadata's schema: served only when asked for by
    # name (never with ``*``), because OpenMetadata's client refuses unknown fields.
    extensions: tuple[str, ...] = ()

    # Cached: it was worked out from the schemas again for every row of a bulk PUT.
    @functools.cached_property
    def copied_fields(self) -> tuple[str, ...]:
        """Request fields whose schema is the same in the entity: stored as sent."""
        if self.create_schema is None:
            return ()
        request = contract.schema(self.create_schema)["properties"]
        entity = contract.schema(self.entity_schema)["properties"]
        skip = {r.field for r in self.refs} | set(self.unsupported) | set(self.hook_fields)
        skip |= {ref.field for ref in self.structural_refs}
        return tuple(name for name in request if name in entity and name not in skip)

    @property
    def structural_refs(self) -> tuple[Ref, ...]:
        return tuple(ref for ref in (self.parent, self.nested) if ref is not None)

    @property
    def entity_fields(self) -> frozenset[str]:
        return frozenset(contract.schema(self.entity_schema)["properties"])


_DATA_ASSET_FIELDS = (
    "owners",
    "tags",
    "followers",
    "extension",
    "domains",
    "votes",
    "dataProducts",
    "lifeCycle",
)

DATABASE_SERVICE = Kind(
    type="databaseService",
    collection="services/databaseServices",
    entity_schema="databaseService",
    create_schema="createDatabaseService",
    optional_fields=(*_DATA_ASSET_FIELDS, "pipelines", "testConnectionResult", "ingestionRunner"),
    search_index="database_service_search_index",
    expansions=(Expansion("pipelines", "ingestionPipeline", "children"),),
)
DATABASE = Kind(
    type="database",
    collection="databases",
    entity_schema="database",
    create_schema="createDatabase",
    parent=Ref("service", "databaseService", RefBy.FQN),
    inherit=("serviceType",),
    optional_fields=(*_DATA_ASSET_FIELDS, "databaseSchemas", "usageSummary", "databaseProfilerConfig"),
    search_index="database_search_index",
    expansions=(Expansion("databaseSchemas", "databaseSchema", "children"),),
    inherits_owners=True,
)
DATABASE_SCHEMA = Kind(
    type="databaseSchema",
    collection="databaseSchemas",
    entity_schema="databaseSchema",
    create_schema="createDatabaseSchema",
    parent=Ref("database", "database", RefBy.FQN),
    inherit=("service", "serviceType"),
    optional_fields=(*_DATA_ASSET_FIELDS, "tables", "usageSummary", "databaseSchemaProfilerConfig"),
    search_index="database_schema_search_index",
    expansions=(Expansion("tables", "table", "children"),),
    inherits_owners=True,
)
TABLE = Kind(
    type="table",
    collection="tables",
    entity_schema="table",
    create_schema="createTable",
    parent=Ref("databaseSchema", "databaseSchema", RefBy.FQN),
    inherit=("database", "service", "serviceType"),
    optional_fields=(
        *_DATA_ASSET_FIELDS,
        "tableConstraints",
        "usageSummary",
        "joins",
        "sampleData",
        "profile",
        "testSuite",
        "customMetrics",
        "tableProfilerConfig",
        "dataModel",
        "schemaDefinition",
    ),
    search_index="table_search_index",
    inherits_owners=True,
)
STORED_PROCEDURE = Kind(
    type="storedProcedure",
    collection="storedProcedures",
    entity_schema="storedProcedure",
    create_schema="createStoredProcedure",
    parent=Ref("databaseSchema", "databaseSchema", RefBy.FQN),
    inherit=("database", "service", "serviceType"),
    optional_fields=_DATA_ASSET_FIELDS,
    search_index="stored_procedure_search_index",
    inherits_owners=True,
)
INGESTION_PIPELINE = Kind(
    type="ingestionPipeline",
    collection="services/ingestionPipelines",
    entity_schema="ingestionPipeline",
    create_schema="createIngestionPipeline",
    parent=Ref("service", "databaseService", RefBy.REFERENCE),
    optional_fields=("owners", "followers", "pipelineStatuses", "domains", "openMetadataServerConnection"),
    search_index="ingestion_pipeline_search_index",
)
USER = Kind(
    type="user",
    collection="users",
    entity_schema="user",
    create_schema="createUser",
    refs=(Ref("teams", "team", RefBy.ID, many=True), Ref("roles", "role", RefBy.ID, many=True)),
    optional_fields=(
        "profile",
        "roles",
        "teams",
        "follows",
        "owns",
        "personas",
        "defaultPersona",
        "domains",
        "authenticationMechanism",
        "inheritedRoles",
    ),
    unsupported=("domains",),
    hook_fields=("password", "confirmPassword", "createPasswordType", "botName", "authenticationMechanism"),
    search_index="user_search_index",
    extensions=("adminBy",),
)
TEAM = Kind(
    type="team",
    collection="teams",
    entity_schema="team",
    create_schema="createTeam",
    refs=(
        Ref("parents", "team", RefBy.ID, many=True),
        Ref("children", "team", RefBy.ID, many=True),
        Ref("users", "user", RefBy.ID, many=True),
        Ref("defaultRoles", "role", RefBy.ID, many=True),
        Ref("policies", "policy", RefBy.ID, many=True),
    ),
    optional_fields=(
        "owners",
        "profile",
        "users",
        "owns",
        "defaultRoles",
        "parents",
        "children",
        "childrenCount",
        "userCount",
        "policies",
    ),
    unsupported=("domains", "defaultPersona"),
    search_index="team_search_index",
    expansions=(Expansion("users", "user", "referencing"),),
)
POLICY = Kind(
    type="policy",
    collection="policies",
    entity_schema="policy",
    create_schema="createPolicy",
    optional_fields=("owners", "location", "teams", "roles", "extension"),
    unsupported=("domains", "location"),
    expansions=(Expansion("roles", "role", "referencing"),),
)
ROLE = Kind(
    type="role",
    collection="roles",
    entity_schema="role",
    create_schema="createRole",
    refs=(Ref("policies", "policy", RefBy.NAME, many=True),),
    optional_fields=("policies", "teams", "users"),
    unsupported=("domains",),
    expansions=(Expansion("users", "user", "referencing"), Expansion("teams", "team", "referencing")),
)
BOT = Kind(
    type="bot",
    collection="bots",
    entity_schema="bot",
    create_schema="createBot",
    refs=(Ref("botUser", "user", RefBy.NAME),),
    optional_fields=(),
    hook_fields=("allowImpersonation",),
)
QUERY = Kind(
    type="query",
    collection="queries",
    entity_schema="query",
    create_schema="createQuery",
    # OpenMetadata names a query after its service: "<service>.<name>", the name defaulting to
    # the checksum of its text (documents.prepare).
    parent=Ref("service", "databaseService", RefBy.FQN),
    refs=(
        Ref("users", "user", RefBy.NAME, many=True),
        Ref("queryUsedIn", "table", RefBy.REFERENCE, many=True),
    ),
    optional_fields=("owners", "followers", "votes", "tags", "users", "queryUsedIn", "domains"),
    search_index="query_search_index",
)
TEST_CONNECTION_DEFINITION = Kind(
    type="testConnectionDefinition",
    collection="services/testConnectionDefinitions",
    entity_schema="testConnectionDefinition",
    create_schema=None,
    optional_fields=("owners",),
    read_only=True,
)

# Classifications, tags and glossaries (OpenMetadata's governance entities).
_GOVERNANCE_UNSUPPORTED = ("domains", "dataProducts")
CLASSIFICATION = Kind(
    type="classification",
    collection="classifications",
    entity_schema="classification",
    create_schema="createClassification",
    refs=(Ref("reviewers", "user", RefBy.REFERENCE, many=True),),
    optional_fields=("owners", "reviewers", "usageCount", "termCount", "domains"),
    unsupported=_GOVERNANCE_UNSUPPORTED,
    search_index="classification_search_index",
    renamable=True,
)
TAG = Kind(
    type="tag",
    collection="tags",
    entity_schema="tag",
    create_schema="createTag",
    parent=Ref("classification", "classification", RefBy.NAME),
    nested=Ref("parent", "tag", RefBy.FQN),
    refs=(Ref("reviewers", "user", RefBy.REFERENCE, many=True),),
    optional_fields=("owners", "reviewers", "children", "usageCount", "domains", "dataProducts"),
    unsupported=_GOVERNANCE_UNSUPPORTED,
    hook_fields=("associatedTags",),
    search_index="tag_search_index",
    expansions=(Expansion("children", "tag", "children"),),
    renamable=True,
)
GLOSSARY = Kind(
    type="glossary",
    collection="glossaries",
    entity_schema="glossary",
    create_schema="createGlossary",
    refs=(Ref("reviewers", "user", RefBy.REFERENCE, many=True),),
    optional_fields=(
        "owners",
        "tags",
        "reviewers",
        "usageCount",
        "termCount",
        "domains",
        "votes",
        "extension",
        "dataProducts",
    ),
    unsupported=_GOVERNANCE_UNSUPPORTED,
    search_index="glossary_search_index",
    renamable=True,
)
GLOSSARY_TERM = Kind(
    type="glossaryTerm",
    collection="glossaryTerms",
    entity_schema="glossaryTerm",
    create_schema="createGlossaryTerm",
    parent=Ref("glossary", "glossary", RefBy.NAME),
    nested=Ref("parent", "glossaryTerm", RefBy.FQN),
    refs=(Ref("reviewers", "user", RefBy.REFERENCE, many=True),),
    optional_fields=(
        "owners",
        "tags",
        "reviewers",
        "children",
        "relatedTerms",
        "usageCount",
        "childrenCount",
        "domains",
        "votes",
        "extension",
        "dataProducts",
    ),
    unsupported=_GOVERNANCE_UNSUPPORTED,
    hook_fields=("relatedTerms",),
    search_index="glossary_term_search_index",
    expansions=(Expansion("children", "glossaryTerm", "children"),),
    renamable=True,
)

ALL: tuple[Kind, ...] = (
    DATABASE_SERVICE,
    DATABASE,
    DATABASE_SCHEMA,
    TABLE,
    STORED_PROCEDURE,
    INGESTION_PIPELINE,
    USER,
    TEAM,
    POLICY,
    ROLE,
    BOT,
    QUERY,
    TEST_CONNECTION_DEFINITION,
    CLASSIFICATION,
    TAG,
    GLOSSARY,
    GLOSSARY_TERM,
)
BY_TYPE: dict[str, Kind] = {kind.type: kind for kind in ALL}

# Which kinds a kind contains, derived from the parent declarations.
CHILDREN: dict[str, tuple[Kind, ...]] = {
    kind.type: tuple(child for child in ALL if any(ref.target == kind.type for ref in child.structural_refs))
    for kind in ALL
}


def by_type(entity_type: str) -> Kind:
    return BY_TYPE[entity_type]
