"""The search benchmark writes its catalogs through the storage layer directly, cloning one table
made by the API: what it writes must be what the catalog writes, or its figures measure another
catalog (and a storage change that drops a function it calls fails ``make bench`` 35 minutes in,
as a change to versions once did)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx
from bench import search as search_bench
from bench._harness import tessera_server

from tests.integration.search_counts import assert_counts_exact


def test_the_search_benchmarks_catalog_is_one_the_catalog_could_have_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    with tessera_server(url) as server:
        search_bench.build(server, url, 1_000, random.Random(7))
        assert_counts_exact(url)
        with httpx.Client(base_url=server.base, timeout=30) as http:
            table = http.get(f"/api/v1/tables/name/{search_bench.DATABASE}.schema_000.table_000500")
            assert table.status_code == 200, table.text
            assert table.json()["version"] == 0.1
            versions = http.get(f"/api/v1/tables/{table.json()['id']}/versions").json()
            assert [json.loads(v)["version"] for v in versions["versions"]] == [0.1]

            def names(**params: str) -> list[str]:
                body = http.get(
                    "/api/v1/search/query", params={"index": "table_search_index", **params}
                ).json()
                return sorted(hit["_source"]["name"] for hit in body["hits"]["hits"])

            # The benchmark's own families find what they look for.
            assert names(q="fullyQualifiedName:*.table_000500") == ["table_000500"]
            wildcard = f"fullyQualifiedName:{search_bench.SERVICE}.*.table_000500"
            assert names(q=wildcard) == ["table_000500"]
            late = {"query": {"term": {"databaseSchema.name": "s"}}}
            found = names(q="*", size="200", query_filter=json.dumps(late))
            assert len(found) == search_bench.LATE_TABLES
