"""Catalog benchmarks: bulk ingest rate, GET-by-name and list latency, deep cursor paging.

For each backend a real ``tessera serve`` process is started on a scratch database and filled
through ``PUT /api/v1/tables/bulk`` (20 columns per table, 1,000 tables per schema). At each
size (10k and 100k tables; ``--quick``: 10k only, fewer requests) it measures:

- bulk ingest: seconds for the first 1,000 tables and the sustained tables/s of the whole load;
- bulk ingest: per load step (to 10k, then from 10k to 100k), the time of the step's first and
  last 1,000 tables, its rate, the latency of its bulk requests and the server's CPU per table;
- GET ``/api/v1/tables/name/{fqn}`` of random existing tables, GET ``/api/v1/tables?limit=10``,
  and the same with ``databaseSchema=`` of a random schema: one client on one connection, in
  blocks (latency, with the spread of the block medians), then wrk (throughput: a C load
  generator, so the figure is the server's and not the client's);
- page 1 against page 1,000 of ``/api/v1/tables?limit=10``, reached by following ``after``
  cursors; the ratio of their median latencies shows whether paging cost grows with depth.

Every figure comes with the server's CPU time per request (or table), from /proc. With two sizes
it also reports the growth of every family from the smaller to the larger.
On PostgreSQL it runs ``VACUUM ANALYZE`` after each load, as autovacuum soon would.

    python -m bench catalog [--quick] [--backends sqlite,postgresql] [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import sqlalchemy as sa

from bench import _wrk
from bench._catalog_report import HEADING, section
from bench._harness import (
    ARTIFACTS,
    Sample,
    Server,
    client,
    load_average,
    log,
    machine,
    measured,
    scratch_database,
    stoppable,
    tessera_server,
    time_requests,
    write_doc_section,
)

SERVICE = "bench_service"
DATABASE = "bench_db"
TABLES_PER_SCHEMA = 1_000
COLUMNS = 20
PAGE_DEPTH = 1_000
PAGE_BLOCK = 30
# Single-client series are timed in this many blocks: the spread of the block medians says how
# much of a difference between two figures the machine's drift alone could make.
BLOCKS = 10
# Tables per block of a load step for the bulk requests' block spread (4 requests of 250).
LOAD_BLOCK = 1_000
_JSON = {"content-type": "application/json"}
_TYPES = ("BIGINT", "VARCHAR", "TIMESTAMP", "BOOLEAN", "DOUBLE", "DATE", "INT", "TEXT")


@dataclass(frozen=True)
class Plan:
    backends: tuple[str, ...]
    sizes: tuple[int, ...]
    batch: int
    requests: int  # single-client requests per series
    connections: int  # wrk's keep-alive connections for the throughput series
    seconds: float  # duration of each throughput series
    page_rounds: int  # alternating blocks of PAGE_BLOCK fetches of page 1 and of page 1,000
    seed: int
    quick: bool
    # Only the default full matrix replaces the figures in docs/benchmarks.md.
    write_docs: bool


@dataclass
class Results:
    machine: dict[str, str]
    command: str
    ingest: list[dict[str, Any]] = field(default_factory=list)
    latency: list[dict[str, Any]] = field(default_factory=list)
    throughput: list[dict[str, Any]] = field(default_factory=list)
    paging: list[dict[str, Any]] = field(default_factory=list)


def schema_fqn(index: int) -> str:
    return f"{SERVICE}.{DATABASE}.schema_{index // TABLES_PER_SCHEMA:03d}"


def table_name(index: int) -> str:
    return f"table_{index:06d}"


def table_request(index: int) -> dict[str, Any]:
    """A CreateTable request shaped like an ingested one: 20 typed, described columns."""
    columns = []
    for position in range(COLUMNS):
        data_type = _TYPES[(index + position) % len(_TYPES)]
        column: dict[str, Any] = {
            "name": f"column_{position:02d}",
            "dataType": data_type,
            "dataTypeDisplay": data_type.lower(),
            "description": f"Column {position} of table {index}",
        }
        if data_type == "VARCHAR":
            column["dataLength"] = 255
        columns.append(column)
    return {
        "name": table_name(index),
        "databaseSchema": schema_fqn(index),
        "tableType": "Regular",
        "description": f"Benchmark table {index}",
        "columns": columns,
    }


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


def create_hierarchy(http: httpx.Client) -> None:
    _ok(
        http.put(
            "/api/v1/services/databaseServices",
            json={
                "name": SERVICE,
                "serviceType": "Postgres",
                "connection": {
                    "config": {
                        "type": "Postgres",
                        "username": "bench",
                        "hostPort": "localhost:5432",
                        "database": DATABASE,
                    }
                },
            },
        )
    )
    _ok(http.put("/api/v1/databases", json={"name": DATABASE, "service": SERVICE}))


def load(http: httpx.Client, start: int, stop: int, batch: int) -> list[tuple[int, int]]:
    """Tables [start, stop) through /bulk; returns (tables written, ns) per request."""
    timings: list[tuple[int, int]] = []
    for first in range(start, stop, batch):
        last = min(first + batch, stop)
        for index in range(first, last):
            if index % TABLES_PER_SCHEMA == 0:
                name = schema_fqn(index).rsplit(".", 1)[1]
                _ok(
                    http.put(
                        "/api/v1/databaseSchemas", json={"name": name, "database": f"{SERVICE}.{DATABASE}"}
                    )
                )
        # Encoded before the clock starts: we time the server, not the client's JSON encoder.
        body = orjson.dumps([table_request(index) for index in range(first, last)])
        before = time.perf_counter_ns()
        result = _ok(http.put("/api/v1/tables/bulk", content=body, headers=_JSON))
        timings.append((last - first, time.perf_counter_ns() - before))
        if result["numberOfRowsFailed"]:
            raise RuntimeError(
                f"bulk failed for {result['numberOfRowsFailed']} rows: {result['failedRequest'][:3]}"
            )
        if last % 10_000 == 0:
            log(f"  loaded {last:,} tables")
    return timings


def by_name_paths(rng: random.Random, size: int, count: int) -> list[str]:
    return [
        f"/api/v1/tables/name/{quote(schema_fqn(i) + '.' + table_name(i), safe='')}"
        for i in (rng.randrange(size) for _ in range(count))
    ]


def list_paths(rng: random.Random, size: int, count: int, *, by_schema: bool) -> list[str]:
    if not by_schema:
        return ["/api/v1/tables?limit=10"] * count
    schemas = size // TABLES_PER_SCHEMA
    picked = (schema_fqn(rng.randrange(schemas) * TABLES_PER_SCHEMA) for _ in range(count))
    return [f"/api/v1/tables?limit=10&databaseSchema={quote(fqn)}" for fqn in picked]


def _spread(medians: Sequence[float]) -> list[float]:
    return [round(min(medians), 2), round(max(medians), 2)]


def measure_latency(
    server: Server, plan: Plan, backend: str, size: int, results: Results, work: Path
) -> None:
    rng = random.Random(plan.seed + size)
    series = {
        "GET /tables/name/{fqn}": lambda n: by_name_paths(rng, size, n),
        "GET /tables?limit=10": lambda n: list_paths(rng, size, n, by_schema=False),
        "GET /tables?limit=10&databaseSchema=": lambda n: list_paths(rng, size, n, by_schema=True),
    }
    per_block = max(1, plan.requests // BLOCKS)
    with client(server.base) as http:
        for name, make_paths in series.items():
            warmup = min(200, plan.requests // 5)
            paths = make_paths(warmup + per_block * BLOCKS)
            time_requests(http, paths[:warmup])
            total, medians = Sample(), []
            for block in range(BLOCKS):
                part = measured(
                    server, http, paths[warmup + block * per_block : warmup + (block + 1) * per_block]
                )
                total.absorb(part)
                medians.append(part.percentile_ms(50))
            results.latency.append(
                {
                    "backend": backend,
                    "tables": size,
                    "request": name,
                    **total.summary(),
                    "block_p50_ms": _spread(medians),
                    "load": load_average(),
                }
            )
            log(f"  {name} x1: {results.latency[-1]}")
    for name, make_paths in series.items():
        done = _wrk.get_paths(
            server,
            make_paths(20_000),
            work,
            seconds=plan.seconds,
            connections=plan.connections,
            seed=plan.seed + size,
        )
        results.throughput.append(
            {
                "backend": backend,
                "tables": size,
                "request": name,
                "connections": plan.connections,
                "requests": done.requests,
                "req_per_s": round(done.rate, 1),
                "p50_ms": round(done.p50_ms, 2),
                "p99_ms": round(done.p99_ms, 2),
                "server_cpu_ms": round(done.server_cpu_ms, 2),
                "load": load_average(),
            }
        )
        log(f"  {name} wrk -c{plan.connections}: {results.throughput[-1]}")


def measure_paging(server: Server, plan: Plan, backend: str, size: int, results: Results) -> None:
    with client(server.base) as http:
        walk_started = time.perf_counter_ns()
        cursor: str | None = None
        for _ in range(PAGE_DEPTH - 1):
            params = {"limit": "10", **({"after": cursor} if cursor else {})}
            page = _ok(http.get("/api/v1/tables", params=params))
            cursor = page["paging"].get("after")
            if cursor is None:
                raise RuntimeError(f"ran out of pages before page {PAGE_DEPTH}")
        walk_s = (time.perf_counter_ns() - walk_started) / 1e9
        assert cursor is not None
        first = "/api/v1/tables?limit=10"
        deep = f"/api/v1/tables?limit=10&after={quote(cursor)}"
        deep_page = _ok(http.get(deep))
        if len(deep_page["data"]) != 10:
            raise RuntimeError(f"page {PAGE_DEPTH} has {len(deep_page['data'])} rows, expected 10")
        page_1, page_deep = Sample(), Sample()
        medians: dict[str, list[float]] = {first: [], deep: []}
        # Alternate blocks of the two so that drift (other load, caches) affects both alike;
        # blocks rather than single requests, for the server CPU figure (10 ms clock ticks).
        for _ in range(plan.page_rounds):
            for sample, path in ((page_1, first), (page_deep, deep)):
                part = measured(server, http, [path] * PAGE_BLOCK)
                sample.absorb(part)
                medians[path].append(part.percentile_ms(50))
    row = {
        "backend": backend,
        "tables": size,
        "page_1_p50_ms": round(page_1.percentile_ms(50), 2),
        "page_1000_p50_ms": round(page_deep.percentile_ms(50), 2),
        "page_1_p99_ms": round(page_1.percentile_ms(99), 2),
        "page_1000_p99_ms": round(page_deep.percentile_ms(99), 2),
        "page_1_block_p50_ms": _spread(medians[first]),
        "page_1000_block_p50_ms": _spread(medians[deep]),
        "ratio_p50": round(page_deep.percentile_ms(50) / page_1.percentile_ms(50), 2),
        "page_1_cpu_ms": page_1.summary()["server_cpu_ms"],
        "page_1000_cpu_ms": page_deep.summary()["server_cpu_ms"],
        "walk_999_pages_s": round(walk_s, 2),
        "errors": page_1.errors + page_deep.errors,
    }
    results.paging.append(row)
    log(f"  paging: {row}")


def ingest_row(
    backend: str, plan: Plan, start: int, size: int, timings: list[tuple[int, int]], cpu_ns: int
) -> dict[str, Any]:
    """One load step (``start`` to ``size`` tables): each row is measured on its own requests,
    so the step to 100k reports what writing at that size costs, not the first step again."""
    first_s, last_s = _span(timings, 1_000) / 1e9, _span(timings[::-1], 1_000) / 1e9
    total_s = sum(ns for _, ns in timings) / 1e9
    per_block = max(1, LOAD_BLOCK // plan.batch)
    latencies = Sample(latencies_ns=[ns for _, ns in timings])
    blocks = [timings[i : i + per_block] for i in range(0, len(timings), per_block)]
    return {
        "backend": backend,
        "tables": size,
        "step": [start, size],
        "batch": plan.batch,
        "first_1000_s": round(first_s, 2),
        "last_1000_s": round(last_s, 2),
        "last_1000_tables_per_s": round(1_000 / last_s, 1),
        "step_tables_per_s": round((size - start) / total_s, 1),
        "bulk_p50_ms": round(latencies.percentile_ms(50), 1),
        "bulk_p99_ms": round(latencies.percentile_ms(99), 1),
        "bulk_block_p50_ms": _spread([statistics.median(ns for _, ns in block) / 1e6 for block in blocks]),
        "server_cpu_ms_per_table": round(cpu_ns / (size - start) / 1e6, 2),
        "load": load_average(),
    }


def run_backend(backend: str, plan: Plan, results: Results, work: Path) -> None:
    with scratch_database(backend) as url, tessera_server(url) as server:
        log(f"{backend}: server at {server.base}")
        with client(server.base) as http:
            create_hierarchy(http)
        loaded = 0
        for size in plan.sizes:
            cpu = server.cpu_ns()
            with client(server.base) as http:
                timings = load(http, loaded, size, plan.batch)
            results.ingest.append(ingest_row(backend, plan, loaded, size, timings, server.cpu_ns() - cpu))
            log(f"{backend} {size:,}: {results.ingest[-1]}")
            if backend == "postgresql":
                analyze(url)
            loaded = size
            measure_latency(server, plan, backend, size, results, work)
            measure_paging(server, plan, backend, size, results)


def analyze(url: str) -> None:
    """What autovacuum does soon after a load (it is off on some machines, this one included):
    without statistics PostgreSQL plans every list as if the table were empty."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()


def _span(timings: Sequence[tuple[int, int]], tables: int) -> int:
    """Time of the requests that wrote the first ``tables`` tables of ``timings``."""
    done, ns = 0, 0
    for count, took in timings:
        if done >= tables:
            break
        done, ns = done + count, ns + took
    return ns


def parse(argv: Sequence[str]) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench catalog", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k tables only, fewer requests (a smoke run)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--sizes", default=None, help="comma-separated table counts (default 10000,100000)")
    parser.add_argument("--batch", type=int, default=250, help="tables per bulk request (default 250)")
    parser.add_argument(
        "--connections", type=int, default=4, help="wrk connections for the throughput series (default 4)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-docs",
        action="store_true",
        help="leave docs/benchmarks.md alone (a full run rewrites its section)",
    )
    args = parser.parse_args(argv)
    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else ((10_000,) if args.quick else (10_000, 100_000))
    )
    if min(sizes) < PAGE_DEPTH * 10:
        parser.error(f"sizes must be at least {PAGE_DEPTH * 10:,} tables to reach page {PAGE_DEPTH:,}")
    return Plan(
        backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
        sizes=tuple(sorted(sizes)),
        batch=args.batch,
        requests=500 if args.quick else 5_000,
        connections=args.connections,
        seconds=2.0 if args.quick else 10.0,
        page_rounds=5 if args.quick else 10,
        seed=args.seed,
        quick=args.quick,
        write_docs=not args.no_docs
        and all(
            getattr(args, name) == parser.get_default(name)
            for name in ("quick", "backends", "sizes", "batch", "connections", "seed")
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    plan = parse(argv)
    if not _wrk.available():
        print(f"bench catalog: {_wrk.MISSING}", file=sys.stderr)
        return 1
    results = Results(machine=machine(), command=" ".join(["python -m bench catalog", *argv]))
    with stoppable(), tempfile.TemporaryDirectory(prefix="tessera_bench_wrk_") as work:
        for backend in plan.backends:
            run_backend(backend, plan, results, Path(work))
    text = section(results.__dict__, plan.sizes)
    print(text)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if plan.quick else ""
    (ARTIFACTS / f"catalog{suffix}.md").write_text(text + "\n")
    (ARTIFACTS / f"catalog{suffix}.json").write_text(json.dumps(results.__dict__, indent=2) + "\n")
    log(f"results written to {ARTIFACTS.relative_to(ARTIFACTS.parent.parent)}/catalog{suffix}.{{md,json}}")
    if plan.write_docs:
        write_doc_section(HEADING, text)
    errors = sum(r["errors"] for r in results.latency) + sum(r["errors"] for r in results.paging)
    if errors:
        log(f"{errors} timed requests did not answer 200; the figures above are not trustworthy")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
