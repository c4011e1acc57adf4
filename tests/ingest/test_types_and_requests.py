"""Type mapping and the create requests, checked against OpenMetadata's own schemas."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from tessera import contract
from tessera.ingest import requests as om
from tessera.ingest.loading import parse_workflow
from tessera.ingest.sources.base import ColumnMeta, ForeignKeyMeta, TableMeta
from tessera.ingest.types import check_mapping, map_type
from tests.ingest.test_workflow import AZURE, SQLITE


def test_every_mapped_type_is_an_openmetadata_data_type() -> None:
    assert check_mapping() == []


@pytest.mark.parametrize(
    ("sql_type", "dialect", "expected"),
    [
        (sa.VARCHAR(64), None, ("VARCHAR", "varchar(64)", 64, None, None)),
        (sa.CHAR(), None, ("CHAR", "char", 1, None, None)),
        (sa.NUMERIC(10, 2), None, ("NUMERIC", "numeric(10, 2)", None, 10, 2)),
        (sa.Integer(), None, ("INT", "integer", None, None, None)),
        (sa.types.NullType(), None, ("UNKNOWN", "unknown", None, None, None)),
        (
            postgresql.TIMESTAMP(timezone=True),
            postgresql.dialect(),
            ("TIMESTAMP", "timestamp with time zone", None, None, None),
        ),
        (postgresql.JSONB(), postgresql.dialect(), ("JSON", "jsonb", None, None, None)),
        (postgresql.UUID(), postgresql.dialect(), ("UUID", "uuid", None, None, None)),
        (
            postgresql.DOUBLE_PRECISION(),
            postgresql.dialect(),
            ("DOUBLE", "double precision", None, None, None),
        ),
        (
            mysql.INTEGER(display_width=11, unsigned=True),
            mysql.dialect(),
            ("INT", "integer(11) unsigned", None, None, None),
        ),
        (
            mysql.VARCHAR(20, collation="utf8mb4_unicode_ci"),
            mysql.dialect(),
            ("VARCHAR", "varchar(20)", 20, None, None),
        ),
        (mysql.TINYINT(1), mysql.dialect(), ("TINYINT", "tinyint(1)", None, None, None)),
        (mysql.LONGTEXT(), mysql.dialect(), ("TEXT", "longtext", None, None, None)),
        (mysql.ENUM("a", "b"), mysql.dialect(), ("ENUM", "enum('a','b')", None, None, None)),
    ],
)
def test_sql_types_map_to_openmetadata(
    sql_type: object, dialect: sa.Dialect | None, expected: tuple[object, ...]
) -> None:
    mapped = map_type(sql_type, dialect)
    assert (mapped.data_type, mapped.display, mapped.length, mapped.precision, mapped.scale) == expected


def test_postgres_array_carries_its_item_type() -> None:
    mapped = map_type(postgresql.ARRAY(sa.Integer()), postgresql.dialect())
    assert (mapped.data_type, mapped.array_type) == ("ARRAY", "INT")


def _int(name: str, nullable: bool = True, default: str | None = None) -> ColumnMeta:
    return ColumnMeta(name, map_type(sa.Integer()), nullable=nullable, default=default)


CUSTOMERS = TableMeta(
    schema="main",
    name="customers",
    kind="table",
    columns=(
        _int("id", nullable=False),
        ColumnMeta("email", map_type(sa.VARCHAR(120)), nullable=False, comment="Where we write"),
        _int("score", default="0"),
    ),
    comment="People who buy",
    primary_key=("id",),
    unique=(("email",),),
)
ORDER_ITEMS = TableMeta(
    schema="main",
    name="order_items",
    kind="table",
    columns=(_int("order_id", nullable=False), _int("line", nullable=False), _int("customer_id")),
    primary_key=("order_id", "line"),
    foreign_keys=(ForeignKeyMeta(("customer_id",), "main", "customers", ("id",)),),
)


def builder() -> om.TableRequests:
    made = om.TableRequests("local_sqlite", "testdb", lambda schema, table: ())
    made.remember(CUSTOMERS)
    made.remember(ORDER_ITEMS)
    return made


def test_table_request_matches_openmetadata_client_shape() -> None:
    request = builder().build(CUSTOMERS)
    assert contract.errors("createTable", request) == []
    assert request["databaseSchema"] == "local_sqlite.testdb.main"
    assert request["tableType"] == "Regular"
    assert request["description"] == "People who buy"
    assert request["tableConstraints"] == []
    by_name = {c["name"]: c for c in request["columns"]}
    assert by_name["id"]["constraint"] == "PRIMARY_KEY"
    assert by_name["email"] == {
        "name": "email",
        "dataType": "VARCHAR",
        "dataTypeDisplay": "varchar(120)",
        "dataLength": 120,
        "constraint": "UNIQUE",
        "ordinalPosition": 2,
        "description": "Where we write",
        "fullyQualifiedName": "local_sqlite.testdb.main.customers.email",
    }
    assert by_name["score"]["dataTypeDisplay"] == "integer default 0"
    assert len(request["sourceHash"]) == 32


def test_composite_keys_and_foreign_keys_become_table_constraints() -> None:
    request = builder().build(ORDER_ITEMS)
    assert request["tableConstraints"] == [
        {"constraintType": "PRIMARY_KEY", "columns": ["order_id", "line"]},
        {
            "constraintType": "FOREIGN_KEY",
            "columns": ["customer_id"],
            "referredColumns": ["local_sqlite.testdb.main.customers.id"],
            "relationshipType": "MANY_TO_ONE",
        },
    ]
    assert [c.get("constraint") for c in request["columns"]] == [None, None, "NULL"]


def test_one_to_one_when_both_sides_are_unique_and_unknown_tables_ask_the_source() -> None:
    asked: list[tuple[str, str]] = []

    def keys(schema: str, table: str) -> tuple[tuple[str, ...], ...]:
        asked.append((schema, table))
        return (("id",),)

    made = om.TableRequests("svc", "db", keys)
    profile = TableMeta(
        "other",
        "profiles",
        "table",
        (_int("id", nullable=False),),
        primary_key=("id",),
        foreign_keys=(ForeignKeyMeta(("id",), "main", "customers", ("id",)),),
    )
    request = made.build(profile)
    assert request["tableConstraints"][0]["relationshipType"] == "ONE_TO_ONE"
    assert asked == [("main", "customers")]


def test_source_hash_is_stable_and_changes_with_content() -> None:
    first = builder().build(CUSTOMERS)
    again = builder().build(CUSTOMERS)
    assert first["sourceHash"] == again["sourceHash"]
    changed = TableMeta(**{**CUSTOMERS.__dict__, "comment": "Other words"})
    assert builder().build(changed)["sourceHash"] != first["sourceHash"]


def test_view_carries_its_definition_and_names_are_quoted_and_encoded() -> None:
    view = TableMeta("main", "v.big", "view", (_int("a::b"),), view_definition="CREATE VIEW x AS SELECT 1")
    request = builder().build(view)
    assert request["tableType"] == "View"
    assert request["schemaDefinition"] == "CREATE VIEW x AS SELECT 1"
    assert request["name"] == "v.big"
    assert (
        request["columns"][0]["fullyQualifiedName"]
        == 'local_sqlite.testdb.main."v.big".a__reserved__colon__b'
    )


def test_parent_requests_and_service_connection() -> None:
    assert om.database_request("svc", "db")["service"] == "svc"
    assert om.schema_request("svc", "db", "main")["database"] == "svc.db"
    sqlite = parse_workflow(SQLITE, environ={"JWT": "t"}).workflow.source
    assert om.service_request(sqlite) == {
        "name": "local_sqlite",
        "serviceType": "SQLite",
        "connection": {"config": {"type": "SQLite", "database": "testdb", "databaseMode": "/tmp/app.db"}},
    }
    postgres = parse_workflow(AZURE, environ={"PGPASSWORD": "pw", "AZURE_SECRET": "s"}).workflow.source
    config = om.service_request(postgres)["connection"]["config"]
    assert config == {
        "type": "Postgres",
        "username": "reader",
        "hostPort": "db:5432",
        "authType": {"password": "pw"},
        "database": "shop",
    }


def test_invalid_names_fail_the_one_table() -> None:
    bad = TableMeta("main", 'has"quote', "table", (_int("a"),))
    with pytest.raises(om.InvalidRequest, match="double quote"):
        builder().build(bad)
