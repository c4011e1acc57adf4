"""Before and after: the same work against two tessera commits, interleaved in one run.

A refactoring must not cost anything. This starts the baseline commit (checked out into a
temporary git worktree and run with this environment's libraries) and the current tree side by
side, gives both the same catalog, and then, round after round, measures each request family on
both, alternating which goes first: whatever else the machine does weighs on both alike.

Families: GET by name, a page of 50, a search, a bulk PUT of 20 tables (catalog, no
authentication); GET by name with a signed-in user's JWT (authentication); and a whole
`tessera ingest` of a 200-table SQLite source (ingestion, each tree's own client).

    python -m bench compare                     # against f480e91, 5 rounds; rewrites its docs section
    python -m bench compare --baseline REF      # against another commit
    python -m bench compare --quick             # 2 rounds, small, leaves the docs alone

Each figure is the median over rounds of the round's median latency; the ratio is current /
baseline per round (below 1.00 is faster now), reported as the median with the rounds' range.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench._harness import (
    ROOT,
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
from bench.ingest_vs_openmetadata import generate, workflow

HEADING = "## Before and after a change: interleaved comparison of two commits"
# What `make bench` compares against: main before the architecture issue's refactorings (the
# catalog split, the typed container, ingest on HTTP alone), which had to cost nothing.
BASELINE = "f480e91"
SERVICE = "compare"
SIDES = ("baseline", "current")


@dataclass
class Side:
    name: str
    source: Path
    open_server: Server
    auth_server: Server
    token: str = ""


@dataclass
class Results:
    # family -> side -> per-round medians (ms)
    rounds: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, family: str, side: str, value_ms: float) -> None:
        self.rounds.setdefault(family, {s: [] for s in SIDES})[side].append(value_ms)


@contextlib.contextmanager
def baseline_checkout(ref: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tessera_baseline_") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref],
            check=True,
            capture_output=True,
        )
        try:
            yield tree
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True
            )


def seed(base: str, headers: dict[str, str], tables: int) -> list[str]:
    """A service, a database, a schema and ``tables`` tables of 10 columns; their FQNs."""
    with httpx.Client(base_url=base, timeout=120, headers=headers) as http:
        http.put(
            "/api/v1/services/databaseServices",
            json={
                "name": SERVICE,
                "serviceType": "Postgres",
                "connection": {
                    "config": {
                        "type": "Postgres",
                        "username": "u",
                        "hostPort": "localhost:5432",
                        "database": "db",
                    }
                },
            },
        ).raise_for_status()
        http.put("/api/v1/databases", json={"name": "db", "service": SERVICE}).raise_for_status()
        http.put(
            "/api/v1/databaseSchemas", json={"name": "public", "database": f"{SERVICE}.db"}
        ).raise_for_status()
        for start in range(0, tables, 200):
            batch = [table_request(f"t{i:05d}") for i in range(start, min(tables, start + 200))]
            http.put("/api/v1/tables/bulk", json=batch).raise_for_status()
    return [f"{SERVICE}.db.public.t{i:05d}" for i in range(tables)]


def table_request(name: str) -> dict[str, object]:
    columns = [{"name": "id", "dataType": "INT"}] + [
        {"name": f"c{j:02d}_{name}", "dataType": "VARCHAR", "dataLength": 64} for j in range(1, 10)
    ]
    return {"name": name, "databaseSchema": f"{SERVICE}.db.public", "columns": columns}


def sign_in(server: Server) -> str:
    assert server.home is not None
    password = (server.home / "initial-admin-password").read_text().strip()
    encoded = base64.b64encode(password.encode()).decode()
    response = httpx.post(
        f"{server.base}/api/v1/users/login", json={"email": "admin", "password": encoded}, timeout=60
    )
    response.raise_for_status()
    return str(response.json()["accessToken"])


def measure_round(sides: list[Side], results: Results, fqns: list[str], round_no: int, size: int) -> None:
    rng = random.Random(round_no)
    by_name = [f"/api/v1/tables/name/{fqn}" for fqn in rng.sample(fqns, min(size, len(fqns)))]
    families: list[tuple[str, Callable[[Side], float]]] = [
        ("GET by name", lambda side: get_all(side.open_server, by_name, {})),
        ("GET by name, authenticated", lambda side: get_all(side.auth_server, by_name, auth(side))),
        ("list, limit=50", lambda side: get_all(side.open_server, ["/api/v1/tables?limit=50"] * 50, {})),
        ("search q=c03", lambda side: get_all(side.open_server, ["/api/v1/search/query?q=c03"] * 50, {})),
        ("bulk PUT of 20 tables", lambda side: bulk(side.open_server, round_no)),
    ]
    for family, run in families:
        order = sides if round_no % 2 == 0 else list(reversed(sides))
        for side in order:
            results.add(family, side.name, run(side))


def auth(side: Side) -> dict[str, str]:
    return {"Authorization": f"Bearer {side.token}"}


def get_all(server: Server, paths: list[str], headers: dict[str, str]) -> float:
    with client(server.base) as http:
        http.headers.update(headers)
        sample = time_requests(http, paths, warmup=min(20, len(paths) // 5))
    if sample.errors:
        raise RuntimeError(f"{sample.errors} failed requests against {server.base}: {paths[0]}")
    return statistics.median(sample.latencies_ns) / 1e6


def bulk(server: Server, round_no: int) -> float:
    latencies: list[int] = []
    with client(server.base) as http:
        for batch in range(5):
            body = [table_request(f"r{round_no}_b{batch}_{i:02d}") for i in range(20)]
            before = time.perf_counter_ns()
            http.put("/api/v1/tables/bulk", json=body).raise_for_status()
            latencies.append(time.perf_counter_ns() - before)
    return statistics.median(latencies) / 1e6


def ingest_round(sides: list[Side], results: Results, source_db: Path, work: Path, round_no: int) -> None:
    order = sides if round_no % 2 == 0 else list(reversed(sides))
    for side in order:
        config = work / f"{side.name}-{round_no}.yaml"
        text = workflow(source_db, f"{side.open_server.base}/api").replace(
            "serviceName: bench_sqlite", f"serviceName: ingest_{side.name}_{round_no}"
        )
        config.write_text(text)
        started = time.perf_counter_ns()
        done = subprocess.run(
            [sys.executable, "-m", "tessera", "ingest", "-c", str(config)],
            env={**os.environ, "PYTHONPATH": str(side.source / "src")},
            capture_output=True,
            text=True,
        )
        elapsed = (time.perf_counter_ns() - started) / 1e6
        if done.returncode != 0:
            raise RuntimeError(f"tessera ingest ({side.name}) failed:\n{done.stdout}\n{done.stderr}")
        results.add("tessera ingest, 200 tables", side.name, elapsed)


def report(results: Results, baseline: str, rounds: int, loads: list[str]) -> str:
    rows = []
    for family, sides in results.rounds.items():
        ratios = [current / base for base, current in zip(sides["baseline"], sides["current"], strict=True)]
        rows.append(
            [
                family,
                statistics.median(sides["baseline"]),
                statistics.median(sides["current"]),
                f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            ]
        )
    info = machine()
    return "\n".join(
        [
            HEADING,
            "",
            f"Baseline `{baseline}` against the current tree (`{info['commit']}`), {rounds} interleaved "
            f"rounds on SQLite, {info['date']}, {info['cpu']}, Python {info['python']}; load average "
            f"before each round: {', '.join(loads)}. Command: `python -m bench compare --baseline "
            f"{baseline} --rounds {rounds}`.",
            "",
            markdown_table(["request family", "baseline ms", "current ms", "current/baseline (range)"], rows),
            "",
            "Latencies are the median over rounds of each round's median (ingest: the whole command). "
            "A ratio below 1.00 means the current tree is faster. The default baseline is main before "
            "the architecture issue's refactorings, which were to cost nothing; `--baseline` names "
            "another.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench compare", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline", default=BASELINE, help=f"The commit to compare against (default {BASELINE})."
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tables", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="2 rounds, 300 tables; leaves the docs alone.")
    parser.add_argument("--no-docs", action="store_true", help="Print the report only.")
    options = parser.parse_args(argv)
    rounds, tables, size = (2, 300, 100) if options.quick else (options.rounds, options.tables, 500)
    with stoppable(), baseline_checkout(options.baseline) as baseline_tree, contextlib.ExitStack() as stack:
        sides = []
        for name, source in (("baseline", baseline_tree), ("current", ROOT)):
            open_db = stack.enter_context(scratch_database("sqlite"))
            auth_db = stack.enter_context(scratch_database("sqlite"))
            open_server = stack.enter_context(tessera_server(open_db, source=source))
            auth_server = stack.enter_context(
                tessera_server(auth_db, source=source, env={"AUTHENTICATION_PROVIDER": "basic"})
            )
            sides.append(Side(name, source, open_server, auth_server))
        log(f"seeding {tables} tables on each of the four servers")
        fqns: list[str] = []
        for side in sides:
            side.token = sign_in(side.auth_server)
            fqns = seed(side.open_server.base, {}, tables)
            seed(side.auth_server.base, auth(side), tables)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tessera_compare_")))
        source_db = work / "source.db"
        generate(source_db, 200, 12)
        results = Results()
        loads = []
        for round_no in range(rounds):
            loads.append(load_average())
            log(f"round {round_no + 1}/{rounds}")
            measure_round(sides, results, fqns, round_no, size)
            ingest_round(sides, results, source_db, work, round_no)
    text = report(results, options.baseline, rounds, loads)
    print(text)
    if not (options.quick or options.no_docs):
        write_doc_section(HEADING, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
