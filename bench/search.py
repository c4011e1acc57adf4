"""Search and list request families at two catalog sizes, side by side: does any grow with the
catalog?

For each backend two ``tessera serve`` processes run at once, one on a catalog of 10k tables and
one on 100k (``--sizes``). The tables are written straight through tessera's storage layer
(the same rows, counters and search documents a bulk PUT writes, cloned from one
table made over HTTP), which loads 100k tables in about a minute instead of the ten HTTP takes.
A tenth of the tables of each tier, owners on most, 20 described columns each; besides the
bench schemas, a database and a service whose tables sort after all others ("late" parents).

Every request family is timed in blocks of ``--block`` requests, alternating between the two
servers, for ``--rounds`` rounds: drift on the machine hits both sizes alike. Reported per family
and size: the p50 and p99 of all requests, the spread of the block medians (min-max), and the
growth of the p50 from the small catalog to the large one.

    python -m bench search [--quick] [--backends sqlite,postgresql] [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from bench._harness import (
    ARTIFACTS,
    Server,
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
from bench.catalog import analyze, table_request

SERVICE = "bench_service"
DATABASE = f"{SERVICE}.bench_db"
LATE_DATABASE = f"{SERVICE}.zz_db"
LATE_SERVICE = "zz_service"
TABLES_PER_SCHEMA = 1_000
LATE_TABLES = 100
USERS = 10
HEADING = "## Search and list request families: growth from 10k to 100k tables"
INTRO = """`python -m bench search` (both backends, 10k and 100k tables: 7 minutes on a quiet
machine, 25 under the load of other work, most of it writing the catalogs);
`python -m bench search --quick` (2k and 10k tables, few requests); `--backends sqlite`,
`--sizes 10000,100000`, `--rounds 10`, `--block 20`, `--no-docs`.

Two `tessera serve` processes run side by side on each backend, one on a catalog of 10k tables
and one on 100k, written through tessera's storage layer (rows, counters and search documents,
as a bulk PUT writes them; 20 described columns per table, a Tier label on half of
them, an owner on 80%). Each request family is timed in blocks of 20 requests, alternating
between the two servers, for 10 rounds: the machine's drift hits both sizes alike. The figures:
p50 and p99 of all 200 requests per family and size, the range of the 10 block medians, and the
growth of the p50 from 10k to 100k (the issue's target: under 2x for every family).

The families: lists with `include=all`, with a parent filter whose tables sort after all
others (`database=` over two schemas, `service=`), a 1,000-entity page; search `q=*`, a word in
every table (`q=column`), a rare name (`q=table_004242`), `fieldQuery` FQN wildcards with a
literal end (`*.table_004242`) and with a whole service before it (`bench_service.*.table_...`),
a `tier.tagFQN` filter sorted by FQN, six facets of the whole table index, and `search_after`
from the middle of the FQN order.

Every family reads what its page needs, not what grows with the catalog. The `tier.tagFQN`
filter matches a tenth of the tables (1,000 at 10k, 10,000 at 100k): its total is read from
`search_term_count` (documents per field value, kept in step by every write) and, the filter
being dense, its page walks a window of the FQN index and tests each table, rather than
counting (up to 10,000) and sorting every match. The facets read `search_term_count` too: a row
per distinct value, not an index entry per table ([design](design/search.md)).
"""
_AGGS = {
    "tier": {"terms": {"field": "tier.tagFQN"}},
    "tags": {"terms": {"field": "tags.tagFQN"}},
    "owners": {"terms": {"field": "owners.name"}},
    "service": {"terms": {"field": "service.name.keyword"}},
    "schema": {"terms": {"field": "databaseSchema.name"}},
    "type": {"terms": {"field": "entityType"}},
}


@dataclass(frozen=True)
class Plan:
    backends: tuple[str, ...]
    sizes: tuple[int, int]
    rounds: int
    block: int
    seed: int
    write_docs: bool


@dataclass
class Series:
    latencies_ns: list[int] = field(default_factory=list)
    block_p50_ms: list[float] = field(default_factory=list)
    errors: int = 0


# -- building the catalogs --------------------------------------------------------------------------


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code not in (200, 201):
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    body: dict[str, Any] = response.json()
    return body


def _service(http: httpx.Client, name: str) -> None:
    config = {"type": "Postgres", "username": "bench", "hostPort": "localhost:5432", "database": "bench"}
    connection = {"config": config}
    _ok(
        http.put(
            "/api/v1/services/databaseServices",
            json={"name": name, "serviceType": "Postgres", "connection": connection},
        )
    )


def build(server: Server, url: str, size: int, rng: random.Random) -> None:
    """``size`` bench tables in schemas of 1,000, plus the late parents' tables."""
    with client(server.base) as http:
        _service(http, SERVICE)
        _service(http, LATE_SERVICE)
        for database in ("bench_db", "zz_db"):
            _ok(http.put("/api/v1/databases", json={"name": database, "service": SERVICE}))
        _ok(http.put("/api/v1/databases", json={"name": "late_db", "service": LATE_SERVICE}))
        schemas: dict[str, dict[str, Any]] = {}
        wanted = [(DATABASE, f"schema_{i:03d}") for i in range(size // TABLES_PER_SCHEMA)]
        wanted += [(LATE_DATABASE, "a"), (LATE_DATABASE, "b"), (f"{LATE_SERVICE}.late_db", "s")]
        for database, name in wanted:
            schema = _ok(http.put("/api/v1/databaseSchemas", json={"name": name, "database": database}))
            schemas[schema["fullyQualifiedName"]] = schema
        owners = []
        for i in range(USERS):
            user = _ok(
                http.put("/api/v1/users", json={"name": f"owner_{i}", "email": f"owner_{i}@example.com"})
            )
            owners.append({"id": user["id"], "type": "user", "name": user["name"]})
        first = f"{DATABASE}.schema_000"
        template = _ok(http.put("/api/v1/tables", json=table_request(0) | {"databaseSchema": first}))
    placements = [
        (f"{DATABASE}.schema_{i // TABLES_PER_SCHEMA:03d}", f"table_{i:06d}") for i in range(1, size)
    ]
    placements += [(f"{LATE_DATABASE}.{'ab'[i % 2]}", f"zz_table_{i:04d}") for i in range(LATE_TABLES)]
    placements += [(f"{LATE_SERVICE}.late_db.s", f"zzz_table_{i:04d}") for i in range(LATE_TABLES)]
    started = time.monotonic()
    _write(url, template, schemas, placements, owners, rng)
    log(f"  {size:,} tables written in {time.monotonic() - started:.0f} s")


def _write(
    url: str,
    template: dict[str, Any],
    schemas: dict[str, dict[str, Any]],
    placements: Sequence[tuple[str, str]],
    owners: Sequence[dict[str, Any]],
    rng: random.Random,
) -> None:
    """The tables' rows, counters and search documents, as the catalog writes them."""
    from tessera.catalog import fqn as fqns
    from tessera.catalog.kinds import by_type
    from tessera.catalog.search_documents import search_document
    from tessera.storage import repository as repo
    from tessera.storage import search as search_store
    from tessera.storage.db import create_engine

    kind = by_type("table")
    engine = create_engine(url)
    base = orjson.dumps({k: v for k, v in template.items() if k != "href"})
    now = int(time.time() * 1000)
    try:
        for start in range(0, len(placements), 2_000):
            rows, documents, counts = [], [], {}
            for schema_fqn, name in placements[start : start + 2_000]:
                schema = schemas[schema_fqn]
                doc = orjson.loads(base)
                doc["id"] = str(uuid.uuid4())
                doc["name"] = name
                doc["fullyQualifiedName"] = f"{schema_fqn}.{name}"
                doc["description"] = f"Benchmark table {name}"
                doc["databaseSchema"] = _reference(schema, "databaseSchema")
                doc["database"] = schema["database"]
                doc["service"] = schema["service"]
                doc["updatedAt"] = now
                for column in doc["columns"]:
                    column["fullyQualifiedName"] = f"{doc['fullyQualifiedName']}.{column['name']}"
                tier = rng.randrange(10)
                doc["tags"] = [_tag(f"Tier.Tier{tier + 1}")] if tier < 5 else []
                if rng.random() < 0.8:
                    doc["owners"] = [owners[rng.randrange(len(owners))]]
                fqn = doc["fullyQualifiedName"]
                row = repo.EntityRow(
                    id=doc["id"],
                    entity_type="table",
                    name=name,
                    fqn=fqn,
                    fqn_hash=fqns.digest(fqn),
                    parent_id=schema["id"],
                    deleted=False,
                    version=1,
                    updated_at=now,
                    source_hash=None,
                    doc=doc,
                )
                rows.append(row)
                documents.append(search_document(kind, row.id, name, False, doc))
                key = repo.count_key(row, False)
                counts[key] = counts.get(key, 0) + 1
            with engine.begin() as conn:
                # A new entity's current version is its own row: no entity_version row, as the API writes it.
                repo.insert_many(conn, rows)
                search_store.insert_many(conn, [d for d in documents if d is not None])
                repo.apply_counts(conn, counts)
                search_store.apply_counts(conn)
    finally:
        engine.dispose()


def _reference(entity: dict[str, Any], entity_type: str) -> dict[str, Any]:
    return {
        "id": entity["id"],
        "type": entity_type,
        "name": entity["name"],
        "fullyQualifiedName": entity["fullyQualifiedName"],
    }


def _tag(tag_fqn: str) -> dict[str, Any]:
    return {"tagFQN": tag_fqn, "source": "Classification", "labelType": "Manual", "state": "Confirmed"}


# -- the request families ---------------------------------------------------------------------------


def families(http: httpx.Client, size: int, rng: random.Random, count: int) -> dict[str, list[str]]:
    """Each family's request paths for a catalog of ``size`` tables."""
    tables = "/api/v1/tables?limit=10"
    search = "/api/v1/search/query?index=table_search_index&size=10"
    rare = [f"table_{rng.randrange(1, size):06d}" for _ in range(count)]
    aggs = quote(json.dumps({"aggs": _AGGS}))
    tier = quote(json.dumps({"query": {"term": {"tier.tagFQN": "Tier.Tier1"}}}))
    middle = f"{DATABASE}.schema_{size // 2 // TABLES_PER_SCHEMA:03d}.table_{size // 2:06d}"
    deep = _ok(http.get(f"{search}&q=fullyQualifiedName:{quote(middle)}&sort_field=fullyQualifiedName"))
    after = "".join(f"&search_after={quote(str(v))}" for v in deep["hits"]["hits"][0]["sort"])
    field_query = (
        "/api/v1/search/fieldQuery?fieldName=fullyQualifiedName&index=table_search_index&fieldValue="
    )
    return {
        "list include=all": [f"{tables}&include=all"] * count,
        "list database= (sorts last)": [f"{tables}&database={LATE_DATABASE}"] * count,
        "list service= (sorts last)": [f"{tables}&service={LATE_SERVICE}"] * count,
        "list limit=1000": ["/api/v1/tables?limit=1000&fields=owners"] * count,
        "search q=*": [f"{search}&q=*"] * count,
        "search common term (q=column)": [f"{search}&q=column"] * count,
        "search rare name": [f"{search}&q={name}" for name in rare],
        "fieldQuery FQN *.name": [f"{field_query}{quote('*.' + name)}" for name in rare],
        "fieldQuery FQN service.*.name": [f"{field_query}{quote(SERVICE + '.*.' + name)}" for name in rare],
        "search tier filter, FQN desc": [
            f"{search}&q=*&query_filter={tier}&sort_field=fullyQualifiedName&sort_order=desc"
        ]
        * count,
        "search facets (6 terms aggs)": [f"{search}&q=*&size=0&query_filter={aggs}"] * count,
        "search_after halfway, FQN desc": [
            f"{search}&q=*&sort_field=fullyQualifiedName&sort_order=desc{after}"
        ]
        * count,
    }


def measure(servers: Sequence[Server], plan: Plan, backend: str) -> list[dict[str, Any]]:
    rng = random.Random(plan.seed)
    count = plan.block * plan.rounds
    with contextlib.ExitStack() as stack:
        https = [stack.enter_context(client(server.base)) for server in servers]
        paths = [families(http, size, rng, count) for http, size in zip(https, plan.sizes, strict=True)]
        series = {(name, size): Series() for name in paths[0] for size in plan.sizes}
        for name in paths[0]:
            for http, mine in zip(https, paths, strict=True):
                time_requests(http, mine[name][:5])  # warm: plans, caches
        for round_ in range(plan.rounds):
            for name in paths[0]:
                for http, size, mine in zip(https, plan.sizes, paths, strict=True):
                    block = mine[name][
                        round_ * len(mine[name]) // plan.rounds : (round_ + 1)
                        * len(mine[name])
                        // plan.rounds
                    ]
                    sample = time_requests(http, block)
                    one = series[(name, size)]
                    one.latencies_ns += sample.latencies_ns
                    one.errors += sample.errors
                    one.block_p50_ms.append(statistics.median(sample.latencies_ns) / 1e6)
    rows = []
    for name in paths[0]:
        small, large = (series[(name, size)] for size in plan.sizes)
        p50 = [statistics.median(s.latencies_ns) / 1e6 for s in (small, large)]
        rows.append(
            {
                "backend": backend,
                "family": name,
                "p50_ms": [round(v, 2) for v in p50],
                "p99_ms": [round(_p99(s.latencies_ns), 2) for s in (small, large)],
                "spread_ms": [
                    [round(min(s.block_p50_ms), 2), round(max(s.block_p50_ms), 2)] for s in (small, large)
                ],
                "growth": round(p50[1] / p50[0], 2),
                "errors": small.errors + large.errors,
            }
        )
        log(f"  {backend} {name}: p50 {p50[0]:.2f} -> {p50[1]:.2f} ms ({p50[1] / p50[0]:.2f}x)")
    return rows


def _p99(latencies: Sequence[int]) -> float:
    ordered = sorted(latencies)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)] / 1e6


@contextlib.contextmanager
def catalogs(backend: str, plan: Plan) -> Iterator[list[Server]]:
    with contextlib.ExitStack() as stack:
        servers = []
        for size in plan.sizes:
            url = stack.enter_context(scratch_database(backend))
            server = stack.enter_context(tessera_server(url))
            log(f"{backend}: building {size:,} tables at {server.base}")
            build(server, url, size, random.Random(plan.seed + size))
            if backend == "postgresql":
                analyze(url)
            servers.append(server)
        yield servers


def report(rows: Sequence[dict[str, Any]], plan: Plan, info: dict[str, str], command: str) -> str:
    small, large = (f"{size // 1000}k" for size in plan.sizes)
    table = markdown_table(
        [
            "backend",
            "request",
            f"p50 {small}",
            f"p50 {large}",
            "growth",
            f"p99 {small}",
            f"p99 {large}",
            f"block p50 spread {small}",
            f"block p50 spread {large}",
        ],
        [
            [
                r["backend"],
                r["family"],
                r["p50_ms"][0],
                r["p50_ms"][1],
                f"{r['growth']:.2f}x",
                r["p99_ms"][0],
                r["p99_ms"][1],
                f"{r['spread_ms'][0][0]:.2f}-{r['spread_ms'][0][1]:.2f}",
                f"{r['spread_ms'][1][0]:.2f}-{r['spread_ms'][1][1]:.2f}",
            ]
            for r in rows
        ],
    )
    errors = sum(r["errors"] for r in rows)
    return "\n".join(
        [
            f"Machine: {info['cpu']}; Python {info['python']}, SQLite {info['sqlite']}, "
            f"PostgreSQL {info['postgresql']}; tessera {info['commit']}; {info['date']}; "
            f"load average at start {info['load_average']}, at the end {load_average()}.",
            f"Command: `{command}` ({plan.rounds} rounds of {plan.block} requests per family and size, "
            "the two sizes' servers side by side and alternating).",
            "",
            "Latency in ms, client side, one keep-alive connection:",
            "",
            table,
            "",
            f"Requests that did not answer 200: {errors}.",
        ]
    )


def section(text: str) -> str:
    """The docs/benchmarks.md section of a full run."""
    marker = "<!-- written by python -m bench search -->"
    return f"{HEADING}\n\n{INTRO}\n### Latest full run\n\n{marker}\n\n{text}\n"


def parse(argv: Sequence[str]) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m bench search", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="2k and 10k tables, fewer requests (a smoke run)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--sizes", default=None, help="two table counts (default 10000,100000)")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 10)")
    parser.add_argument("--block", type=int, default=None, help="requests per block (default 20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    default_sizes = "2000,10000" if args.quick else "10000,100000"
    sizes = tuple(sorted(int(s) for s in (args.sizes or default_sizes).split(",")))
    if len(sizes) != 2 or sizes[0] < 2 * TABLES_PER_SCHEMA:
        parser.error(f"--sizes takes two table counts of at least {2 * TABLES_PER_SCHEMA:,}")
    return Plan(
        backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
        sizes=(sizes[0], sizes[1]),
        rounds=args.rounds or (3 if args.quick else 10),
        block=args.block or (5 if args.quick else 20),
        seed=args.seed,
        write_docs=not args.no_docs and not args.quick and args.sizes is None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    plan = parse(argv)
    info = machine()
    command = " ".join(["python -m bench search", *argv])
    rows: list[dict[str, Any]] = []
    with stoppable():
        for backend in plan.backends:
            with catalogs(backend, plan) as servers:
                rows += measure(servers, plan, backend)
    text = report(rows, plan, info, command)
    print(text)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "search.md").write_text(text + "\n")
    (ARTIFACTS / "search.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")
    if plan.write_docs:
        write_doc_section(HEADING, section(text))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
