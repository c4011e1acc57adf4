"""Lineage walks and profile time-series reads against a real ``tessera serve``.

Lineage: a catalog of tables joined by 100,000 random lineage edges (each table feeds a few
others), written through ``PUT /api/v1/lineage/bulk``; then ``GET /api/v1/lineage/table/{id}``
three levels up and three down (and one each way) from random tables. A walk is one query per
level for the whole frontier, so its cost follows the size of the answer, not of the graph.

Profiles: a year of daily table profiles (with column and system profiles) for a few tables,
written with ``PUT /tables/{id}/tableProfile``; then a 30-day and a 365-day window of
``/tableProfile``, 30 days of one ``/columnProfile``, and ``GET /tables/{id}?fields=profile``.

    python -m bench lineage_profiles                  # 20k tables, 100k edges, 20 x 365 profiles
    python -m bench lineage_profiles --quick          # 2k tables, 10k edges, 5 x 90 profiles
    python -m bench lineage_profiles --backends sqlite,postgresql --no-docs

Each measured series runs in rounds; the section reports the median of all requests, p90, p99,
and the spread of the per-round medians (lowest - highest). It rewrites its section of
docs/benchmarks.md unless ``--quick`` or ``--no-docs``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from bench._harness import (
    Sample,
    client,
    load_average,
    log,
    machine,
    markdown_table,
    scratch_database,
    stoppable,
    tessera_server,
    time_requests,
    write_doc_section,
)

HEADING = "## Lineage walks and profile time series"
SERVICE = "lineage_bench"
SCHEMA_SIZE = 1_000
DAY_MS = 86_400_000
T0 = 1_735_689_600_000  # 2025-01-01T00:00:00Z


@dataclass
class Series:
    name: str
    rounds: list[Sample] = field(default_factory=list)

    def row(self) -> list[object]:
        merged = Sample()
        for sample in self.rounds:
            merged.merge(sample)
        medians = [sample.percentile_ms(50) for sample in self.rounds]
        return [
            self.name,
            len(merged.latencies_ns),
            merged.percentile_ms(50),
            merged.percentile_ms(90),
            merged.percentile_ms(99),
            f"{min(medians):.2f} - {max(medians):.2f}",
            merged.errors,
        ]


def _ok(response: httpx.Response) -> None:
    if response.status_code >= 300:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:300]}"
        )


def seed_tables(http: httpx.Client, tables: int) -> list[str]:
    _ok(http.put("/api/v1/services/databaseServices", json={"name": SERVICE, "serviceType": "SQLite"}))
    _ok(http.put("/api/v1/databases", json={"name": "db", "service": SERVICE}))
    ids: list[str] = []
    for first in range(0, tables, SCHEMA_SIZE):
        schema = f"s{first // SCHEMA_SIZE:03d}"
        _ok(http.put("/api/v1/databaseSchemas", json={"name": schema, "database": f"{SERVICE}.db"}))
        for start in range(first, min(first + SCHEMA_SIZE, tables), 250):
            rows = [
                {
                    "name": f"t{n:06d}",
                    "databaseSchema": f"{SERVICE}.db.{schema}",
                    "columns": [{"name": f"c{c}", "dataType": "INT"} for c in range(5)],
                }
                for n in range(start, min(start + 250, first + SCHEMA_SIZE, tables))
            ]
            _ok(http.put("/api/v1/tables/bulk", json=rows))
        page = http.get(
            "/api/v1/tables", params={"databaseSchema": f"{SERVICE}.db.{schema}", "limit": SCHEMA_SIZE}
        )
        _ok(page)
        ids += [row["id"] for row in page.json()["data"]]
    return ids


def seed_edges(http: httpx.Client, ids: Sequence[str], edges: int, rng: random.Random) -> float:
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < edges:
        a, b = rng.randrange(len(ids)), rng.randrange(len(ids))
        if a != b:
            pairs.add((a, b))
    ordered = sorted(pairs)
    started = time.monotonic()
    for start in range(0, len(ordered), 1_000):
        batch = [
            {
                "edge": {
                    "fromEntity": {"id": ids[a], "type": "table"},
                    "toEntity": {"id": ids[b], "type": "table"},
                    "lineageDetails": {
                        "source": "QueryLineage",
                        "sqlQuery": f"insert into t{b} select * from t{a}",
                    },
                }
            }
            for a, b in ordered[start : start + 1_000]
        ]
        _ok(http.put("/api/v1/lineage/bulk", json=batch))
    return len(ordered) / (time.monotonic() - started)


def seed_profiles(http: httpx.Client, ids: Sequence[str], days: int) -> float:
    started = time.monotonic()
    for table_id in ids:
        for day in range(days):
            at = T0 + day * DAY_MS
            body = {
                "tableProfile": {"timestamp": at, "rowCount": 1_000 + day, "columnCount": 5},
                "columnProfile": [
                    {"name": f"c{c}", "timestamp": at, "nullCount": day % 7, "min": 0, "max": day}
                    for c in range(5)
                ],
                "systemProfile": [{"timestamp": at, "operation": "INSERT", "rowsAffected": day}],
            }
            _ok(http.put(f"/api/v1/tables/{table_id}/tableProfile", json=body))
    return len(ids) * days / (time.monotonic() - started)


def run(
    backend: str, *, tables: int, edges: int, profiled: int, days: int, requests: int, rounds: int
) -> dict[str, object]:
    rng = random.Random(14)
    with scratch_database(backend) as url, tessera_server(url) as server, client(server.base) as http:
        log(f"{backend}: {tables:,} tables")
        ids = seed_tables(http, tables)
        log(f"{backend}: {edges:,} lineage edges")
        edge_rate = seed_edges(http, ids, edges, rng)
        log(f"{backend}: {profiled} tables x {days} days of profiles")
        profile_rate = seed_profiles(http, ids[:profiled], days)
        fqns = [f"{SERVICE}.db.s000.t{n:06d}" for n in range(min(profiled, SCHEMA_SIZE))]
        month = f"startTs={T0 + (days - 30) * DAY_MS}&endTs={T0 + days * DAY_MS}"
        series = {
            "lineage, 3 up + 3 down": lambda: [
                f"/api/v1/lineage/table/{rng.choice(ids)}?upstreamDepth=3&downstreamDepth=3"
                for _ in range(requests)
            ],
            "lineage, 1 up + 1 down": lambda: [
                f"/api/v1/lineage/table/{rng.choice(ids)}?upstreamDepth=1&downstreamDepth=1"
                for _ in range(requests)
            ],
            "tableProfile, 30 days": lambda: [
                f"/api/v1/tables/{fqn}/tableProfile?{month}" for fqn in rng.choices(fqns, k=requests)
            ],
            f"tableProfile, {days} days (limit 100)": lambda: [
                f"/api/v1/tables/{fqn}/tableProfile?startTs={T0}&endTs={T0 + days * DAY_MS}"
                for fqn in rng.choices(fqns, k=requests)
            ],
            "columnProfile, 30 days": lambda: [
                f"/api/v1/tables/{fqn}.c3/columnProfile?{month}" for fqn in rng.choices(fqns, k=requests)
            ],
            "table with fields=profile": lambda: [
                f"/api/v1/tables/{table_id}?fields=profile"
                for table_id in rng.choices(ids[:profiled], k=requests)
            ],
        }
        measured = {name: Series(name) for name in series}
        nodes: list[int] = []
        for path in series["lineage, 3 up + 3 down"]()[:50]:
            body = http.get(path).json()
            nodes.append(len(body["nodes"]))
        for _ in range(rounds):
            for name, paths in series.items():
                measured[name].rounds.append(time_requests(http, paths(), warmup=10))
        return {
            "backend": backend,
            "edge_rate": edge_rate,
            "profile_rate": profile_rate,
            "nodes": statistics.median(nodes),
            "rows": [m.row() for m in measured.values()],
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench lineage_profiles")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--no-docs", action="store_true")
    for name in ("tables", "edges", "profiled", "days"):
        parser.add_argument(f"--{name}", type=int, default=None)
    args = parser.parse_args(argv)
    size = (
        {"tables": 2_000, "edges": 10_000, "profiled": 5, "days": 90, "requests": 100, "rounds": 2}
        if args.quick
        else {"tables": 20_000, "edges": 100_000, "profiled": 20, "days": 365, "requests": 300, "rounds": 3}
    )
    for name in ("tables", "edges", "profiled", "days"):
        if getattr(args, name) is not None:
            size[name] = getattr(args, name)
    results = []
    with stoppable():
        for backend in args.backends.split(","):
            results.append(run(backend, **size))
    headers = ["series", "requests", "p50 ms", "p90 ms", "p99 ms", "round medians ms", "errors"]
    parts = [
        HEADING,
        "",
        "`python -m bench lineage_profiles` (20,000 tables, 100,000 random lineage edges, 20 tables x 365 "
        "days of profiles; about 10 minutes); `--quick` (2,000 tables, 10,000 edges, 5 x 90 days); "
        "`--backends sqlite,postgresql`, `--tables`, `--edges`, `--profiled`, `--days`, `--no-docs`. "
        f"This run: `python -m bench lineage_profiles {' '.join(argv if argv is not None else [])}`.",
        "",
        "A real `tessera serve` (authentication off) on a scratch database. Lineage edges are random "
        "pairs of tables (each table feeds five others on average) written with `PUT /api/v1/lineage/bulk` "
        "(1,000 per request); a walk reads one level per query for the whole frontier. Profiles: one "
        "`PUT /tables/{id}/tableProfile` per table and day, each with 5 column profiles and a system "
        "profile. Reads: one client, one keep-alive connection, random tables; each series in rounds, "
        "reported as p50/p90/p99 of all its requests and the lowest and highest median of a round.",
        "",
    ]
    for result in results:
        parts += [
            f"### {result['backend']} ({size['tables']:,} tables, {size['edges']:,} edges, "
            f"{size['profiled']} tables x {size['days']} days of profiles)",
            "",
            f"Edges written: {result['edge_rate']:,.0f}/s; profiles written: {result['profile_rate']:,.0f}/s "
            f"(one request each); a 3+3 walk returned a median of {result['nodes']} nodes.",
            "",
            markdown_table(headers, result["rows"]),  # type: ignore[arg-type]
            "",
        ]
    info = machine()
    parts.append(
        f"Machine: {info.get('cpu', '?')}, load average {load_average()}, commit {info.get('commit', '?')}."
    )
    text = "\n".join(parts)
    print(text)
    if not args.quick and not args.no_docs:
        write_doc_section(HEADING, text)
    return 0
