"""A source reads a schema in a fixed number of catalog queries, and a rerun where nothing changed
writes nothing to the catalog.

Statements are counted with a SQLAlchemy event listener on every engine; the catalog's side is
recorded by an httpx transport that passes every request on to the real server.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml

from tessera.ingest import pipeline
from tessera.ingest.auth import token_provider
from tessera.ingest.client import CatalogClient
from tessera.ingest.loading import parse_workflow
from tessera.ingest.result import RunResult
from tessera.ingest.sources import open_source
from tessera.ingest.sources.base import Source, TableMeta
from tests.ingest.conftest import MYSQL_ADMIN, PG_ADMIN, _admin_engine, sqlite_workflow, workflow


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)


def read_schema(source: Source, schema: str) -> tuple[list[TableMeta], int]:
    """Every table and view of ``schema`` described (digests first, as a run does), and the
    number of statements it took once connected."""
    source.test_connection()
    with statements() as seen:
        listed = source.table_names(schema)
        source.digests(schema, listed)
        described = list(source.describe(schema, listed))
    return described, len(seen)


def chain_ddl(tables: int) -> list[str]:
    """``tables`` tables, each with a unique column and a foreign key to the one before, and a
    view over every tenth."""
    ddl = []
    for i in range(tables):
        refs = f", prev INTEGER, FOREIGN KEY (prev) REFERENCES t{i - 1:03d}(id)" if i else ""
        ddl.append(f"CREATE TABLE t{i:03d} (id INTEGER PRIMARY KEY, code VARCHAR(20) UNIQUE{refs})")
        if i % 10 == 0:
            ddl.append(f"CREATE VIEW v{i:03d} AS SELECT id, code FROM t{i:03d}")
    return ddl


def sqlite_source(path: Path, tables: int) -> Source:
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(";\n".join(chain_ddl(tables)))
    config = sqlite_workflow("svc", path, "http://127.0.0.1:1")
    return open_source(parse_workflow(yaml.safe_dump(config)).workflow.source)


def check_chain(described: list[TableMeta], tables: int) -> None:
    by_name = {t.name: t for t in described}
    assert len(by_name) == tables + (tables + 9) // 10
    last = by_name[f"t{tables - 1:03d}"]
    assert last.primary_key == ("id",)
    assert last.unique == (("code",),)
    assert [(fk.columns, fk.referred_table, fk.referred_columns) for fk in last.foreign_keys] == [
        (("prev",), f"t{tables - 2:03d}", ("id",))
    ]
    assert [c.name for c in by_name["v000"].columns] == ["id", "code"]
    assert by_name["v000"].view_definition is not None


def test_sqlite_reads_a_schema_in_the_same_few_queries_however_many_tables(tmp_path: Path) -> None:
    # 600 tables: past the point where the queries stop naming the tables they want.
    few, few_count = read_schema(sqlite_source(tmp_path / "few.db", 12), "main")
    many, many_count = read_schema(sqlite_source(tmp_path / "many.db", 600), "main")
    check_chain(few, 12)
    check_chain(many, 600)
    assert few_count == many_count
    assert many_count <= 8


def test_sqlite_describes_a_few_tables_of_a_large_schema_in_the_same_few_queries(tmp_path: Path) -> None:
    source = sqlite_source(tmp_path / "many.db", 600)
    source.test_connection()
    with statements() as seen:
        described = list(source.describe("main", [("t599", "table"), ("v590", "view")]))
    assert [t.name for t in described] == ["t599", "v590"]
    assert described[0].foreign_keys[0].referred_table == "t598"
    assert len(seen) <= 5


def test_sqlite_digest_changes_with_the_table_and_with_the_keys_it_refers_to(tmp_path: Path) -> None:
    source = sqlite_source(tmp_path / "chain.db", 3)
    listed = [("t000", "table"), ("t001", "table"), ("t002", "table")]
    before = source.digests("main", listed)
    assert set(before) == {"t000", "t001", "t002"}
    source.close()
    with closing(sqlite3.connect(tmp_path / "chain.db")) as conn:
        # t000 gains a column; t001 refers to t000, so its relationship may change too.
        conn.execute("ALTER TABLE t000 ADD COLUMN note TEXT")
        conn.commit()
    after = source.digests("main", listed)
    assert after["t000"] != before["t000"]
    assert after["t001"] != before["t001"]
    assert after["t002"] == before["t002"]


@pytest.fixture
def postgres_schemas() -> Iterator[str]:
    admin = _admin_engine(PG_ADMIN, "postgres", isolation_level="AUTOCOMMIT")
    name = f"tessera_src_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    with engine.begin() as conn:
        for schema, tables in (("few", 3), ("many", 25)):
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}; SET search_path TO {schema}")
            for statement in chain_ddl(tables):
                conn.exec_driver_sql(statement.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
    engine.dispose()
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.mark.postgres
def test_postgres_reads_a_schema_in_the_same_few_queries_however_many_tables(postgres_schemas: str) -> None:
    connection = {"type": "Postgres", "hostPort": "127.0.0.1:5432", "username": "postgres"}
    config = workflow(
        source_type="postgres",
        service="svc",
        connection={**connection, "database": postgres_schemas},
        host_port="http://127.0.0.1:1/api",
    )
    source = open_source(parse_workflow(yaml.safe_dump(config)).workflow.source)
    few, few_count = read_schema(source, "few")
    many, many_count = read_schema(source, "many")
    check_chain(few, 3)
    check_chain(many, 25)
    assert few_count == many_count
    source.close()


@pytest.fixture
def mariadb_schemas() -> Iterator[dict[str, str]]:
    admin = _admin_engine(MYSQL_ADMIN, "mysql")
    names = {label: f"tessera_src_{secrets.token_hex(4)}" for label in ("few", "many")}
    with admin.begin() as conn:
        for label, name in names.items():
            conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
            conn.exec_driver_sql(f"USE `{name}`")
            for statement in chain_ddl(3 if label == "few" else 25):
                conn.exec_driver_sql(statement)
    try:
        yield names
    finally:
        with admin.begin() as conn:
            for name in names.values():
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


@pytest.mark.mysql
def test_mariadb_reads_a_schema_in_the_same_few_queries_however_many_tables(
    mariadb_schemas: dict[str, str],
) -> None:
    counts = {}
    for label, name in mariadb_schemas.items():
        config = workflow(
            source_type="mysql",
            service="svc",
            connection={
                "type": "Mysql",
                "hostPort": "127.0.0.1:3306",
                "username": "root",
                "databaseSchema": name,
            },
            host_port="http://127.0.0.1:1/api",
        )
        source = open_source(parse_workflow(yaml.safe_dump(config)).workflow.source)
        described, counts[label] = read_schema(source, name)
        check_chain(described, 3 if label == "few" else 25)
        source.close()
    assert counts["few"] == counts["many"]


# -- the catalog's side ---------------------------------------------------------------------------


class Recording(httpx.BaseTransport):
    """Passes every request on to the real server, and notes its method and path."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path in self.requests if method != "GET"]


class Progress(pipeline.Quiet):
    """Counts the tables a person watching the run is told are done."""

    def __init__(self) -> None:
        self.tables = 0

    def tables_done(self, count: int) -> None:
        self.tables += count


RunIngest = Callable[..., tuple[RunResult, Recording]]


@pytest.fixture
def run_ingest(catalog: str, sqlite_db: Path, service_name: str) -> RunIngest:
    loaded = parse_workflow(yaml.safe_dump(sqlite_workflow(service_name, sqlite_db, catalog)))

    def run(observer: pipeline.Observer | None = None) -> tuple[RunResult, Recording]:
        workflow_ = loaded.workflow
        recording = Recording()
        source = open_source(workflow_.source)
        client = CatalogClient(workflow_.server, token_provider(workflow_.server), transport=recording)
        try:
            return pipeline.run(workflow_, source, client, observer=observer), recording
        finally:
            client.close()
            source.close()

    return run


def test_a_rerun_where_nothing_changed_writes_nothing(run_ingest: RunIngest) -> None:
    first, recorded = run_ingest()
    assert first.counts["table"].created == 5
    assert ("PUT", "/api/v1/tables/bulk") in recorded.writes()

    progress = Progress()
    again, recorded = run_ingest(progress)
    assert again.counts["table"].unchanged == 5
    assert again.counts["databaseSchema"].unchanged == 1
    assert [write for write in recorded.writes() if "/tables" in write[1]] == []
    # Four tables skipped on their SQLite digest, the view described: each counted once.
    assert progress.tables == 5


def test_a_rerun_sends_the_changed_table_and_marks_the_dropped_one(
    run_ingest: RunIngest, sqlite_db: Path, api: httpx.Client, service_name: str
) -> None:
    run_ingest()
    with closing(sqlite3.connect(sqlite_db)) as conn:
        conn.executescript("ALTER TABLE order_items ADD COLUMN note TEXT; DROP TABLE tmp_scratch;")
    result, recorded = run_ingest()
    tables = result.counts["table"]
    assert (tables.updated, tables.unchanged, tables.deleted) == (1, 3, 1)
    assert recorded.writes().count(("PUT", "/api/v1/tables/bulk")) == 1
    assert ("DELETE", "/api/v1/tables/deleteStale") in recorded.writes()
    items = api.get(f"/tables/name/{service_name}.testdb.main.order_items").json()
    assert [c["name"] for c in items["columns"]][-1] == "note"
