"""Rules of lineage and table data that need no server: what the view parser traces, and what
PII masking hides."""

from __future__ import annotations

from tessera.ingest import lineage
from tessera.ingest.sources.base import ColumnMeta, TableMeta
from tessera.ingest.types import MappedType
from tessera.tabledata.service import MASKED, mask

TEXT = MappedType(data_type="VARCHAR", display="text")


def meta(name: str, *columns: str, schema: str = "public", definition: str | None = None) -> TableMeta:
    return TableMeta(
        schema=schema,
        name=name,
        kind="view" if definition else "table",
        columns=tuple(ColumnMeta(name=column, type=TEXT) for column in columns),
        view_definition=definition,
    )


DESCRIBED = {
    ("public", "orders"): meta("orders", "id", "amount", "customer_id"),
    ("crm", "customers"): meta("customers", "id", "email", schema="crm"),
}


def test_a_postgres_view_body_reads_tables_of_other_schemas_and_their_columns() -> None:
    view = meta(
        "enriched",
        "id",
        "email",
        "double_amount",
        definition=(
            "SELECT o.id, c.email, o.amount * 2 AS double_amount "
            "FROM orders o JOIN crm.customers c ON c.id = o.customer_id"
        ),
    )
    reads = lineage.parse_view(view, "Postgres", DESCRIBED)
    assert reads.tables == (("crm", "customers"), ("public", "orders"))
    assert reads.columns == {
        "id": ((("public", "orders"), "id"),),
        "email": ((("crm", "customers"), "email"),),
        "double_amount": ((("public", "orders"), "amount"),),
    }


def test_a_cte_is_followed_to_its_table_and_is_no_table_itself() -> None:
    view = meta(
        "big",
        "customer_id",
        definition=(
            "WITH t AS (SELECT customer_id, amount FROM orders) SELECT customer_id FROM t WHERE amount > 5"
        ),
    )
    reads = lineage.parse_view(view, "Mysql", DESCRIBED)
    assert reads.tables == (("public", "orders"),)
    assert reads.columns == {"customer_id": ((("public", "orders"), "customer_id"),)}


def test_a_constant_column_has_no_origin_and_is_left_out() -> None:
    view = meta("flags", "id", "one", definition="SELECT id, 1 AS one FROM orders")
    reads = lineage.parse_view(view, "Postgres", DESCRIBED)
    assert set(reads.columns) == {"id"}


def test_requests_leave_out_tables_the_catalog_does_not_have() -> None:
    view = meta("v", "id", definition="SELECT o.id FROM orders o JOIN elsewhere e ON e.id = o.id")
    reads = lineage.parse_view(view, "Postgres", DESCRIBED)
    catalog = {
        ("public", "v"): lineage.CatalogTable("v-id", "s.d.public.v", {"id": "s.d.public.v.id"}),
        ("public", "orders"): lineage.CatalogTable(
            "o-id", "s.d.public.orders", {"id": "s.d.public.orders.id"}
        ),
    }
    (request,) = lineage.requests([reads], catalog)
    assert request["edge"]["fromEntity"]["id"] == "o-id"
    assert request["edge"]["lineageDetails"]["columnsLineage"] == [
        {"fromColumns": ["s.d.public.orders.id"], "toColumn": "s.d.public.v.id"}
    ]


PII = [{"tagFQN": "PII.Sensitive"}]


def test_masking_hides_pii_columns_or_every_column_of_a_pii_table() -> None:
    sample = {"columns": ["id", "email"], "rows": [[1, "a@example.com"], [2, None]]}
    table = {"columns": [{"name": "id"}, {"name": "email", "tags": PII}]}
    assert mask(table, sample)["rows"] == [[1, MASKED], [2, MASKED]]
    assert sample["rows"][0] == [1, "a@example.com"]  # the stored sample is left alone
    assert mask({**table, "tags": PII}, sample)["rows"] == [[MASKED, MASKED], [MASKED, MASKED]]
    other = {"columns": [{"name": "id"}, {"name": "email", "tags": [{"tagFQN": "PII.NonSensitive"}]}]}
    assert mask(other, sample)["rows"] == sample["rows"]
