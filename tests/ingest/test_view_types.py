"""A SQLite view's computed columns get real types, inferred from its definition (SQLite declares
types only for plain columns of tables), in one more query per schema and only when needed."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import yaml

from tessera.ingest.loading import parse_workflow
from tessera.ingest.sources import open_source, view_types
from tests.ingest.conftest import sqlite_workflow
from tests.ingest.test_bulk_reading import read_schema

DDL = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, placed_at TIMESTAMP, status VARCHAR(16));
CREATE TABLE lines (order_id INTEGER, quantity INTEGER, price NUMERIC(10,2));
CREATE VIEW revenue AS
    SELECT date(o.placed_at) AS day, COUNT(DISTINCT o.id) AS orders, SUM(l.quantity * l.price) AS total,
           o.status, 'x' || o.status AS label, NULL AS odd
    FROM orders o JOIN lines l ON l.order_id = o.id GROUP BY date(o.placed_at), o.status;
CREATE VIEW plain AS SELECT id, status FROM orders;
"""


def test_computed_view_columns_get_the_types_their_expressions_have(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(DDL)
    config = sqlite_workflow("svc", path, "http://127.0.0.1:1")
    source = open_source(parse_workflow(yaml.safe_dump(config)).workflow.source)
    described, _ = read_schema(source, "main")
    by_name = {table.name: table for table in described}
    types = {c.name: (c.type.data_type, c.type.display) for c in by_name["revenue"].columns}
    assert types == {
        "day": ("DATE", "date"),
        "orders": ("BIGINT", "bigint"),
        "total": ("DECIMAL", "decimal(10, 2)"),
        "status": ("VARCHAR", "varchar(16)"),  # declared by SQLite itself
        "label": ("VARCHAR", "varchar"),
        "odd": ("UNKNOWN", "unknown"),  # nobody can tell the type of a NULL
    }
    assert [c.type.data_type for c in by_name["plain"].columns] == ["INT", "VARCHAR"]


def _statements(tmp_path: Path, ddl: str) -> int:
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(ddl)
    config = sqlite_workflow("svc", path, "http://127.0.0.1:1")
    _, statements = read_schema(open_source(parse_workflow(yaml.safe_dump(config)).workflow.source), "main")
    return statements


def test_inferring_costs_no_query_when_the_tables_read_are_described_too(tmp_path: Path) -> None:
    tables = DDL.split("CREATE VIEW revenue")[0]
    plain = "CREATE VIEW plain AS SELECT id, status FROM orders;"
    assert _statements(tmp_path, tables) == _statements(tmp_path, tables + plain)
    # A run describes the whole schema: the tables the view reads are already at hand. (Describing
    # the view alone looks them up in one more query.)
    assert _statements(tmp_path, DDL) == _statements(tmp_path, tables + plain)


def test_unparseable_definitions_leave_the_columns_unknown() -> None:
    assert view_types.infer("CREATE VIEW v AS SELEC nonsense", {"t": {"a": "INTEGER"}}) == {}
    assert view_types.tables_read("not sql at all (") == set()
    assert view_types.infer("CREATE VIEW v AS SELECT COUNT(*) AS n FROM t", {"t": {}}) == {"n": "BIGINT"}
