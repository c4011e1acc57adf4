"""Benchmark: `tessera ingest` vs OpenMetadata's `metadata ingest` 2.0.7, same source and server.

For each size it generates a SQLite database of SIZE tables x COLUMNS columns. A round runs,
at each size, `tessera ingest` on a fresh `tessera serve` (SQLite backend, no authentication),
then `tessera ingest` again on the same server (a rerun where nothing changed), and, in the
rounds that include it, `metadata ingest` on another fresh server; both clients read the same
workflow YAML (authProvider openmetadata, which OpenMetadata's client accepts unchanged).
Rounds interleave the sizes and alternate which client goes first, so each ratio is taken
between runs made side by side; the report gives the median of those paired ratios and their
spread, the load average at the start of every run, and the CPU time the server spent on it.

    python -m bench ingest_vs_openmetadata                     # 1k and 10k tables (about 30 min)
    python -m bench ingest_vs_openmetadata --quick             # 100 and 1k tables, a smoke run
    python -m bench ingest_vs_openmetadata --sizes 1000 --rounds 3 --openmetadata-rounds 1000=3

The defaults are what `make bench` runs within its budget (41 minutes for every benchmark on
2026-12-04):
3 rounds of `tessera ingest` at each size, and `metadata ingest` in the first 3 rounds at 1k
tables and the first 2 at 10k, where one run takes 11 to 15 minutes (its client alone spends
about 10 minutes of CPU). Each `metadata ingest` run is paired with the `tessera ingest` of its
round. A full run rewrites its section of docs/benchmarks.md; `--quick` and `--no-docs` only print.
Every run's figures are saved in artifacts/bench/ingest_vs_openmetadata-*.json; `--report-from
FILE` renders the report of such a file again.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._harness import (
    ARTIFACTS,
    ROOT,
    Server,
    log,
    machine,
    markdown_table,
    scratch_database,
    stoppable,
    write_doc_section,
)
from bench._harness import tessera_server as start_server

METADATA = ROOT / ".venv-compat" / "bin" / "metadata"
HEADING = "## Ingestion: tessera ingest vs metadata ingest"
SERVICE = "bench_sqlite"
TYPES = (
    "INTEGER",
    "VARCHAR(64)",
    "TEXT",
    "REAL",
    "NUMERIC(12, 2)",
    "DATETIME",
    "BOOLEAN",
    "BLOB",
    "CHAR(8)",
    "DATE",
)
TESSERA_FIRST, TESSERA_RERUN, OPENMETADATA = "tessera ingest", "tessera ingest (rerun)", "metadata ingest"
# What the ratios must reach (task 2 of the performance review), printed next to each figure.
TARGETS = {"scaling": 11.0, "versus": 30.0, "rerun": 3.0}


@dataclass(frozen=True)
class Run:
    round: int
    size: int
    client: str
    seconds: float
    client_cpu_s: float
    server_cpu_s: float
    load: float
    tables: int


def generate(path: Path, tables: int, columns: int) -> None:
    with sqlite3.connect(path) as conn:
        for t in range(tables):
            cols = ["id INTEGER PRIMARY KEY"] + [
                f"c{j:02d} {TYPES[j % len(TYPES)]}" for j in range(1, columns)
            ]
            conn.execute(f"CREATE TABLE t{t:05d} ({', '.join(cols)})")
    conn.close()


def jwt_shaped() -> str:
    # OpenMetadata's client needs a token shaped like a JWT even for a server without
    # authentication; the server ignores it.
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'sub': 'ingestion-bot'})}.c2ln"


def workflow(db: Path, host_port: str) -> str:
    return f"""\
source:
  type: sqlite
  serviceName: {SERVICE}
  serviceConnection:
    config:
      type: SQLite
      database: bench
      databaseMode: {db}
  sourceConfig:
    config:
      type: DatabaseMetadata
sink:
  type: metadata-rest
  config: {{}}
workflowConfig:
  loggerLevel: INFO
  openMetadataServerConfig:
    hostPort: {host_port}
    authProvider: openmetadata
    securityConfig:
      jwtToken: {jwt_shaped()}
"""


def count_tables(base: str) -> int:
    answer = httpx.get(
        f"{base}/api/v1/tables", params={"databaseSchema": f"{SERVICE}.bench.main", "limit": 0}, timeout=60
    )
    total: int = answer.json()["paging"]["total"]
    return total


def timed(label: tuple[int, int, str], command: list[str], server: Server, work: Path) -> Run:
    round_, size, client = label
    out = work / f"{client.replace(' ', '-').strip('()')}-{size}-{round_}.log"
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = server.cpu_ns()
    started = time.perf_counter()
    with out.open("wb") as handle:
        code = subprocess.call(command, cwd=work, stdout=handle, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    server_cpu = (server.cpu_ns() - cpu) / 1e9
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise RuntimeError(f"{client} exited with {code}; see {out}:\n{out.read_text()[-3000:]}")
    # The client alone: the server is a child too, but it is only counted once it has exited.
    client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run = Run(round_, size, client, seconds, client_cpu, server_cpu, load, count_tables(server.base))
    if run.tables != size:
        raise RuntimeError(f"{client} cataloged {run.tables} tables, not {size}; see {out}")
    log(
        f"round {round_} {size:,} tables {client}: {seconds:.1f} s, client CPU {client_cpu:.1f} s, "
        f"server CPU {server_cpu:.1f} s, load {load:.1f}"
    )
    return run


def tessera_runs(round_: int, size: int, db: Path, work: Path) -> list[Run]:
    with scratch_database("sqlite") as url, start_server(url) as server:
        config = work / f"tessera-{size}.yaml"
        config.write_text(workflow(db, f"{server.base}/api"))
        command = [sys.executable, "-m", "tessera", "ingest", "-c", str(config), "--quiet"]
        first = timed((round_, size, TESSERA_FIRST), command, server, work)
        rerun = timed((round_, size, TESSERA_RERUN), command, server, work)
    return [first, rerun]


def openmetadata_run(round_: int, size: int, db: Path, work: Path) -> Run:
    with scratch_database("sqlite") as url, start_server(url) as server:
        config = work / f"openmetadata-{size}.yaml"
        config.write_text(workflow(db, f"{server.base}/api"))
        return timed((round_, size, OPENMETADATA), [str(METADATA), "ingest", "-c", str(config)], server, work)


def ensure_metadata() -> None:
    if not METADATA.exists():
        log("building .venv-compat (OpenMetadata's client; about a minute)")
        subprocess.check_call(["make", "compat-venv"], cwd=ROOT)


def measure(sizes: list[int], columns: int, rounds: int, om_rounds: dict[int, int], work: Path) -> list[Run]:
    sources = {}
    for size in sizes:
        sources[size] = work / f"source-{size}.db"
        generate(sources[size], size, columns)
    runs: list[Run] = []
    for round_ in range(1, max([rounds, *om_rounds.values()]) + 1):
        # Alternate the order of sizes and of clients, so that neither always runs on a
        # machine the other has just warmed (or a neighbour has just loaded).
        order = sizes if round_ % 2 else list(reversed(sizes))
        for size in order:
            wanted = (("tessera", rounds), ("openmetadata", om_rounds.get(size, 0)))
            clients = [client for client, count in wanted if round_ <= count]
            for client in clients if round_ % 2 else reversed(clients):
                if client == "tessera":
                    runs += tessera_runs(round_, size, sources[size], work)
                else:
                    runs.append(openmetadata_run(round_, size, sources[size], work))
    return runs


# -- reporting ------------------------------------------------------------------------------------


def _by(runs: Sequence[Run], size: int, client: str) -> dict[int, Run]:
    return {r.round: r for r in runs if r.size == size and r.client == client}


def paired(a: dict[int, Run], b: dict[int, Run], *, cpu: bool = False) -> list[float]:
    """a / b, wall seconds (or client and server CPU seconds), for every round that has both
    (runs made side by side)."""

    def value(run: Run) -> float:
        return run.client_cpu_s + run.server_cpu_s if cpu else run.seconds

    return [value(a[n]) / value(b[n]) for n in sorted(a.keys() & b.keys())]


def spread(values: Sequence[float], unit: str = "x") -> str:
    if not values:
        return "n/a"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.1f}{unit} (one pair)"
    return f"{median:.1f}{unit} (min {min(values):.1f}, max {max(values):.1f}; {len(values)} pairs)"


def ratios(runs: Sequence[Run], sizes: list[int]) -> list[tuple[str, list[float], float]]:
    """(what, paired ratios, target) for each figure the task asks for."""
    out = []
    small, large = min(sizes), max(sizes)
    if small != large:
        out.append(
            (
                f"`tessera ingest` time at {large:,} tables / at {small:,} tables",
                paired(_by(runs, large, TESSERA_FIRST), _by(runs, small, TESSERA_FIRST)),
                -TARGETS["scaling"],
            )
        )
    for size in sizes:
        theirs, ours = _by(runs, size, OPENMETADATA), _by(runs, size, TESSERA_FIRST)
        out.append(
            (
                f"`metadata ingest` / `tessera ingest` at {size:,} tables",
                paired(theirs, ours),
                TARGETS["versus"] if size == large else 0.0,
            )
        )
        out.append(
            (
                f"`metadata ingest` / `tessera ingest` at {size:,} tables, in CPU time (client and server)",
                paired(theirs, ours, cpu=True),
                0.0,
            )
        )
        out.append(
            (
                f"`tessera ingest` first run / rerun at {size:,} tables",
                paired(_by(runs, size, TESSERA_FIRST), _by(runs, size, TESSERA_RERUN)),
                TARGETS["rerun"] if size == large else 0.0,
            )
        )
    return out


def target_text(target: float) -> str:
    if target < 0:
        return f"at most {-target:.0f}x"
    return f"at least {target:.0f}x" if target else ""


def summary_table(runs: Sequence[Run], sizes: list[int]) -> str:
    rows = []
    for size in sizes:
        for client in (TESSERA_FIRST, TESSERA_RERUN, OPENMETADATA):
            mine = [r for r in runs if r.size == size and r.client == client]
            if not mine:
                continue
            seconds = [r.seconds for r in mine]
            rows.append(
                [
                    f"{size:,}",
                    f"`{client}`",
                    len(mine),
                    f"{statistics.median(seconds):.1f}",
                    f"{min(seconds):.1f}-{max(seconds):.1f}",
                    f"{statistics.median(r.client_cpu_s for r in mine):.1f}",
                    f"{statistics.median(r.server_cpu_s for r in mine):.1f}",
                ]
            )
    return markdown_table(
        ["tables", "client", "runs", "median wall s", "range s", "client CPU s", "server CPU s"], rows
    )


def runs_table(runs: Sequence[Run]) -> str:
    rows = [
        [
            r.round,
            f"{r.size:,}",
            f"`{r.client}`",
            f"{r.seconds:.1f}",
            f"{r.client_cpu_s:.1f}",
            f"{r.server_cpu_s:.1f}",
            f"{r.load:.1f}",
        ]
        for r in sorted(runs, key=lambda r: (r.round, r.size, r.client))
    ]
    return markdown_table(
        ["round", "tables", "client", "wall s", "client CPU s", "server CPU s", "load"], rows
    )


def report(runs: Sequence[Run], sizes: list[int], columns: int, command: str, env: dict[str, str]) -> str:
    loads = [r.load for r in runs]
    small, large = min(sizes), max(sizes)
    cpu = [r.client_cpu_s + r.server_cpu_s for r in runs if r.size == large and r.client == TESSERA_FIRST]
    cpu_range = f"{min(cpu):.1f} to {max(cpu):.1f}" if cpu else "n/a"
    figures = "\n".join(
        f"- {what}: **{spread(values)}**" + (f" (target: {target_text(target)})" if target else "")
        for what, values, target in ratios(runs, sizes)
    )
    return f"""{HEADING}

Command: `{command}`. Measured {env["date"]} on {env["cpu"]}, Python {env["python"]}, SQLite
{env["sqlite"]}, tessera {env["commit"]}; load average (1 minute) at the start of the runs
{min(loads):.1f} to {max(loads):.1f}.

Each source is a generated SQLite database of N tables x {columns} columns (an integer primary
key and a mix of ten column types). Every run gets a fresh `tessera serve` (SQLite backend, no
authentication); a rerun is `tessera ingest` again on the server its first run filled, with
nothing changed. Both clients read the same workflow YAML (`authProvider: openmetadata`) and
write through the same server code. Wall time is from process start to exit; client CPU is the
client process's; server CPU is what `tessera serve` spent during the run (from `/proc`).
Rounds interleave the sizes and alternate which client goes first; each ratio below is the
median of the ratios of runs made in the same round (side by side), with their spread.
`metadata ingest` at the largest size takes long, so it has few rounds: they are paired all
the same.

{figures}

{summary_table(runs, sizes)}

Every run:

{runs_table(runs)}

Wall times move with the machine's load (other work shares its 2 cores) far more than CPU
times do: a `tessera ingest` of {large:,} tables spends {cpu_range} s of CPU (client and
server) across the rounds, while its wall time ranges as the table shows. The CPU ratio is the steadier
comparison of the two clients. At {small:,} tables a `tessera ingest` rerun is mostly the
interpreter starting and importing its libraries (its client CPU is about that of a first
run), so the rerun's gain shows at {large:,}.

`tessera ingest` reads a schema's catalog in a fixed number of queries (SQLite's table-valued
PRAGMAs), computes each table's fingerprint from what it read, and on a rerun lists the
catalog's tables of the schema once and sends only those whose fingerprint differs: a rerun
with nothing changed writes nothing. `metadata ingest` spends its time in its own client (its
client CPU above), reflecting and building each table one at a time.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000", help="table counts, comma-separated")
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of tessera ingest (first run and rerun; default 3)"
    )
    parser.add_argument(
        "--openmetadata-rounds",
        default="1000=3,10000=2",
        help="rounds of metadata ingest per size, e.g. 1000=3,10000=2 (the first rounds)",
    )
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 tables, two rounds")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument(
        "--report-from",
        type=Path,
        help="render the report of a run saved earlier (its JSON in artifacts/bench)",
    )
    args = parser.parse_args(argv)
    if args.report_from is not None:
        saved = json.loads(args.report_from.read_text())
        runs = [Run(**run) for run in saved["runs"]]
        text = report(runs, saved["sizes"], saved["columns"], saved["command"], saved["machine"])
        print(text)
        if not args.no_docs:
            write_doc_section(HEADING, text)
        return 0
    if args.quick:
        args.sizes, args.rounds, args.openmetadata_rounds = "100,1000", 2, "100=1"
    sizes = sorted(int(s) for s in args.sizes.split(","))
    om_rounds = {
        int(size): int(count)
        for size, _, count in (part.partition("=") for part in args.openmetadata_rounds.split(",") if part)
    }
    if any(om_rounds.values()):
        ensure_metadata()
    with stoppable(), tempfile.TemporaryDirectory(prefix="tessera-bench-ingest-") as tmp:
        runs = measure(sizes, args.columns, args.rounds, om_rounds, Path(tmp))
    command = "python -m bench ingest_vs_openmetadata " + " ".join(argv if argv is not None else sys.argv[1:])
    env = machine()
    saved = {"command": command.strip(), "sizes": sizes, "columns": args.columns, "machine": env}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    record = ARTIFACTS / f"ingest_vs_openmetadata-{time.strftime('%Y%m%d-%H%M%S')}.json"
    record.write_text(json.dumps({**saved, "runs": [dataclasses.asdict(r) for r in runs]}, indent=1))
    log(f"runs saved in {record} (--report-from renders them again)")
    text = report(runs, sizes, args.columns, command.strip(), env)
    print(text)
    if not (args.quick or args.no_docs):
        write_doc_section(HEADING, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
