"""``tessera ingest`` derives lineage from view definitions: an edge from every table a view
reads, with the columns each view column comes from where the parser can tell."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from typer.testing import Result

from tessera.ingest import lineage
from tessera.ingest.sources.base import TableMeta
from tests.ingest.conftest import sqlite_workflow

DDL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, region TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount NUMERIC, status TEXT);
CREATE VIEW customer_totals AS
    SELECT c.id AS customer, c.email, SUM(o.amount) * 1.2 AS gross
    FROM customers AS c JOIN orders AS o ON o.customer_id = c.id
    WHERE o.status = 'paid'
    GROUP BY c.id, c.email;
CREATE VIEW all_orders AS SELECT * FROM orders;
CREATE VIEW big_customers AS
    WITH big AS (SELECT customer, gross FROM customer_totals WHERE gross > 100)
    SELECT customer FROM big;
"""


def test_a_views_lineage_arrives_with_its_columns(
    ingest: Callable[..., Result], api: httpx.Client, catalog: str, tmp_path: Path, service_name: str
) -> None:
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(DDL)
    result = ingest(sqlite_workflow(service_name, db, catalog))
    assert result.exit_code == 0, result.output
    schema = f"{service_name}.testdb.main"

    def lineage_of(name: str) -> dict[str, Any]:
        response = api.get(f"/lineage/table/name/{schema}.{name}", params={"upstreamDepth": 2})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    totals = lineage_of("customer_totals")
    ids = {node["id"]: node["name"] for node in totals["nodes"]}
    edges = {ids[e["fromEntity"]]: e["lineageDetails"] for e in totals["upstreamEdges"]}
    assert set(edges) == {"customers", "orders"}
    assert edges["orders"]["source"] == "ViewLineage"
    assert "SUM(o.amount)" in edges["orders"]["sqlQuery"]
    assert edges["orders"]["columnsLineage"] == [
        {"fromColumns": [f"{schema}.orders.amount"], "toColumn": f"{schema}.customer_totals.gross"}
    ]
    assert sorted(
        (c["toColumn"].rsplit(".", 1)[1], c["fromColumns"]) for c in edges["customers"]["columnsLineage"]
    ) == [
        ("customer", [f"{schema}.customers.id"]),
        ("email", [f"{schema}.customers.email"]),
    ]
    star = lineage_of("all_orders")["upstreamEdges"][0]["lineageDetails"]["columnsLineage"]
    assert {c["toColumn"].rsplit(".", 1)[1] for c in star} == {"id", "customer_id", "amount", "status"}
    # A view over a view, through a CTE: two levels up reach the tables.
    chained = lineage_of("big_customers")
    assert {node["name"] for node in chained["nodes"]} == {"customer_totals", "customers", "orders"}
    (direct,) = [e for e in chained["upstreamEdges"] if e["toEntity"] == chained["entity"]["id"]]
    assert direct["lineageDetails"]["columnsLineage"] == [
        {
            "fromColumns": [f"{schema}.customer_totals.customer"],
            "toColumn": f"{schema}.big_customers.customer",
        }
    ]


def test_a_definition_that_does_not_parse_is_refused_by_the_parser() -> None:
    broken = TableMeta(
        schema="main",
        name="v",
        kind="view",
        columns=(),
        view_definition="CREATE VIEW v AS SELEC a FRM",
    )
    try:
        lineage.parse_view(broken, "SQLite", {})
    except lineage.SqlglotError:
        return
    raise AssertionError("a broken definition parsed")
