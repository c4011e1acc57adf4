"""The catalog benchmark's section of docs/benchmarks.md, from the figures of one run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench._harness import markdown_table

HEADING = "## Catalog: bulk ingest, reads and deep paging (SQLite, PostgreSQL)"

INTRO = """`python -m bench catalog` (the full matrix: about 13 minutes on a quiet machine);
`python -m bench catalog --quick` (10k tables, fewer requests: about 90 s);
`--backends sqlite`, `--sizes 10000,100000`, `--connections 4`, `--batch 250`, `--no-docs`.
Only the default full matrix rewrites this section.

For each backend it starts a real `tessera serve` (one worker, authentication off: what
authentication adds is measured in its own section) on a scratch database: a temporary
`TESSERA_HOME` for SQLite, a `tessera_bench_*` database on PostgreSQL (dropped afterwards). It
creates a service, a database and a schema per 1,000 tables, then fills the catalog through
`PUT /api/v1/tables/bulk` (250 tables per request, 20 described columns each, request bodies
encoded before the clock starts) to 10k tables, measures, fills it on to 100k and measures again:

- bulk ingest, per load step: the time of the step's first and of its last 1,000 tables, the
  step's rate, the latency of its bulk requests (with the spread of the medians of blocks of
  1,000 tables), and the server's CPU per table;
- `GET /api/v1/tables/name/{fqn}` of random existing tables, `GET /api/v1/tables?limit=10`, and
  the same with `databaseSchema=` a random schema: one client on one keep-alive connection
  (httpx; 5,000 requests in 10 blocks, after 200 warm-ups), then wrk with 4 connections for
  10 s (throughput);
- page 1 against page 1,000 of `GET /api/v1/tables?limit=10`: it follows `after` cursors to
  page 1,000, then fetches page 1 and page 1,000 in alternating blocks of 30, 10 times.

Latencies are client-side, whole requests; the block spread is the lowest and highest median of
a block, which is how far apart two figures can be from the machine's drift alone. Throughput
comes from wrk (C, one thread), which spends a small fraction of the server's CPU per request:
the httpx client processes used before spent about as much as the server and capped the figure.
wrk, the server and (for PostgreSQL) the database still share the two cores. Server CPU is the
server process's user and system time per request, from `/proc`: it moves much less with the
machine's load than latency does, so it is the figure to compare between runs. The two sizes are
measured one after the other on the same server (not side by side, as the search section does):
the growth table gives the load at each.

On PostgreSQL the benchmark runs `VACUUM ANALYZE` after each load: autovacuum, which would do
the same within a minute, is off on this machine, and without statistics PostgreSQL plans lists
as if the table were empty. The performance work's targets are checked on each run's own
figures (below); the figures before and after that work are in
[the history](benchmarks-history.md#catalog-targets-and-before-and-after)."""

_FAMILIES = (
    "GET /tables/name/{fqn}",
    "GET /tables?limit=10",
    "GET /tables?limit=10&databaseSchema=",
)


def _range(pair: Sequence[float]) -> str:
    digits = 1 if pair[1] >= 100 else 2
    return f"{pair[0]:.{digits}f}-{pair[1]:.{digits}f}"


def _ingest_table(rows: Sequence[dict[str, Any]]) -> str:
    return markdown_table(
        [
            "backend",
            "step (tables)",
            "first 1,000 of the step (s)",
            "last 1,000 (s)",
            "step tables/s",
            "bulk p50 ms",
            "bulk p99 ms",
            "block p50 spread ms",
            "server CPU ms/table",
            "load",
        ],
        [
            [
                r["backend"],
                f"{r['step'][0]:,} to {r['step'][1]:,}",
                r["first_1000_s"],
                r["last_1000_s"],
                r["step_tables_per_s"],
                r["bulk_p50_ms"],
                r["bulk_p99_ms"],
                _range(r["bulk_block_p50_ms"]),
                r["server_cpu_ms_per_table"],
                r["load"],
            ]
            for r in rows
        ],
    )


def _latency_table(rows: Sequence[dict[str, Any]]) -> str:
    return markdown_table(
        [
            "backend",
            "tables",
            "request",
            "requests",
            "p50",
            "p99",
            "block p50 spread",
            "server CPU ms/req",
            "load",
        ],
        [
            [
                r["backend"],
                r["tables"],
                f"`{r['request']}`",
                r["requests"],
                r["p50_ms"],
                r["p99_ms"],
                _range(r["block_p50_ms"]),
                r["server_cpu_ms"],
                r["load"],
            ]
            for r in rows
        ],
    )


def _throughput_table(rows: Sequence[dict[str, Any]]) -> str:
    return markdown_table(
        ["backend", "tables", "request", "connections", "req/s", "p50", "p99", "server CPU ms/req", "load"],
        [
            [
                r["backend"],
                r["tables"],
                f"`{r['request']}`",
                r["connections"],
                r["req_per_s"],
                r["p50_ms"],
                r["p99_ms"],
                r["server_cpu_ms"],
                r["load"],
            ]
            for r in rows
        ],
    )


def _paging_table(rows: Sequence[dict[str, Any]]) -> str:
    return markdown_table(
        [
            "backend",
            "tables",
            "page 1 p50",
            "page 1,000 p50",
            "ratio",
            "page 1 p99",
            "page 1,000 p99",
            "block p50 spread, page 1",
            "page 1,000",
            "page 1 CPU ms",
            "page 1,000 CPU ms",
            "walk to it (s)",
        ],
        [
            [
                r["backend"],
                r["tables"],
                r["page_1_p50_ms"],
                r["page_1000_p50_ms"],
                f"{r['ratio_p50']:.2f}x",
                r["page_1_p99_ms"],
                r["page_1000_p99_ms"],
                _range(r["page_1_block_p50_ms"]),
                _range(r["page_1000_block_p50_ms"]),
                r["page_1_cpu_ms"],
                r["page_1000_cpu_ms"],
                r["walk_999_pages_s"],
            ]
            for r in rows
        ],
    )


def _latency_families(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every latency family as (backend, tables, family, p50, p99, block spread, server CPU)."""
    out = [
        {**r, "family": f"`{r['request']}`", "spread": r["block_p50_ms"], "cpu": r["server_cpu_ms"]}
        for r in results["latency"]
    ]
    for r in results["paging"]:
        for page, key in (("page 1", "page_1"), ("page 1,000", "page_1000")):
            out.append(
                {
                    "backend": r["backend"],
                    "tables": r["tables"],
                    "family": f"{page} of `GET /tables?limit=10`",
                    "p50_ms": r[f"{key}_p50_ms"],
                    "p99_ms": r[f"{key}_p99_ms"],
                    "spread": r[f"{key}_block_p50_ms"],
                    "cpu": r[f"{key}_cpu_ms"],
                }
            )
    for r in results["ingest"]:
        out.append(
            {
                "backend": r["backend"],
                "tables": r["tables"],
                "family": "bulk PUT of 250 tables, during the load step",
                "p50_ms": r["bulk_p50_ms"],
                "p99_ms": r["bulk_p99_ms"],
                "spread": r["bulk_block_p50_ms"],
                "cpu": r["server_cpu_ms_per_table"] * r["batch"],
            }
        )
    return out


def _growth_table(results: dict[str, Any], small: int, large: int) -> str:
    families = _latency_families(results)
    index = {(f["backend"], f["tables"], f["family"]): f for f in families}
    rows = []
    for f in families:
        if f["tables"] != small or (f["backend"], large, f["family"]) not in index:
            continue
        big = index[(f["backend"], large, f["family"])]
        rows.append(
            [
                f["backend"],
                f["family"],
                f["p50_ms"],
                big["p50_ms"],
                f"{big['p50_ms'] / f['p50_ms']:.2f}x",
                f["p99_ms"],
                big["p99_ms"],
                _range(f["spread"]),
                _range(big["spread"]),
                f"{big['cpu'] / f['cpu']:.2f}x" if f["cpu"] else "n/a",
            ]
        )
    rates = []
    for kind, key, value in (
        ("throughput", "throughput", "req_per_s"),
        ("ingest", "ingest", "last_1000_tables_per_s"),
    ):
        by = {(r["backend"], r["tables"], r.get("request", "")): r for r in results[key]}
        for (backend, tables, request), r in by.items():
            if tables != small or (backend, large, request) not in by:
                continue
            name = f"`{request}`, wrk req/s" if kind == "throughput" else "bulk ingest, last 1,000 tables/s"
            big = by[(backend, large, request)]
            rates.append([backend, name, r[value], big[value], f"{big[value] / r[value]:.2f}x"])
    s, b = f"{small // 1000}k", f"{large // 1000}k"
    latency = markdown_table(
        [
            "backend",
            "family",
            f"p50 {s}",
            f"p50 {b}",
            "growth",
            f"p99 {s}",
            f"p99 {b}",
            f"block p50 spread {s}",
            f"block p50 spread {b}",
            "server CPU growth",
        ],
        rows,
    )
    rate = markdown_table(["backend", "family", s, b, f"{b}/{s}"], rates)
    return f"{latency}\n\nRates (above 1.00x: more at {b}):\n\n{rate}"


# The performance work's targets (see the history), checked on every run's own figures.
P99_BY_NAME_MS = 20.0
FIRST_1000_SQLITE_S = 5.0
PAGE_RATIO = 1.5


def _targets(results: dict[str, Any], largest: int) -> str:
    lines = []
    for r in results["latency"]:
        if r["request"] == _FAMILIES[0] and r["tables"] == largest:
            lines.append(
                f"- GET by name p99 under {P99_BY_NAME_MS:.0f} ms at {largest:,} tables, {r['backend']}: "
                f"**{r['p99_ms']:.2f} ms** (one client; block medians {_range(r['block_p50_ms'])} ms)"
            )
    for r in results["ingest"]:
        if r["backend"] == "sqlite" and r["step"][0] == 0:
            lines.append(
                f"- Bulk ingest of the first 1,000 tables on SQLite under {FIRST_1000_SQLITE_S:.0f} s: "
                f"**{r['first_1000_s']:.2f} s**"
            )
    for r in results["paging"]:
        lines.append(
            f"- Page 1,000 within {PAGE_RATIO}x of page 1, {r['backend']} at {r['tables']:,} tables: "
            f"**{r['ratio_p50']:.2f}x** (p50)"
        )
    return "\n".join(lines)


def section(results: dict[str, Any], sizes: Sequence[int]) -> str:
    m = results["machine"]
    parts = [
        HEADING,
        "",
        INTRO,
        "",
        "### Latest run",
        "",
        f"Machine: {m['cpu']}; Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql']}; "
        f"tessera {m['commit']}; {m['date']}; load average at start {m['load_average']}.",
        f"Command: `{results['command']}`",
        "",
        "Targets, on this run's figures:",
        "",
        _targets(results, max(sizes)),
        "",
    ]
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        parts += [
            f"Growth from {small:,} to {large:,} tables (ms; the bulk PUT's server CPU is per request):",
            "",
            _growth_table(results, small, large),
            "",
        ]
    errors = sum(r["errors"] for r in results["latency"]) + sum(r["errors"] for r in results["paging"])
    parts += [
        "Bulk ingest (`PUT /api/v1/tables/bulk`, 20 columns per table), per load step:",
        "",
        _ingest_table(results["ingest"]),
        "",
        "Read latency, one client on one keep-alive connection (ms):",
        "",
        _latency_table(results["latency"]),
        "",
        "Throughput under wrk (one thread, keep-alive connections; latency in ms as wrk measures it):",
        "",
        _throughput_table(results["throughput"]),
        "",
        "Cursor paging, page 1 vs page 1,000 of `GET /api/v1/tables?limit=10` (ms):",
        "",
        _paging_table(results["paging"]),
        "",
        f"Requests that did not answer 200: {errors}.",
    ]
    return "\n".join(parts)
