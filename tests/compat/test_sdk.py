"""OpenMetadata's ``OpenMetadata`` SDK class (2.0.7.0, unchanged) against ``tessera serve``.

Every entity below came back through the SDK, so it has been parsed by OpenMetadata 2.0.7's
generated models (``extra='forbid'``): a field, enum value or number format tessera sends that
2.0.7 does not know fails the test where it is read, as ``SdkError(kind="ValidationError")``.

One server and one SDK worker serve the module; each test works in a service (or under names)
of its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.compat.client import Sdk, SdkError

pytestmark = [pytest.mark.compat, pytest.mark.slow]

SQLITE_CONNECTION = {"config": {"type": "SQLite", "database": "shop", "databaseMode": "/data/shop.db"}}


def make_schema(sdk: Sdk, service: str) -> dict[str, dict[str, Any]]:
    """A database service with one database and one schema, created as the SDK does."""
    created = {
        "service": sdk.call(
            "create_or_update",
            entity="databaseService",
            request={"name": service, "serviceType": "SQLite", "connection": SQLITE_CONNECTION},
        ),
        "database": sdk.call(
            "create_or_update", entity="database", request={"name": "shop", "service": service}
        ),
    }
    created["schema"] = sdk.call(
        "create_or_update", entity="databaseSchema", request={"name": "main", "database": f"{service}.shop"}
    )
    return created


def columns(*names: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"name": "id", "dataType": "BIGINT", "constraint": "PRIMARY_KEY"}]
    out += [{"name": name, "dataType": "VARCHAR", "dataLength": 80} for name in names]
    return out


def table_request(schema_fqn: str, name: str, *cols: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "databaseSchema": schema_fqn, "columns": columns(*cols), **extra}


def put_table(sdk: Sdk, schema_fqn: str, name: str, *cols: str, **extra: Any) -> dict[str, Any]:
    table: dict[str, Any] = sdk.call(
        "create_or_update", entity="table", request=table_request(schema_fqn, name, *cols, **extra)
    )
    return table


def test_the_sdk_connects_and_checks_the_server_version(sdk: Sdk) -> None:
    health = sdk.call("health_check")
    assert health["healthy"] is True
    # The client insists on the same major.minor as its own 2.0.7.0.
    assert health["server_version"].split(".")[:2] == ["2", "0"]


def test_create_or_update_builds_the_hierarchy_and_an_identical_put_changes_nothing(sdk: Sdk) -> None:
    created = make_schema(sdk, "sdk_hierarchy")
    service, database, schema = created["service"], created["database"], created["schema"]
    assert service["fullyQualifiedName"] == "sdk_hierarchy"
    assert service["connection"]["config"]["databaseMode"] == "/data/shop.db"
    assert database["fullyQualifiedName"] == "sdk_hierarchy.shop"
    assert database["service"]["id"] == service["id"]
    assert schema["fullyQualifiedName"] == "sdk_hierarchy.shop.main"
    assert (schema["database"]["id"], schema["service"]["id"]) == (database["id"], service["id"])

    table = put_table(sdk, schema["fullyQualifiedName"], "orders", "status", description="Orders placed")
    assert table["fullyQualifiedName"] == "sdk_hierarchy.shop.main.orders"
    assert [c["fullyQualifiedName"] for c in table["columns"]] == [
        "sdk_hierarchy.shop.main.orders.id",
        "sdk_hierarchy.shop.main.orders.status",
    ]
    assert (table["databaseSchema"]["id"], table["database"]["id"], table["service"]["id"]) == (
        schema["id"],
        database["id"],
        service["id"],
    )
    assert table["version"] == 0.1

    again = put_table(sdk, schema["fullyQualifiedName"], "orders", "status", description="Orders placed")
    assert (again["id"], again["version"]) == (table["id"], table["version"])
    again_schema = make_schema(sdk, "sdk_hierarchy")["schema"]
    assert (again_schema["id"], again_schema["version"]) == (schema["id"], schema["version"])

    # A changed PUT is a new minor version of the same entity.
    changed = put_table(sdk, schema["fullyQualifiedName"], "orders", "status", "channel")
    assert (changed["id"], changed["version"]) == (table["id"], 0.2)
    assert [c["name"] for c in changed["columns"]] == ["id", "status", "channel"]


def test_create_and_create_or_update_report_errors_as_the_client_expects(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_errors")["schema"]["fullyQualifiedName"]
    put_table(sdk, schema_fqn, "taken")
    with pytest.raises(SdkError) as duplicate:
        sdk.call("create", entity="table", request=table_request(schema_fqn, "taken"))
    assert (duplicate.value.kind, duplicate.value.status) == ("APIError", 409)
    with pytest.raises(SdkError) as orphan:
        sdk.call("create_or_update", entity="table", request=table_request("sdk_errors.shop.nope", "t"))
    assert (orphan.value.kind, orphan.value.status) == ("APIError", 404)
    assert "sdk_errors.shop.nope" in orphan.value.detail
    created = sdk.call("create", entity="table", request=table_request(schema_fqn, "fresh"))
    assert created["version"] == 0.1


def test_get_by_name_and_by_id_return_the_entity_or_none(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_get")["schema"]["fullyQualifiedName"]
    table = put_table(
        sdk,
        schema_fqn,
        "customers",
        "email",
        description="People who buy things",
        tableConstraints=[{"constraintType": "UNIQUE", "columns": ["email"]}],
    )
    plain = sdk.call("get_by_name", entity="table", fqn=table["fullyQualifiedName"])
    assert plain["id"] == table["id"]
    assert "tableConstraints" not in plain  # an optional field: only when asked for
    everything = sdk.call("get_by_name", entity="table", fqn=table["fullyQualifiedName"], fields=["*"])
    assert everything["tableConstraints"] == [{"constraintType": "UNIQUE", "columns": ["email"]}]
    assert everything["description"] == "People who buy things"
    assert everything["columns"] == table["columns"]
    asked = sdk.call(
        "get_by_name", entity="table", fqn=table["fullyQualifiedName"], fields=["tableConstraints"]
    )
    assert asked["tableConstraints"] == everything["tableConstraints"]

    assert sdk.call("get_by_id", entity="table", entity_id=table["id"], fields=["*"]) == everything
    assert sdk.call("get_by_name", entity="table", fqn=f"{schema_fqn}.no_such_table") is None
    assert sdk.call("get_by_name", entity="databaseService", fqn="no_such_service", fields=["*"]) is None
    assert sdk.call("get_by_id", entity="table", entity_id=str(uuid.uuid4())) is None

    reference = sdk.call("get_entity_reference", entity="table", fqn=table["fullyQualifiedName"])
    assert (reference["id"], reference["type"]) == (table["id"], "table")
    assert reference["href"] == table["href"]
    assert reference["href"].endswith(f"/api/v1/tables/{table['id']}")


def test_a_name_with_a_dot_is_quoted_in_the_fqn_and_found_by_it(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_dots")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "audit.log", "message")
    assert table["fullyQualifiedName"] == f'{schema_fqn}."audit.log"'
    assert table["columns"][1]["fullyQualifiedName"] == f'{schema_fqn}."audit.log".message'
    found = sdk.call("get_by_name", entity="table", fqn=table["fullyQualifiedName"], fields=["*"])
    assert found["id"] == table["id"]
    assert sdk.call("get_by_name", entity="table", fqn=f"{schema_fqn}.audit.log") is None


def test_bulk_create_then_list_entities_pages_over_250_tables(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_paging")["schema"]["fullyQualifiedName"]
    names = [f"t{i:03d}" for i in range(250)]
    result = sdk.call(
        "bulk_create_or_update",
        entity="table",
        requests=[table_request(schema_fqn, name, "payload") for name in names],
    )
    assert (result["numberOfRowsProcessed"], result["numberOfRowsFailed"]) == (250, 0)
    assert result["status"] == "success"

    scope = {"databaseSchema": schema_fqn}
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        page = sdk.call("list_entities", entity="table", limit=100, after=after, params=scope)
        pages.append(page)
        assert page["total"] == 250
        after = page["after"]
        if after is None:
            break
        assert len(pages) < 5, "paging does not end"
    assert [len(p["entities"]) for p in pages] == [100, 100, 50]
    listed = [t["name"] for p in pages for t in p["entities"]]
    assert sorted(listed) == names  # every table exactly once
    assert pages[0]["before"] is None

    # `before` goes back a page: the cursor of page two leads to page one.
    back = sdk.call("list_entities", entity="table", limit=100, before=pages[1]["before"], params=scope)
    assert [t["id"] for t in back["entities"]] == [t["id"] for t in pages[0]["entities"]]

    everything = sdk.call("list_all_entities", entity="table", limit=100, params=scope, fields=["*"])
    assert sorted(t["name"] for t in everything) == names
    assert {t["columns"][1]["name"] for t in everything} == {"payload"}

    # The same bulk again is a no-op: no table gets a new version.
    sdk.call(
        "bulk_create_or_update",
        entity="table",
        requests=[table_request(schema_fqn, name, "payload") for name in names],
    )
    again = sdk.call("list_all_entities", entity="table", limit=100, params=scope)
    assert {t["version"] for t in again} == {0.1}


def test_patch_description_columns_and_fields_make_versions(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_patch")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "orders", "status")
    described = sdk.call(
        "patch_description", entity="table", entity_id=table["id"], description="Orders placed"
    )
    assert described["description"] == "Orders placed"
    assert described["version"] == 0.2
    forced = sdk.call(
        "patch_description", entity="table", entity_id=table["id"], description="Every order", force=True
    )
    assert (forced["description"], forced["version"]) == ("Every order", 0.3)

    status_fqn = table["columns"][1]["fullyQualifiedName"]
    # The SDK sends If-Match: W/"<version>" with column patches.
    patched = sdk.call(
        "patch_column_descriptions", table_id=table["id"], descriptions={status_fqn: "Where the order is"}
    )
    assert [c.get("description") for c in patched["columns"]] == [None, "Where the order is"]
    assert patched["version"] == 0.4

    renamed = sdk.call("patch", entity="table", entity_id=table["id"], changes={"displayName": "Orders"})
    assert (renamed["displayName"], renamed["version"]) == ("Orders", 0.5)

    # A re-ingestion (a PUT without descriptions) keeps what was curated.
    reput = put_table(sdk, schema_fqn, "orders", "status")
    assert reput["description"] == "Every order"
    assert reput["columns"][1]["description"] == "Where the order is"
    assert reput["version"] == 0.5

    history = sdk.call("list_versions", entity="table", entity_id=table["id"])
    assert history["entityType"] == "table"
    # Newest first, as OpenMetadata lists them.
    assert [v["version"] for v in history["versions"]] == [0.5, 0.4, 0.3, 0.2, 0.1]
    first = sdk.call("get_entity_version", entity="table", entity_id=table["id"], version="0.1")
    assert first["version"] == 0.1
    assert "description" not in first
    latest = max(history["versions"], key=lambda v: v["version"])
    assert latest["changeDescription"]["previousVersion"] == 0.4


def test_a_patch_with_a_stale_if_match_is_refused_with_412(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_etag")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "orders")
    current = sdk.call(
        "patch", entity="table", entity_id=table["id"], changes={"displayName": "Orders"}, if_match='W/"0.1"'
    )
    assert current["version"] == 0.2
    # The SDK's weak ETag of the version it read: W/"<version>". An old one must not win.
    with pytest.raises(SdkError) as stale:
        sdk.call(
            "patch", entity="table", entity_id=table["id"], changes={"displayName": "Old"}, if_match='W/"0.1"'
        )
    assert (stale.value.kind, stale.value.status) == ("APIError", 412)
    assert sdk.call("get_by_id", entity="table", entity_id=table["id"])["displayName"] == "Orders"


def test_patch_sets_owners_to_users_and_teams(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_owners")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "ledger")
    user = sdk.call(
        "create_or_update", entity="user", request={"name": "owner.olga", "email": "olga@example.com"}
    )
    team = sdk.call("create_or_update", entity="team", request={"name": "finance", "teamType": "Group"})
    owners = [{"id": user["id"], "type": "user"}, {"id": team["id"], "type": "team"}]
    patched = sdk.call("patch", entity="table", entity_id=table["id"], changes={"owners": owners})
    assert patched is not None
    read = sdk.call("get_by_name", entity="table", fqn=table["fullyQualifiedName"], fields=["owners"])
    assert [(o["id"], o["type"], o["name"]) for o in read["owners"]] == [
        (user["id"], "user", "owner.olga"),
        (team["id"], "team", "finance"),
    ]


def test_soft_delete_restore_and_hard_delete(sdk: Sdk) -> None:
    created = make_schema(sdk, "sdk_delete")
    schema = created["schema"]
    table = put_table(sdk, schema["fullyQualifiedName"], "orders")
    fqn = table["fullyQualifiedName"]

    sdk.call("delete", entity="table", entity_id=table["id"])
    assert sdk.call("get_by_name", entity="table", fqn=fqn) is None
    deleted = sdk.call("get_by_name", entity="table", fqn=fqn, fields=["*"], include="deleted")
    assert (deleted["id"], deleted["deleted"]) == (table["id"], True)
    scope = {"databaseSchema": schema["fullyQualifiedName"]}
    assert sdk.call("list_entities", entity="table", params=scope)["total"] == 0
    assert sdk.call("list_entities", entity="table", params=scope, include="deleted")["total"] == 1

    restored = sdk.call("restore", entity="table", entity_id=table["id"])
    assert restored is not None, "restore failed (the SDK logs the error and returns None)"
    assert (restored["id"], restored["deleted"]) == (table["id"], False)
    assert sdk.call("get_by_name", entity="table", fqn=fqn)["deleted"] is False

    # A schema with a table in it goes only recursively, and comes back with its table.
    with pytest.raises(SdkError) as not_empty:
        sdk.call("delete", entity="databaseSchema", entity_id=schema["id"])
    assert not_empty.value.status == 400
    sdk.call("delete", entity="databaseSchema", entity_id=schema["id"], recursive=True)
    assert sdk.call("get_by_name", entity="table", fqn=fqn) is None
    assert sdk.call("restore", entity="databaseSchema", entity_id=schema["id"])["deleted"] is False
    assert sdk.call("get_by_name", entity="table", fqn=fqn)["deleted"] is False

    # Ingesting a soft-deleted table again (a PUT) brings back the same entity.
    sdk.call("delete", entity="table", entity_id=table["id"])
    reput = put_table(sdk, schema["fullyQualifiedName"], "orders")
    assert (reput["id"], reput["deleted"]) == (table["id"], False)

    sdk.call("delete", entity="table", entity_id=table["id"], hard_delete=True)
    assert sdk.call("get_by_name", entity="table", fqn=fqn, fields=["*"], include="all") is None
    assert sdk.call("get_by_id", entity="table", entity_id=table["id"]) is None
    with pytest.raises(SdkError) as gone:
        sdk.call("delete", entity="table", entity_id=table["id"])
    assert gone.value.status == 404


def test_stored_procedures(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_procedures")["schema"]["fullyQualifiedName"]
    code = {"language": "SQL", "code": "CREATE PROCEDURE refresh() BEGIN SELECT 1; END"}
    procedure = sdk.call(
        "create_or_update",
        entity="storedProcedure",
        request={"name": "refresh", "databaseSchema": schema_fqn, "storedProcedureCode": code},
    )
    assert procedure["fullyQualifiedName"] == f"{schema_fqn}.refresh"
    read = sdk.call(
        "get_by_name", entity="storedProcedure", fqn=procedure["fullyQualifiedName"], fields=["*"]
    )
    assert read["storedProcedureCode"] == code
    listed = sdk.call("list_entities", entity="storedProcedure", params={"databaseSchema": schema_fqn})
    assert [p["id"] for p in listed["entities"]] == [procedure["id"]]


def test_ingestion_pipeline_and_its_status_through_the_sdk(sdk: Sdk) -> None:
    service = make_schema(sdk, "sdk_pipelines")["service"]
    pipeline = sdk.call(
        "create_or_update",
        entity="ingestionPipeline",
        request={
            "name": "metadata_run",
            "pipelineType": "metadata",
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
            "airflowConfig": {},
            "service": {"id": service["id"], "type": "databaseService"},
        },
    )
    fqn = pipeline["fullyQualifiedName"]
    assert fqn == "sdk_pipelines.metadata_run"
    assert pipeline["service"]["id"] == service["id"]
    run_id = str(uuid.uuid4())
    assert sdk.call("get_pipeline_status", fqn=fqn, run_id=run_id) is None
    started = {"runId": run_id, "pipelineState": "running", "startDate": 1_700_000_000_000}
    sdk.call("create_or_update_pipeline_status", fqn=fqn, status={**started, "timestamp": 1_700_000_000_000})
    assert sdk.call("get_pipeline_status", fqn=fqn, run_id=run_id)["pipelineState"] == "running"
    finished = {
        **started,
        "pipelineState": "success",
        "timestamp": 1_700_000_000_000,
        "endDate": 1_700_000_060_000,
    }
    sdk.call("create_or_update_pipeline_status", fqn=fqn, status=finished)
    status = sdk.call("get_pipeline_status", fqn=fqn, run_id=run_id)
    assert (status["pipelineState"], status["endDate"]) == ("success", 1_700_000_060_000)


def test_search_by_exact_fqn_finds_the_table(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_search")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "orders")
    put_table(sdk, schema_fqn, "orders_archive")
    found = sdk.call("es_search_from_fqn", entity="table", fqn_search_string=table["fullyQualifiedName"])
    assert [t["id"] for t in found] == [table["id"]]


def test_search_by_fqn_accepts_wildcards(sdk: Sdk) -> None:
    schema_fqn = make_schema(sdk, "sdk_wildcards")["schema"]["fullyQualifiedName"]
    table = put_table(sdk, schema_fqn, "orders")
    found = sdk.call("es_search_from_fqn", entity="table", fqn_search_string="sdk_wildcards.*.main.orders")
    assert [t["id"] for t in found or []] == [table["id"]]


def test_owner_lookup_by_team_name(sdk: Sdk) -> None:
    team = sdk.call("create_or_update", entity="team", request={"name": "owners_team", "teamType": "Group"})
    assert sdk.call("get_reference_by_name", name="owners_team", is_owner=True) == [
        {"id": team["id"], "type": "team", "name": "owners_team"}
    ]


def test_owner_lookup_by_user_name_finds_the_user_not_another_team(sdk: Sdk) -> None:
    sdk.call("create_or_update", entity="team", request={"name": "unrelated_team", "teamType": "Group"})
    user = sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "owner_otto", "email": "otto@example.com", "displayName": "Otto Owner"},
    )
    # No team is called owner_otto: the SDK searches teams, finds none, then takes the user.
    assert sdk.call("get_reference_by_name", name="owner_otto") == [
        {"id": user["id"], "type": "user", "name": "owner_otto", "displayName": "Otto Owner"}
    ]


def test_owner_lookup_by_email_finds_the_user(sdk: Sdk) -> None:
    user = sdk.call(
        "create_or_update", entity="user", request={"name": "mailed_mia", "email": "mia@example.com"}
    )
    assert sdk.call("get_reference_by_email", email="mia@example.com") == [
        {"id": user["id"], "type": "user", "name": "mailed_mia"}
    ]


def test_users_teams_roles_policies_and_bots(sdk: Sdk) -> None:
    policy = sdk.call(
        "create_or_update",
        entity="policy",
        request={
            "name": "StewardPolicy",
            "rules": [
                {
                    "name": "edit-descriptions",
                    "resources": ["table"],
                    "operations": ["ViewAll", "EditDescription"],
                    "effect": "allow",
                }
            ],
        },
    )
    role = sdk.call(
        "create_or_update", entity="role", request={"name": "Steward", "policies": ["StewardPolicy"]}
    )
    assert [p["id"] for p in role["policies"]] == [policy["id"]]
    team = sdk.call(
        "create_or_update",
        entity="team",
        request={"name": "stewards", "teamType": "Group", "displayName": "Stewards"},
    )
    user = sdk.call(
        "create_or_update",
        entity="user",
        request={
            "name": "steward_sam",
            "email": "Sam@Example.com",
            "teams": [team["id"]],
            "roles": [role["id"]],
        },
    )
    assert user["email"] == "sam@example.com"
    bot_user = sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "catalog-bot", "email": "catalog-bot@example.com", "isBot": True},
    )
    bot = sdk.call(
        "create_or_update", entity="bot", request={"name": "catalog-bot", "botUser": "catalog-bot"}
    )
    assert bot["botUser"]["id"] == bot_user["id"]

    read_user = sdk.call("get_by_name", entity="user", fqn="steward_sam", fields=["teams", "roles"])
    assert [t["id"] for t in read_user["teams"]] == [team["id"]]
    assert role["id"] in {r["id"] for r in read_user["roles"]}
    read_role = sdk.call("get_by_name", entity="role", fqn="Steward", fields=["policies"])
    assert [p["name"] for p in read_role["policies"]] == ["StewardPolicy"]
    read_bot = sdk.call("get_by_name", entity="bot", fqn="catalog-bot", fields=["*"])
    assert read_bot["botUser"]["name"] == "catalog-bot"
    assert sdk.call("get_by_id", entity="user", entity_id=read_bot["botUser"]["id"])["isBot"] is True
    read_policy = sdk.call("get_by_id", entity="policy", entity_id=policy["id"], fields=["*"])
    assert read_policy["rules"][0]["operations"] == ["ViewAll", "EditDescription"]


def test_a_user_whose_name_has_a_dot_is_found_by_that_name(sdk: Sdk) -> None:
    # OpenMetadata derives user names from e-mail addresses: "first.last" is the common case.
    user = sdk.call(
        "create_or_update", entity="user", request={"name": "first.last", "email": "fl@example.com"}
    )
    assert user["fullyQualifiedName"] == '"first.last"'
    assert sdk.call("get_by_name", entity="user", fqn='"first.last"')["id"] == user["id"]
    found = sdk.call("get_by_name", entity="user", fqn="first.last", fields=["*"])
    assert found is not None
    assert found["id"] == user["id"]


def test_a_team_lists_the_users_that_joined_it(sdk: Sdk) -> None:
    team = sdk.call("create_or_update", entity="team", request={"name": "joined_team", "teamType": "Group"})
    user = sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "joiner", "email": "joiner@example.com", "teams": [team["id"]]},
    )
    read = sdk.call("get_by_name", entity="team", fqn="joined_team", fields=["users"])
    assert [u["id"] for u in read.get("users") or []] == [user["id"]]


def test_a_role_lists_the_users_that_have_it(sdk: Sdk) -> None:
    role = sdk.call("create_or_update", entity="role", request={"name": "HeldRole", "policies": []})
    user = sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "holder", "email": "holder@example.com", "roles": [role["id"]]},
    )
    read = sdk.call("get_by_name", entity="role", fqn="HeldRole", fields=["users"])
    assert [u["id"] for u in read.get("users") or []] == [user["id"]]


def test_containers_list_their_children_when_asked(sdk: Sdk) -> None:
    created = make_schema(sdk, "sdk_children")
    table = put_table(sdk, created["schema"]["fullyQualifiedName"], "orders")
    schema = sdk.call("get_by_name", entity="databaseSchema", fqn="sdk_children.shop.main", fields=["tables"])
    assert [t["id"] for t in schema.get("tables") or []] == [table["id"]]
    database = sdk.call("get_by_name", entity="database", fqn="sdk_children.shop", fields=["databaseSchemas"])
    assert [s["id"] for s in database.get("databaseSchemas") or []] == [created["schema"]["id"]]


def test_every_kind_tessera_serves_parses_as_openmetadata_2_0_7(sdk: Sdk) -> None:
    """List, get and version every kind with all fields; each must fit the 2.0.7 models."""
    created = make_schema(sdk, "sdk_kinds")
    schema_fqn = created["schema"]["fullyQualifiedName"]
    put_table(
        sdk,
        schema_fqn,
        "orders",
        "status",
        description="All orders",
        tableConstraints=[{"constraintType": "UNIQUE", "columns": ["status"]}],
    )
    sdk.call(
        "create_or_update",
        entity="storedProcedure",
        request={
            "name": "refresh",
            "databaseSchema": schema_fqn,
            "storedProcedureCode": {"language": "SQL", "code": "SELECT 1"},
        },
    )
    sdk.call(
        "create_or_update",
        entity="ingestionPipeline",
        request={
            "name": "kinds_metadata",
            "pipelineType": "metadata",
            "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
            "airflowConfig": {},
            "service": {"id": created["service"]["id"], "type": "databaseService"},
        },
    )
    sdk.call("create_or_update", entity="policy", request={"name": "KindsPolicy", "rules": []})
    role = sdk.call(
        "create_or_update", entity="role", request={"name": "KindsRole", "policies": ["KindsPolicy"]}
    )
    team = sdk.call("create_or_update", entity="team", request={"name": "kinds_team", "teamType": "Group"})
    sdk.call(
        "create_or_update",
        entity="user",
        request={
            "name": "kinds.kim",
            "email": "kim@example.com",
            "teams": [team["id"]],
            "roles": [role["id"]],
        },
    )
    sdk.call(
        "create_or_update",
        entity="user",
        request={"name": "kinds-bot", "email": "kinds-bot@example.com", "isBot": True},
    )
    sdk.call("create_or_update", entity="bot", request={"name": "kinds-bot", "botUser": "kinds-bot"})

    kinds = [
        "databaseService",
        "database",
        "databaseSchema",
        "table",
        "storedProcedure",
        "ingestionPipeline",
        "user",
        "team",
        "role",
        "policy",
        "bot",
        "testConnectionDefinition",
    ]
    for kind in kinds:
        listed = sdk.call("list_all_entities", entity=kind, fields=["*"], include="all", limit=100)
        assert listed, kind
        for entity in listed:
            assert (
                sdk.call("get_by_id", entity=kind, entity_id=entity["id"], fields=["*"])["id"] == entity["id"]
            )
            by_name = sdk.call("get_by_name", entity=kind, fqn=entity["fullyQualifiedName"], fields=["*"])
            assert by_name["id"] == entity["id"]
            history = sdk.call("list_versions", entity=kind, entity_id=entity["id"])
            assert history["entityType"] == kind
            assert max(v["version"] for v in history["versions"]) == entity["version"]
    services = sdk.call("list_services", entity="databaseService")
    assert "sdk_kinds" in {s["name"] for s in services}


def test_the_sqlite_test_connection_definition_matches_the_client_connector(sdk: Sdk) -> None:
    definition = sdk.call(
        "get_by_name", entity="testConnectionDefinition", fqn="SQLite.testConnectionDefinition", fields=["*"]
    )
    assert definition["name"] == "SQLite"
    # The client runs a function per step name and fails on one it does not implement.
    assert [step["name"] for step in definition["steps"]] == [
        "CheckAccess",
        "GetSchemas",
        "GetTables",
        "GetViews",
    ]
    assert definition["steps"][0]["mandatory"] is True


def test_users_parse_in_the_client_with_every_field_though_adminby_exists(sdk: Sdk) -> None:
    # The client's User model forbids unknown fields: tessera's adminBy extension is served only
    # when asked for by name, never with fields=*, so every read of users still parses.
    page = sdk.call("list_entities", entity="user", fields=["*"], limit=50)
    admin = next(user for user in page["entities"] if user["name"] == "admin")
    assert admin["isAdmin"] is True
    assert "adminBy" not in admin
    assert sdk.call("get_by_name", entity="user", fqn="admin", fields=["*"])["name"] == "admin"
