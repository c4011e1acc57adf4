"""Write the OpenMetadata JSON schemas tessera implements into src/tessera/contract/schemas.

The contract tessera speaks is OpenMetadata's, as its own client sees it: the pydantic models
generated from OpenMetadata's JSON schemas that ship in openmetadata-ingestion. We keep the
JSON Schema of each model we serve (``model_json_schema()``) as data, validate requests against
it and check our responses against it in tests. Nothing of the client's code is copied.

Run inside a virtualenv that has openmetadata-ingestion installed (``make contract`` does):

    .venv-compat/bin/python tools/extract_contract.py
"""

import importlib
import json
import sys
from pathlib import Path

G = "metadata.generated.schema"
MODELS = {
    # entities
    "databaseService": f"{G}.entity.services.databaseService:DatabaseService",
    "database": f"{G}.entity.data.database:Database",
    "databaseSchema": f"{G}.entity.data.databaseSchema:DatabaseSchema",
    "table": f"{G}.entity.data.table:Table",
    "storedProcedure": f"{G}.entity.data.storedProcedure:StoredProcedure",
    "user": f"{G}.entity.teams.user:User",
    "team": f"{G}.entity.teams.team:Team",
    "role": f"{G}.entity.teams.role:Role",
    "policy": f"{G}.entity.policies.policy:Policy",
    "bot": f"{G}.entity.bot:Bot",
    "ingestionPipeline": f"{G}.entity.services.ingestionPipelines.ingestionPipeline:IngestionPipeline",
    "testConnectionDefinition": (
        f"{G}.entity.services.connections.testConnectionDefinition:TestConnectionDefinition"
    ),
    # create requests
    "createDatabaseService": f"{G}.api.services.createDatabaseService:CreateDatabaseServiceRequest",
    "createDatabase": f"{G}.api.data.createDatabase:CreateDatabaseRequest",
    "createDatabaseSchema": f"{G}.api.data.createDatabaseSchema:CreateDatabaseSchemaRequest",
    "createTable": f"{G}.api.data.createTable:CreateTableRequest",
    "createStoredProcedure": f"{G}.api.data.createStoredProcedure:CreateStoredProcedureRequest",
    "createUser": f"{G}.api.teams.createUser:CreateUserRequest",
    "createTeam": f"{G}.api.teams.createTeam:CreateTeamRequest",
    "createRole": f"{G}.api.teams.createRole:CreateRoleRequest",
    "createPolicy": f"{G}.api.policies.createPolicy:CreatePolicyRequest",
    "createBot": f"{G}.api.createBot:CreateBot",
    "createIngestionPipeline": (
        f"{G}.api.services.ingestionPipelines.createIngestionPipeline:CreateIngestionPipelineRequest"
    ),
    # other payloads
    "restoreEntity": f"{G}.api.data.restoreEntity:RestoreEntity",
    "bulkOperationResult": f"{G}.type.bulkOperationResult:BulkOperationResult",
    "bulkDeleteStaleRequest": f"{G}.type.bulkDeleteStaleRequest:BulkDeleteStaleRequest",
    "entityHistory": f"{G}.type.entityHistory:EntityVersionHistory",
    "pipelineStatus": f"{G}.entity.services.ingestionPipelines.ingestionPipeline:PipelineStatus",
    "authenticationMechanism": f"{G}.entity.teams.user:AuthenticationMechanism",
    "jwtAuthMechanism": f"{G}.auth.jwtAuth:JWTAuthMechanism",
    "generateToken": f"{G}.auth.generateToken:GenerateJwtTokenRequest",
    "revokeToken": f"{G}.auth.revokeToken:GenerateJwtTokenRequest",
    "createPersonalToken": f"{G}.auth.createPersonalToken:CreatePersonalToken",
    "revokePersonalToken": f"{G}.auth.revokePersonalToken:RevokePersonalToken",
    "personalAccessToken": f"{G}.auth.personalAccessToken:PersonalAccessToken",
    "loginRequest": f"{G}.auth.loginRequest:LoginRequest",
    "tokenRefreshRequest": f"{G}.auth.tokenRefreshRequest:TokenRefreshRequest",
    "logoutRequest": f"{G}.auth.logoutRequest:LogoutRequest",
    "changePasswordRequest": f"{G}.auth.changePasswordRequest:ChangePasswordRequest",
    "workflow": f"{G}.metadataIngestion.workflow:OpenMetadataWorkflowConfig",
    # governance: classifications, tags, glossaries, votes, settings
    "classification": f"{G}.entity.classification.classification:Classification",
    "tag": f"{G}.entity.classification.tag:Tag",
    "glossary": f"{G}.entity.data.glossary:Glossary",
    "glossaryTerm": f"{G}.entity.data.glossaryTerm:GlossaryTerm",
    "createClassification": f"{G}.api.classification.createClassification:CreateClassificationRequest",
    "createTag": f"{G}.api.classification.createTag:CreateTagRequest",
    "createGlossary": f"{G}.api.data.createGlossary:CreateGlossaryRequest",
    "createGlossaryTerm": f"{G}.api.data.createGlossaryTerm:CreateGlossaryTermRequest",
    "tagLabel": f"{G}.type.tagLabel:TagLabel",
    "votes": f"{G}.type.votes:Votes",
    "voteRequest": f"{G}.api.voteRequest:QueryVote",
    "settings": f"{G}.settings.settings:Settings",
    # lineage, table data, usage, queries
    "addLineage": f"{G}.api.lineage.addLineage:AddLineageRequest",
    "entityLineage": f"{G}.type.entityLineage:EntityLineage",
    "tableData": f"{G}.entity.data.table:TableData",
    "tableJoins": f"{G}.entity.data.table:TableJoins",
    "tableProfile": f"{G}.entity.data.table:TableProfile",
    "columnProfile": f"{G}.entity.data.table:ColumnProfile",
    "systemProfile": f"{G}.entity.data.table:SystemProfile",
    "tableProfilerConfig": f"{G}.entity.data.table:TableProfilerConfig",
    "createTableProfile": f"{G}.api.data.createTableProfile:CreateTableProfileRequest",
    "usageRequest": f"{G}.type.usageRequest:UsageRequest",
    "usageDetails": f"{G}.type.usageDetails:UsageDetails",
    "query": f"{G}.entity.data.query:Query",
    "createQuery": f"{G}.api.data.createQuery:CreateQueryRequest",
}


def main() -> int:
    from importlib.metadata import version

    import metadata  # noqa: F401  (fails early with a clear message outside the compat venv)

    out = Path(__file__).resolve().parent.parent / "src" / "tessera" / "contract" / "schemas"
    out.mkdir(parents=True, exist_ok=True)
    index = {"openmetadata-ingestion": version("openmetadata-ingestion"), "schemas": {}}
    for name, target in MODELS.items():
        module, cls = target.split(":")
        model = getattr(importlib.import_module(module), cls)
        schema = model.model_json_schema()
        (out / f"{name}.json").write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")))
        index["schemas"][name] = target
        print(f"{name:28} {len(json.dumps(schema)):>8} bytes")
    (out / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
