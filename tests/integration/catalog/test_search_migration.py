"""Migration 0013 indexes the documents already there: a catalog written before it is searched by
its fields and sort keys after it, and it goes down and up again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings, load_settings
from tessera.storage import migrate
from tessera.storage.db import create_engine
from tests.integration.catalog.helpers import make_hierarchy, ok, put_table
from tests.integration.conftest import _create_server_database, _drop_server_database
from tests.integration.search_counts import assert_counts_exact


@dataclass(frozen=True)
class Catalog:
    settings: Settings
    engine: sa.Engine


@pytest.fixture
def old(backend: str, tmp_path: Path) -> Iterator[Catalog]:
    """A catalog of its own (not the session's), to take down and up again."""
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else _create_server_database(backend)
    settings = load_settings(
        environ={
            "TESSERA_HOME": str(tmp_path / "home"),
            "TESSERA_DATABASE_URL": url,
            "AUTHENTICATION_PROVIDER": "no-auth",
        }
    )
    engine = create_engine(url)
    try:
        yield Catalog(settings, engine)
    finally:
        engine.dispose()
        if backend != "sqlite":
            _drop_server_database(backend, url)


def test_migration_0013_indexes_existing_documents(old: Catalog) -> None:
    settings, engine = old.settings, old.engine
    tier = {"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}
    with TestClient(create_app(settings)) as client:
        make_hierarchy(client)
        ok(put_table(client, "orders", "id", tags=[tier]), 201)
    # Back to before 0013, as a catalog written by the previous release would be.
    migrate.downgrade(engine, "0007")
    with engine.begin() as conn:
        assert "search_term" not in sa.inspect(conn).get_table_names()
    migrate.upgrade(engine)
    with TestClient(create_app(settings)) as client:
        body = ok(
            client.get(
                "/api/v1/search/query",
                params={
                    "q": "orders",
                    "query_filter": '{"term": {"tier.tagFQN": "Tier.Tier1"}}',
                    "sort_field": "fullyQualifiedName",
                },
            )
        )
        hits = body["hits"]["hits"]
        assert [hit["_source"]["name"] for hit in hits] == ["orders"]
        assert hits[0]["sort"][0] == hits[0]["_source"]["fullyQualifiedName"]


def test_migration_0014_counts_the_terms_already_there(old: Catalog) -> None:
    settings, engine = old.settings, old.engine
    tier = {"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}
    with TestClient(create_app(settings)) as client:
        make_hierarchy(client)
        ok(put_table(client, "orders", "id", tags=[tier]), 201)
        ok(put_table(client, "items", "id", tags=[tier]), 201)
        gone = ok(put_table(client, "gone", "id", tags=[tier]), 201)
        ok(client.delete(f"/api/v1/tables/{gone['id']}"))
    # Back to before 0014, as a catalog written by the previous release would be.
    migrate.downgrade(engine, "0013")
    with engine.begin() as conn:
        assert "search_term_count" not in sa.inspect(conn).get_table_names()
    migrate.upgrade(engine)
    assert_counts_exact(engine)
    with TestClient(create_app(settings)) as client:
        aggs = '{"aggs": {"tier": {"terms": {"field": "tier.tagFQN"}}}}'
        body = ok(client.get("/api/v1/search/query", params={"q": "*", "size": 0, "query_filter": aggs}))
        buckets = body["aggregations"]["sterms#tier"]["buckets"]
        assert buckets == [{"key": "Tier.Tier1", "doc_count": 2}]


def test_migration_0015_drops_the_kind_ordered_index_and_back(old: Catalog) -> None:
    engine = old.engine

    def indexes() -> set[str]:
        with engine.connect() as conn:
            return {index["name"] or "" for index in sa.inspect(conn).get_indexes("search_term")}

    migrate.upgrade(engine)
    assert "ix_search_term_facet" not in indexes()
    migrate.downgrade(engine, "0014")
    assert "ix_search_term_facet" in indexes()
    migrate.upgrade(engine)
    assert "ix_search_term_facet" not in indexes()


def test_migration_0017_gives_inherited_fields_back_as_rows_on_the_way_down(old: Catalog) -> None:
    settings, engine = old.settings, old.engine

    def schema_rows() -> list[str]:
        with engine.connect() as conn:
            query = "SELECT value FROM search_term WHERE field = 'databaseSchema.name' ORDER BY value"
            return list(conn.exec_driver_sql(query).scalars())

    with TestClient(create_app(settings)) as client:
        make_hierarchy(client)
        ok(put_table(client, "orders", "id"), 201)
        ok(put_table(client, "items", "id"), 201)
    assert schema_rows() == []
    migrate.downgrade(engine, "0016")
    with engine.connect() as conn:
        columns = {column["name"] for column in sa.inspect(conn).get_columns("search_document")}
    assert "inherited" not in columns
    assert schema_rows() == ["main", "main"]
    # Up again, the tables keep their rows (inherited NULL): found once, counted once.
    migrate.upgrade(engine)
    assert_counts_exact(engine)
    with TestClient(create_app(settings)) as client:
        query = '{"query": {"term": {"databaseSchema.name": "main"}}}'
        body = ok(client.get("/api/v1/search/query", params={"q": "*", "query_filter": query}))
        assert sorted(hit["_source"]["name"] for hit in body["hits"]["hits"]) == ["items", "orders"]
        aggs = '{"aggs": {"schemas": {"terms": {"field": "databaseSchema.name"}}}}'
        body = ok(
            client.get(
                "/api/v1/search/query", params={"q": "orders OR items", "size": 0, "query_filter": aggs}
            )
        )
        assert body["aggregations"]["sterms#schemas"]["buckets"] == [{"key": "main", "doc_count": 2}]


def test_migration_0018_turns_name_and_fqn_rows_into_tokens_and_back(backend: str, old: Catalog) -> None:
    settings, engine = old.settings, old.engine

    def name_rows() -> list[str]:
        with engine.connect() as conn:
            query = "SELECT value FROM search_term WHERE field = 'name.keyword' AND entity_type = 'table'"
            return sorted(conn.exec_driver_sql(query).scalars())

    def found(client: TestClient, query: str) -> list[str]:
        body = ok(client.get("/api/v1/search/query", params={"q": "*", "query_filter": query}))
        return sorted(hit["_source"]["name"] for hit in body["hits"]["hits"])

    with TestClient(create_app(settings)) as client:
        make_hierarchy(client)
        ok(put_table(client, "Orders", "id"), 201)
        ok(put_table(client, "items", "id"), 201)
    tokens = backend == "sqlite"
    assert name_rows() == ([] if tokens else ["Orders", "items"])
    # Down to 0017, as the previous release keeps them: rows, on every backend.
    migrate.downgrade(engine, "0017")
    assert name_rows() == ["Orders", "items"]
    migrate.upgrade(engine)
    assert name_rows() == ([] if tokens else ["Orders", "items"])
    assert_counts_exact(engine)
    with TestClient(create_app(settings)) as client:
        assert found(client, '{"query": {"term": {"name.keyword": "Orders"}}}') == ["Orders"]
        assert found(client, '{"query": {"wildcard": {"fullyQualifiedName": "*.orders"}}}') == ["Orders"]
        assert found(client, '{"query": {"term": {"name": "ITEMS"}}}') == ["items"]
