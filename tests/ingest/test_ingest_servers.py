"""`tessera ingest` from real PostgreSQL and MariaDB databases created by the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from typer.testing import Result

from tests.ingest.conftest import workflow
from tests.ingest.test_ingest_sqlite import ok, summary_row, table

Ingest = Callable[..., Result]


@pytest.mark.postgres
def test_postgres_schemas_types_comments_and_keys(
    ingest: Ingest, api: httpx.Client, catalog: str, postgres_db: str, service_name: str
) -> None:
    connection = {
        "type": "Postgres",
        "hostPort": "127.0.0.1:5432",
        "username": "postgres",
        "authType": {"password": "${PGPASSWORD:-}"},
        "database": postgres_db,
    }
    config = workflow(
        source_type="postgres", service=service_name, connection=connection, host_port=f"{catalog}/api"
    )
    output = ok(ingest(config))
    assert summary_row(output, "Schemas") == ["2", "0", "0", "0", "0"]
    assert summary_row(output, "Tables") == ["3", "0", "0", "0", "0"]

    customers = table(api, f"{service_name}.{postgres_db}.public.customers")
    assert customers["description"] == "People who buy"
    columns: dict[str, Any] = {c["name"]: c for c in customers["columns"]}
    assert columns["id"]["dataType"] == "BIGINT"
    assert columns["id"]["constraint"] == "PRIMARY_KEY"
    assert columns["email"]["description"] == "Primary contact address"
    assert columns["email"]["constraint"] == "UNIQUE"
    assert columns["profile"]["dataType"] == "JSON"
    assert columns["joined"]["dataType"] == "TIMESTAMP"
    assert columns["joined"]["dataTypeDisplay"] == "timestamp with time zone default now()"
    assert (columns["tags"]["dataType"], columns["tags"]["arrayDataType"]) == ("ARRAY", "TEXT")

    orders = table(api, f"{service_name}.{postgres_db}.sales.orders")
    amount = next(c for c in orders["columns"] if c["name"] == "amount")
    assert (amount["dataType"], amount["precision"], amount["scale"]) == ("NUMERIC", 10, 2)
    assert {"constraintType": "UNIQUE", "columns": ["customer_id", "code"]} in orders["tableConstraints"]
    assert {
        "constraintType": "FOREIGN_KEY",
        "columns": ["customer_id"],
        "referredColumns": [f"{service_name}.{postgres_db}.public.customers.id"],
        "relationshipType": "MANY_TO_ONE",
    } in orders["tableConstraints"]
    view = table(api, f"{service_name}.{postgres_db}.sales.big_orders")
    assert view["tableType"] == "View"
    assert "amount > " in view["schemaDefinition"]

    again = ok(ingest(config))
    assert summary_row(again, "Tables") == ["0", "0", "3", "0", "0"]
    assert table(api, f"{service_name}.{postgres_db}.public.customers")["version"] == customers["version"]


@pytest.mark.mysql
def test_mariadb_tables_enums_comments_and_foreign_keys(
    ingest: Ingest, api: httpx.Client, catalog: str, mariadb_db: str, service_name: str
) -> None:
    connection = {
        "type": "Mysql",
        "hostPort": "127.0.0.1:3306",
        "username": "root",
        "databaseSchema": mariadb_db,
    }
    config = workflow(
        source_type="mysql",
        service=service_name,
        connection=connection,
        host_port=f"{catalog}/api",
        auth={"authProvider": "no-auth"},
        source_config={"tableFilterPattern": {"excludes": ["^paid"]}},
    )
    output = ok(ingest(config))
    assert summary_row(output, "Tables") == ["2", "0", "0", "0", "0"]
    schema = f"{service_name}.default.{mariadb_db}"
    customers = table(api, f"{schema}.customers")
    assert customers["description"] == "People who buy"
    columns = {c["name"]: c for c in customers["columns"]}
    assert columns["email"]["description"] == "Primary contact address"
    assert (columns["email"]["dataType"], columns["email"]["dataLength"]) == ("VARCHAR", 120)
    assert columns["active"]["dataType"] == "TINYINT"
    assert columns["notes"]["dataType"] == "TEXT"
    orders = table(api, f"{schema}.orders")
    by_name = {c["name"]: c for c in orders["columns"]}
    assert by_name["status"]["dataType"] == "ENUM"
    assert (by_name["amount"]["dataType"], by_name["amount"]["precision"]) == ("DECIMAL", 10)
    foreign = [c for c in orders["tableConstraints"] if c["constraintType"] == "FOREIGN_KEY"]
    assert foreign == [
        {
            "constraintType": "FOREIGN_KEY",
            "columns": ["customer_id"],
            "referredColumns": [f"{schema}.customers.id"],
            "relationshipType": "MANY_TO_ONE",
        }
    ]
    assert api.get(f"/tables/name/{schema}.paid_orders").status_code == 404

    config["source"]["sourceConfig"]["config"].pop("tableFilterPattern")
    again = ok(ingest(config))
    assert summary_row(again, "Tables") == ["1", "0", "2", "0", "0"]
    view = table(api, f"{schema}.paid_orders")
    assert view["tableType"] == "View"
    # MariaDB rewrites a view's text (quoted, qualified names), so the test looks for its parts.
    definition = view["schemaDefinition"].lower()
    assert "select" in definition
    assert "status" in definition
    assert "paid" in definition
