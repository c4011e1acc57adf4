"""Drives OpenMetadata's own Python SDK (``metadata.ingestion.ometa.ometa_api.OpenMetadata``)
on behalf of the compat tests.

This file runs under ``.venv-compat/bin/python`` (openmetadata-ingestion 2.0.7.0), never
under tessera's virtualenv: it imports nothing from tessera or pytest. Importing the SDK takes
seconds, so one worker serves a whole test module.

Protocol: one JSON request per line on stdin, ``{"op": "<name>", ...arguments}``; one JSON
reply per line on the process's original stdout, ``{"result": ...}`` or ``{"error": {"type",
"message", "status"}}``. Whatever the SDK prints or logs goes to stderr.

Entities are returned as the SDK parsed them: every response has been through OpenMetadata
2.0.7's generated pydantic models, which are ``extra='forbid'``, so a field (or enum value)
tessera sends that 2.0.7 does not know comes back as a ``ValidationError`` here.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

# The protocol owns the real stdout; anything else that writes to fd 1 lands in stderr.
_PROTOCOL = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (  # noqa: E402
    OpenMetadataConnection,
)
from metadata.generated.schema.security.client.openMetadataJWTClientConfig import (  # noqa: E402
    OpenMetadataJWTClientConfig,
)
from metadata.generated.schema.type.tagLabel import TagLabel  # noqa: E402
from metadata.ingestion.models.table_metadata import ColumnDescription  # noqa: E402
from metadata.ingestion.ometa.mixins.patch_mixin_utils import PatchOperation  # noqa: E402
from metadata.ingestion.ometa.ometa_api import OpenMetadata  # noqa: E402

_SCHEMA = "metadata.generated.schema"
# entity type -> (entity model, create request model), as OpenMetadata's generated modules name them.
_MODELS = {
    "databaseService": (
        "entity.services.databaseService.DatabaseService",
        "api.services.createDatabaseService.CreateDatabaseServiceRequest",
    ),
    "database": ("entity.data.database.Database", "api.data.createDatabase.CreateDatabaseRequest"),
    "databaseSchema": (
        "entity.data.databaseSchema.DatabaseSchema",
        "api.data.createDatabaseSchema.CreateDatabaseSchemaRequest",
    ),
    "table": ("entity.data.table.Table", "api.data.createTable.CreateTableRequest"),
    "storedProcedure": (
        "entity.data.storedProcedure.StoredProcedure",
        "api.data.createStoredProcedure.CreateStoredProcedureRequest",
    ),
    "ingestionPipeline": (
        "entity.services.ingestionPipelines.ingestionPipeline.IngestionPipeline",
        "api.services.ingestionPipelines.createIngestionPipeline.CreateIngestionPipelineRequest",
    ),
    "user": ("entity.teams.user.User", "api.teams.createUser.CreateUserRequest"),
    "team": ("entity.teams.team.Team", "api.teams.createTeam.CreateTeamRequest"),
    "role": ("entity.teams.role.Role", "api.teams.createRole.CreateRoleRequest"),
    "policy": ("entity.policies.policy.Policy", "api.policies.createPolicy.CreatePolicyRequest"),
    "bot": ("entity.bot.Bot", "api.createBot.CreateBot"),
    "classification": (
        "entity.classification.classification.Classification",
        "api.classification.createClassification.CreateClassificationRequest",
    ),
    "tag": ("entity.classification.tag.Tag", "api.classification.createTag.CreateTagRequest"),
    "glossary": ("entity.data.glossary.Glossary", "api.data.createGlossary.CreateGlossaryRequest"),
    "glossaryTerm": (
        "entity.data.glossaryTerm.GlossaryTerm",
        "api.data.createGlossaryTerm.CreateGlossaryTermRequest",
    ),
    "query": ("entity.data.query.Query", "api.data.createQuery.CreateQueryRequest"),
    "testConnectionDefinition": (
        "entity.services.connections.testConnectionDefinition.TestConnectionDefinition",
        None,
    ),
}


def _load(dotted: str) -> Any:
    module, _, name = f"{_SCHEMA}.{dotted}".rpartition(".")
    return getattr(importlib.import_module(module), name)


def entity_model(entity_type: str) -> Any:
    return _load(_MODELS[entity_type][0])


def create_model(entity_type: str) -> Any:
    dotted = _MODELS[entity_type][1]
    if dotted is None:
        raise ValueError(f"{entity_type} has no create request")
    return _load(dotted)


def dump(model: Any) -> Any:
    if model is None:
        return None
    return json.loads(model.model_dump_json(exclude_none=True, by_alias=True))


class Worker:
    def __init__(self, host_port: str, token: str) -> None:
        config = OpenMetadataConnection(
            hostPort=host_port,
            authProvider="openmetadata",
            securityConfig=OpenMetadataJWTClientConfig(jwtToken=token),
        )
        self.om = OpenMetadata(config)

    # -- reads ----------------------------------------------------------------------------

    def health_check(self) -> Any:
        return {"healthy": self.om.health_check(), "server_version": self.om.get_server_version()}

    def get_by_name(
        self, entity: str, fqn: str, fields: list[str] | None = None, include: str | None = None
    ) -> Any:
        return dump(self.om.get_by_name(entity_model(entity), fqn, fields=fields, include=include))

    def get_by_id(self, entity: str, entity_id: str, fields: list[str] | None = None) -> Any:
        return dump(self.om.get_by_id(entity_model(entity), entity_id, fields=fields))

    def get_entity_reference(self, entity: str, fqn: str) -> Any:
        return dump(self.om.get_entity_reference(entity_model(entity), fqn))

    def list_entities(self, entity: str, **kwargs: Any) -> Any:
        page = self.om.list_entities(entity_model(entity), **kwargs)
        return {
            "entities": [dump(e) for e in page.entities],
            "total": page.total,
            "after": page.after,
            "before": page.before,
        }

    def list_all_entities(self, entity: str, **kwargs: Any) -> Any:
        return [dump(e) for e in self.om.list_all_entities(entity_model(entity), **kwargs)]

    def list_services(self, entity: str) -> Any:
        return [dump(e) for e in self.om.list_services(entity_model(entity))]

    def list_versions(self, entity: str, entity_id: str) -> Any:
        model = entity_model(entity)
        history = self.om.list_versions(entity_id, model)
        # Each version is a JSON string of the entity as it was: it must parse as 2.0.7 too.
        return {
            "entityType": history.entityType,
            "versions": [dump(model.model_validate_json(v)) for v in history.versions],
        }

    def get_entity_version(self, entity: str, entity_id: str, version: str) -> Any:
        return dump(
            self.om.get_entity_version(entity=entity_model(entity), entity_id=entity_id, version=version)
        )

    def get_pipeline_status(self, fqn: str, run_id: str) -> Any:
        return dump(self.om.get_pipeline_status(fqn, run_id))

    def es_search_from_fqn(self, entity: str, fqn_search_string: str) -> Any:
        """The search the client uses to resolve (wildcard) FQNs, e.g. for lineage."""
        found = self.om.es_search_from_fqn(entity_model(entity), fqn_search_string)
        return None if found is None else [dump(e) for e in found]

    def get_reference_by_email(self, email: str) -> Any:
        """How connectors resolve an owner's e-mail to a user (or team) reference."""
        return dump(self.om.get_reference_by_email(email))

    def get_reference_by_name(self, name: str, is_owner: bool = False) -> Any:
        return dump(self.om.get_reference_by_name(name, is_owner=is_owner))

    def paginate_es(self, entity: str, **kwargs: Any) -> Any:
        """Every entity the client's search pagination yields (it re-reads each by name)."""
        return [dump(e) for e in self.om.paginate_es(entity_model(entity), **kwargs)]

    def paginate_es_pages(self, entity: str, **kwargs: Any) -> Any:
        """The FQNs of each page the client's search pagination asks for, page by page."""
        pages = self.om._paginate_es_internal(entity_model(entity), **kwargs)
        return [[hit.source["fullyQualifiedName"] for hit in page.hits.hits] for page in pages]

    def es_response(self, path: str) -> Any:
        """A search request as the client sends it, parsed by its own ESResponse model."""
        response = self.om._get_es_response(path)
        return None if response is None else response.model_dump(by_alias=True)

    def search_user_by_name(self, name: str) -> Any:
        """The UI-like lookup of a person: query_string on name/displayName AND isBot:false."""
        user = self.om._search_by_name(entity=entity_model("user"), name=name)
        return dump(user)

    # -- writes ---------------------------------------------------------------------------

    def create_or_update(self, entity: str, request: dict[str, Any]) -> Any:
        return dump(self.om.create_or_update(create_model(entity).model_validate(request)))

    def create_or_update_pipeline_status(self, fqn: str, status: dict[str, Any]) -> Any:
        model = _load("entity.services.ingestionPipelines.ingestionPipeline.PipelineStatus")
        self.om.create_or_update_pipeline_status(fqn, model.model_validate(status))

    def create(self, entity: str, request: dict[str, Any]) -> Any:
        return dump(self.om.create(create_model(entity).model_validate(request)))

    def bulk_create_or_update(self, entity: str, requests: list[dict[str, Any]]) -> Any:
        model = create_model(entity)
        return dump(self.om.bulk_create_or_update([model.model_validate(r) for r in requests]))

    def patch_description(self, entity: str, entity_id: str, description: str, force: bool = False) -> Any:
        model = entity_model(entity)
        source = self.om.get_by_id(model, entity_id)
        patched = self.om.patch_description(model, source, description, force=force, skip_on_failure=False)
        return dump(patched)

    def patch(
        self,
        entity: str,
        entity_id: str,
        changes: dict[str, Any],
        override_metadata: bool = False,
        if_match: str | None = None,
    ) -> Any:
        """JSON-patch the fields in ``changes``: the SDK diffs the entity against its edited copy."""
        model = entity_model(entity)
        source = self.om.get_by_id(model, entity_id, fields=["*"])
        destination = model.model_validate({**dump(source), **changes})
        patched = self.om.patch(
            model,
            source,
            destination,
            override_metadata=override_metadata,
            skip_on_failure=False,
            if_match=if_match,
        )
        return dump(patched)

    def patch_column_descriptions(
        self, table_id: str, descriptions: dict[str, str], force: bool = False
    ) -> Any:
        """Column FQN -> description; sent with ``If-Match`` as the SDK does for columns."""
        table = self.om.get_by_id(entity_model("table"), table_id)
        wanted = [ColumnDescription(column_fqn=fqn, description=text) for fqn, text in descriptions.items()]
        return dump(self.om.patch_column_descriptions(table, wanted, force=force))

    def patch_tag(self, entity: str, entity_id: str, label: dict[str, Any], remove: bool = False) -> Any:
        """The client's tag helper: reads the entity's tags and JSON-patches one label in or out."""
        model = entity_model(entity)
        source = self.om.get_by_id(model, entity_id)
        operation = PatchOperation.REMOVE if remove else PatchOperation.ADD
        patched = self.om.patch_tag(
            model, source, TagLabel.model_validate(label), operation=operation, skip_on_failure=False
        )
        return dump(patched)

    def patch_column_tag(
        self, table_id: str, column_fqn: str, label: dict[str, Any], remove: bool = False
    ) -> Any:
        table = self.om.get_by_id(entity_model("table"), table_id, fields=["tags"])
        operation = PatchOperation.REMOVE if remove else PatchOperation.ADD
        return dump(
            self.om.patch_column_tag(table, column_fqn, TagLabel.model_validate(label), operation=operation)
        )

    def patch_owner(
        self, entity: str, entity_id: str, owners: list[dict[str, Any]] | None, force: bool = False
    ) -> Any:
        """The SDK's owner helper: reads the entity's owners itself and patches the difference."""
        model = entity_model(entity)
        source = self.om.get_by_id(model, entity_id)
        wanted = (
            None if owners is None else _load("type.entityReferenceList.EntityReferenceList")(root=owners)
        )
        return dump(self.om.patch_owner(model, source, wanted, force=force))

    def patch_column_description(
        self, table_id: str, column_fqn: str, description: str, force: bool = False
    ) -> Any:
        table = self.om.get_by_id(entity_model("table"), table_id)
        return dump(self.om.patch_column_description(table, column_fqn, description, force=force))

    def rest(self, method: str, path: str, data: str | None = None) -> Any:
        """A call through the SDK's own REST client (its auth, headers and error handling), for
        endpoints the SDK has no helper for (followers, votes, search)."""
        return getattr(self.om.client, method)(path, data=data)

    # -- lineage and table data -------------------------------------------------------------

    def add_lineage(self, request: dict[str, Any]) -> Any:
        """The lineage of the edge's upstream entity as the client reads it back (or its error)."""
        return self.om.add_lineage(_load("api.lineage.addLineage.AddLineageRequest").model_validate(request))

    def get_lineage_by_name(self, entity: str, fqn: str, up_depth: int = 1, down_depth: int = 1) -> Any:
        return self.om.get_lineage_by_name(
            entity_model(entity), fqn, up_depth=up_depth, down_depth=down_depth
        )

    def get_lineage_by_id(self, entity: str, entity_id: str, up_depth: int = 1, down_depth: int = 1) -> Any:
        return self.om.get_lineage_by_id(
            entity_model(entity), entity_id, up_depth=up_depth, down_depth=down_depth
        )

    def delete_lineage_edge(self, edge: dict[str, Any]) -> Any:
        self.om.delete_lineage_edge(_load("type.entityLineage.EntitiesEdge").model_validate(edge))

    def _table(self, fqn: str) -> Any:
        table = self.om.get_by_name(entity_model("table"), fqn)
        if table is None:
            raise ValueError(f"no table {fqn}")
        return table

    def ingest_table_sample_data(self, table_fqn: str, sample: dict[str, Any]) -> Any:
        model = _load("entity.data.table.TableData")
        return dump(self.om.ingest_table_sample_data(self._table(table_fqn), model.model_validate(sample)))

    def get_sample_data(self, table_fqn: str) -> Any:
        return dump(self.om.get_sample_data(self._table(table_fqn)))

    def ingest_profile_data(self, table_fqn: str, request: dict[str, Any]) -> Any:
        model = _load("api.data.createTableProfile.CreateTableProfileRequest")
        return dump(self.om.ingest_profile_data(self._table(table_fqn), model.model_validate(request)))

    def get_profile_data(
        self, fqn: str, start_ts: int, end_ts: int, profile_type: str = "TableProfile"
    ) -> Any:
        found = self.om.get_profile_data(
            fqn, start_ts, end_ts, profile_type=_load(f"entity.data.table.{profile_type}")
        )
        return {"entities": [dump(e) for e in found.entities], "total": found.total}

    def get_latest_table_profile(self, fqn: str) -> Any:
        return dump(self.om.get_latest_table_profile(fqn))

    def create_or_update_table_profiler_config(self, fqn: str, config: dict[str, Any]) -> Any:
        model = _load("entity.data.table.TableProfilerConfig")
        return dump(self.om.create_or_update_table_profiler_config(fqn, model.model_validate(config)))

    def publish_table_usage(self, table_fqn: str, usage: dict[str, Any]) -> Any:
        model = _load("type.usageRequest.UsageRequest")
        self.om.publish_table_usage(self._table(table_fqn), model.model_validate(usage))

    def publish_frequently_joined_with(self, table_fqn: str, joins: dict[str, Any]) -> Any:
        model = _load("entity.data.table.TableJoins")
        self.om.publish_frequently_joined_with(self._table(table_fqn), model.model_validate(joins))

    def ingest_entity_queries_data(self, table_fqn: str, queries: list[dict[str, Any]]) -> Any:
        model = _load("api.data.createQuery.CreateQueryRequest")
        self.om.ingest_entity_queries_data(self._table(table_fqn), [model.model_validate(q) for q in queries])

    def get_entity_queries(self, entity_id: str, fields: list[str] | None = None) -> Any:
        found = self.om.get_entity_queries(entity_id, fields=fields)
        return None if found is None else [dump(q) for q in found]

    def delete(self, entity: str, entity_id: str, recursive: bool = False, hard_delete: bool = False) -> Any:
        self.om.delete(entity_model(entity), entity_id, recursive=recursive, hard_delete=hard_delete)
        return None

    def restore(self, entity: str, entity_id: str) -> Any:
        return dump(self.om.restore(entity_model(entity), entity_id))


def serve(worker: Worker) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        operation: Callable[..., Any] = getattr(worker, request.pop("op"))
        try:
            reply: dict[str, Any] = {"result": operation(**request)}
        except Exception as exc:  # noqa: BLE001  (every failure goes back to the test as data)
            reply = {
                "error": {
                    "type": type(exc).__name__,
                    "message": str(exc),
                    "status": getattr(exc, "status_code", None),
                    "traceback": traceback.format_exc(),
                }
            }
        _PROTOCOL.write(json.dumps(reply) + "\n")
        _PROTOCOL.flush()


if __name__ == "__main__":
    serve(Worker(os.environ["COMPAT_OM_HOST_PORT"], os.environ["COMPAT_OM_JWT_TOKEN"]))
