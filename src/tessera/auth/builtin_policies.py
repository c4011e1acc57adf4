"""The roles and policies every catalog starts with (``provider: system``: administrators alone
change them), in OpenMetadata's shape and vocabulary."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


_CATALOG = ["databaseService", "database", "databaseSchema", "table", "storedProcedure"]

BUILTIN_POLICIES: list[Doc] = [
    {
        "name": "OrganizationPolicy",
        "description": "Applies to every person: owners may do anything to what they own; anyone may claim "
        "ownership of what has no owner. Ownership opens nothing on roles, policies, bots and teams.",
        "rules": [
            {
                "name": "OrganizationPolicy-Owner-Rule",
                "resources": ["All"],
                "operations": ["All"],
                "effect": "allow",
                "condition": "isOwner()",
            },
            {
                "name": "OrganizationPolicy-NoOwner-Rule",
                "resources": ["All"],
                "operations": ["EditOwners"],
                "effect": "allow",
                "condition": "noOwner()",
            },
        ],
    },
    {
        "name": "DataConsumerPolicy",
        "description": "Read the catalog and improve descriptions and tags.",
        "rules": [
            {
                "name": "DataConsumerPolicy-ViewAll-Rule",
                "resources": ["All"],
                "operations": ["ViewAll"],
                "effect": "allow",
            },
            {
                "name": "DataConsumerPolicy-EditRule",
                "resources": _CATALOG,
                "operations": ["EditDescription", "EditTags"],
                "effect": "allow",
            },
        ],
    },
    {
        "name": "DataStewardPolicy",
        "description": "A data consumer who also curates display names and owners.",
        "rules": [
            {
                "name": "DataStewardPolicy-ViewAll-Rule",
                "resources": ["All"],
                "operations": ["ViewAll"],
                "effect": "allow",
            },
            {
                "name": "DataStewardPolicy-EditRule",
                "resources": _CATALOG,
                "operations": ["EditDescription", "EditDisplayName", "EditTags", "EditOwners"],
                "effect": "allow",
            },
        ],
    },
    {
        "name": "IngestionBotPolicy",
        "description": "What ingestion needs and no more: write the catalog's services, databases, schemas, "
        "tables and stored procedures, the lineage of views, and report pipeline runs. No users, bots, "
        "roles or policies.",
        "rules": [
            {
                "name": "IngestionBotPolicy-Catalog-Rule",
                "resources": [*_CATALOG, "ingestionPipeline"],
                "operations": [
                    "ViewAll",
                    "Create",
                    "EditAll",
                    "Delete",
                    "EditLineage",
                    "EditIngestionPipelineStatus",
                    "Deploy",
                ],
                "effect": "allow",
            },
            {
                "name": "IngestionBotPolicy-Read-Rule",
                "resources": ["testConnectionDefinition", "search"],
                "operations": ["ViewAll"],
                "effect": "allow",
            },
        ],
    },
    {
        "name": "ProfilerBotPolicy",
        "description": "The profiler bot reads tables, writes profiles and samples, and connects to sources.",
        "rules": [
            {
                "name": "ProfilerBotPolicy-Rule",
                "resources": [*_CATALOG, "ingestionPipeline"],
                "operations": [
                    "ViewAll",
                    "EditDataProfile",
                    "EditSampleData",
                    "EditIngestionPipelineStatus",
                    "Deploy",
                ],
                "effect": "allow",
            }
        ],
    },
    {
        "name": "LineageBotPolicy",
        "description": "The lineage bot reads the catalog, writes lineage, and connects to sources.",
        "rules": [
            {
                "name": "LineageBotPolicy-Rule",
                "resources": [*_CATALOG, "ingestionPipeline"],
                "operations": ["ViewAll", "EditLineage", "EditIngestionPipelineStatus", "Deploy"],
                "effect": "allow",
            }
        ],
    },
    {
        "name": "UsageBotPolicy",
        "description": "The usage bot writes usage, queries and lineage, and connects to sources.",
        "rules": [
            {
                "name": "UsageBotPolicy-Rule",
                "resources": [*_CATALOG, "ingestionPipeline"],
                "operations": [
                    "ViewAll",
                    "EditUsage",
                    "EditQueries",
                    "EditLineage",
                    "EditIngestionPipelineStatus",
                    "Deploy",
                ],
                "effect": "allow",
            }
        ],
    },
    {
        "name": "QualityBotPolicy",
        "description": "The test-suite bot reads the catalog and writes tests, results and profiles.",
        "rules": [
            {
                "name": "QualityBotPolicy-Rule",
                "resources": [*_CATALOG, "ingestionPipeline"],
                "operations": [
                    "ViewAll",
                    "CreateTests",
                    "EditTests",
                    "EditDataProfile",
                    "EditIngestionPipelineStatus",
                    "Deploy",
                ],
                "effect": "allow",
            }
        ],
    },
    {
        "name": "AutoClassificationBotPolicy",
        "description": "The auto-classification bot reads tables and sample data and tags columns.",
        "rules": [
            {
                "name": "AutoClassificationBotPolicy-Rule",
                "resources": [*_CATALOG, "ingestionPipeline"],
                "operations": [
                    "ViewAll",
                    "EditTags",
                    "EditSampleData",
                    "EditIngestionPipelineStatus",
                    "Deploy",
                ],
                "effect": "allow",
            }
        ],
    },
    {
        "name": "DefaultBotPolicy",
        "description": "Bots never manage identities or permissions.",
        "rules": [
            {
                "name": "DefaultBotPolicy-Deny-Rule",
                "resources": ["bot", "user", "role", "policy", "team"],
                "operations": ["Create", "Delete", "EditAll", "GenerateToken"],
                "effect": "deny",
            }
        ],
    },
]

BUILTIN_ROLES: list[tuple[str, str, list[str]]] = [
    (
        "DataConsumer",
        "Reads the catalog; edits descriptions and tags. Every new user has it.",
        ["DataConsumerPolicy"],
    ),
    (
        "DataSteward",
        "Curates the catalog: descriptions, display names, tags and owners.",
        ["DataStewardPolicy"],
    ),
    ("IngestionBotRole", "The ingestion bot's role.", ["IngestionBotPolicy", "DefaultBotPolicy"]),
    ("ProfilerBotRole", "The profiler bot's role.", ["ProfilerBotPolicy", "DefaultBotPolicy"]),
    ("LineageBotRole", "The lineage bot's role.", ["LineageBotPolicy", "DefaultBotPolicy"]),
    ("UsageBotRole", "The usage bot's role.", ["UsageBotPolicy", "DefaultBotPolicy"]),
    ("QualityBotRole", "The test-suite bot's role.", ["QualityBotPolicy", "DefaultBotPolicy"]),
    (
        "AutoClassificationBotRole",
        "The auto-classification bot's role.",
        ["AutoClassificationBotPolicy", "DefaultBotPolicy"],
    ),
]
