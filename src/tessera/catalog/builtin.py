"""Entities every tessera catalog has from its first start.

Test connection definitions: OpenMetadata's client fetches
``{ServiceType}.testConnectionDefinition`` before every ingestion and runs the steps it lists;
each step name must be one the client's connector implements, so the names below are fixed by
the client while the words are ours.
"""

from __future__ import annotations

from typing import Any

from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import TEST_CONNECTION_DEFINITION
from tessera.catalog.service import Actor, CatalogService

SYSTEM_ACTOR = Actor(name="tessera", is_bot=True)

_ACCESS = "Connect to the database and authenticate with the configured credentials."
_SCHEMAS = "List the schemas the connecting user can see."
_TABLES = "List the tables of one schema (the first one found when no schema filter is set)."
_VIEWS = "List the views of one schema."


def _step(name: str, description: str, *, mandatory: bool, short_circuit: bool = False) -> dict[str, Any]:
    step: dict[str, Any] = {"name": name, "description": description, "mandatory": mandatory}
    if short_circuit:
        step["shortCircuit"] = True
    return step


def test_connection_definitions() -> list[dict[str, Any]]:
    return [
        {
            "name": "SQLite",
            "displayName": "SQLite Test Connection",
            "description": "Checks that the SQLite file can be opened and its schemas and tables listed.",
            "steps": [
                _step("CheckAccess", _ACCESS, mandatory=True, short_circuit=True),
                _step("GetSchemas", _SCHEMAS, mandatory=True),
                _step("GetTables", _TABLES, mandatory=True),
                _step("GetViews", _VIEWS, mandatory=False),
            ],
        },
        {
            "name": "Postgres",
            "displayName": "Postgres Test Connection",
            "description": "Checks access to PostgreSQL and the metadata needed to catalog it.",
            "steps": [
                _step("CheckAccess", _ACCESS, mandatory=True, short_circuit=True),
                _step("GetDatabases", "List the databases the connecting user can see.", mandatory=True),
                _step("GetSchemas", _SCHEMAS, mandatory=True),
                _step("GetTables", _TABLES, mandatory=True),
                _step("GetViews", _VIEWS, mandatory=False),
                _step(
                    "GetTags", "Read pg_policy, pg_class and pg_namespace for policy tags.", mandatory=False
                ),
                _step(
                    "GetQueries",
                    "Read pg_stat_statements for the usage and lineage workflows.",
                    mandatory=False,
                ),
            ],
        },
        {
            "name": "Mysql",
            "displayName": "Mysql Test Connection",
            "description": "Checks access to MySQL or MariaDB and the metadata needed to catalog it.",
            "steps": [
                _step("CheckAccess", _ACCESS, mandatory=True, short_circuit=True),
                _step("GetSchemas", _SCHEMAS, mandatory=True),
                _step("GetTables", _TABLES, mandatory=True),
                _step("GetViews", _VIEWS, mandatory=False),
            ],
        },
    ]


def install(catalog: CatalogService) -> None:
    for definition in test_connection_definitions():
        # The client looks a definition up as "<Type>.testConnectionDefinition".
        fqn = fqns.build(definition["name"], "testConnectionDefinition")
        catalog.install_builtin(TEST_CONNECTION_DEFINITION, definition, SYSTEM_ACTOR, fqn=fqn)
