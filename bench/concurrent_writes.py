"""Concurrent writers: bulk writes from several ingestion pipelines at once, on PostgreSQL
with two server processes (what a team does once one box is not enough).

Each writer is a client process that sends ``PUT /api/v1/tables/bulk`` for overlapping batches
of the same tables (a random sample of a pool, each in its own order; half the pool exists
before, so batches mix creates and updates), alternating between the two servers. For 1, 4 and
8 concurrent writers it measures tables written per second, the p50 and p99 of a bulk request,
the write transactions the servers retried per bulk request (their logs say so), and every
answer that was not 200 or a connection that failed. PostgreSQL's deadlock counter is read for
the whole run.

By default the same load also runs against a baseline, tessera as of ``--baseline-ref`` (the
commit before the lock-order work), with series of the two alternating: the difference is the
cost (or gain) of the fix under the same machine load.

    python -m bench concurrent_writes [--quick] [--rounds 3] [--baseline-ref REF | --no-baseline]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bench._harness import (
    ARTIFACTS,
    ROOT,
    Sample,
    client,
    load_average,
    log,
    machine,
    markdown_table,
    scratch_database,
    stoppable,
    write_doc_section,
)

HEADING = "## Concurrent writers: bulk writes from several pipelines (PostgreSQL, two processes)"
WRITERS = (1, 4, 8)
POOL = 500
BATCH = 100
COLUMNS = 10
# The last commit before the lock order and bounded retries (storage.unit_of_work).
BASELINE_REF = "02ed98c"
# Retried write transactions, as this code and the baseline log them.
RETRY_LINE = re.compile(r"write retried|retrying a write after a concurrent change")
# `tessera serve`, with the baseline's retry log (DEBUG, in tessera.catalog.service) shown and
# everything else at INFO: DEBUG for all would log every SQL statement.
_SERVE = (
    "import logging, sys; logging.getLogger('tessera.catalog.service').setLevel(logging.DEBUG); "
    "from tessera.cli import main; sys.exit(main())"
)
_JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Plan:
    rounds: int  # bulk requests per writer in a series
    repetitions: int  # series per (variant, writers), interleaved
    baseline_ref: str | None
    seed: int
    quick: bool
    write_docs: bool


@dataclass
class Series:
    variant: str
    writers: int
    requests: int = 0
    tables: int = 0
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retries: int = 0


@dataclass(frozen=True)
class Servers:
    bases: tuple[str, str]
    logs: tuple[Path, Path]

    def retries(self) -> int:
        return sum(len(RETRY_LINE.findall(path.read_text(errors="replace"))) for path in self.logs)


# -- servers --------------------------------------------------------------------------------------


@contextlib.contextmanager
def two_servers(database_url: str, pythonpath: str | None, home: Path) -> Iterator[Servers]:
    """Two ``tessera serve`` processes on one database; ``pythonpath`` runs another tessera."""
    env = {
        **os.environ,
        "TESSERA_DATABASE_URL": database_url,
        "AUTHENTICATION_PROVIDER": "no-auth",
        "TESSERA_LOG_LEVEL": "INFO",
        # Replicas of one database need one key for its secrets (the signing key among them): a
        # key each generated into its own TESSERA_HOME makes the second refuse to start.
        "FERNET_KEY": Fernet.generate_key().decode(),
    }
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    with contextlib.ExitStack() as stack:
        bases, logs = [], []
        for name in ("a", "b"):
            server_home = home / name
            server_home.mkdir(parents=True)
            base, log_path = stack.enter_context(_server(env, server_home))
            bases.append(base)
            logs.append(log_path)
        yield Servers((bases[0], bases[1]), (logs[0], logs[1]))


@contextlib.contextmanager
def _server(env: Mapping[str, str], home: Path) -> Iterator[tuple[str, Path]]:
    with _socket() as port:
        pass
    log_path = home / "server.log"
    with log_path.open("wb") as server_log:
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, "serve", "--port", str(port)],
            env={**env, "TESSERA_HOME": str(home)},
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"tessera serve exited:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/api/v1/system/version", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"tessera serve did not answer in 90 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def _socket() -> Iterator[int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@contextlib.contextmanager
def baseline_source(ref: str) -> Iterator[str]:
    """``src`` of tessera at ``ref``, exported from this repository into a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="tessera_baseline_") as where:
        archive = Path(where) / "src.tar"
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), ref, "src"],
            check=True,
            capture_output=True,
        )
        with tarfile.open(archive) as tar:
            tar.extractall(where, filter="data")
        yield str(Path(where) / "src")


# -- load -----------------------------------------------------------------------------------------


def table_request(schema: str, index: int, marker: str) -> dict[str, Any]:
    return {
        "name": f"table_{index:04d}",
        "databaseSchema": schema,
        "description": marker,
        "columns": [
            {
                "name": f"column_{c:02d}",
                "dataType": "VARCHAR",
                "dataLength": 64,
                "description": f"{marker} {c}",
            }
            for c in range(COLUMNS)
        ],
    }


def prepare(servers: Servers, schema_name: str) -> str:
    """A fresh schema whose pool is half there already: the series' batches mix both."""
    with client(servers.bases[0]) as http:
        _ok(http.put("/api/v1/services/databaseServices", json={"name": "svc", "serviceType": "Postgres"}))
        _ok(http.put("/api/v1/databases", json={"name": "db", "service": "svc"}))
        _ok(http.put("/api/v1/databaseSchemas", json={"name": schema_name, "database": "svc.db"}))
        schema = f"svc.db.{schema_name}"
        seed = [table_request(schema, i, "seed") for i in range(0, POOL, 2)]
        _ok(http.put("/api/v1/tables/bulk", content=orjson.dumps(seed), headers=_JSON))
    return schema


def _ok(response: httpx.Response) -> None:
    if response.status_code not in (200, 201):
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )


def _writer(
    base: str,
    schema: str,
    worker: int,
    rounds: int,
    seed: int,
    start: Any,
    results: multiprocessing.Queue[tuple[list[float], int, list[str]]],
) -> None:
    rng = random.Random(seed * 1000 + worker)
    bodies = []
    for round_ in range(rounds):
        picked = rng.sample(range(POOL), BATCH)
        bodies.append(
            orjson.dumps([table_request(schema, i, f"writer {worker} round {round_}") for i in picked])
        )
    latencies: list[float] = []
    errors: list[str] = []
    written = 0
    with client(base) as http:
        http.get("/api/v1/system/version")
        start.wait()
        for body in bodies:
            before = time.perf_counter_ns()
            try:
                response = http.put("/api/v1/tables/bulk", content=body, headers=_JSON)
            except httpx.TransportError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append((time.perf_counter_ns() - before) / 1e6)
            if response.status_code != 200:
                errors.append(f"{response.status_code}: {response.text[:200]}")
                continue
            result = response.json()
            written += result["numberOfRowsPassed"]
            if result["numberOfRowsFailed"]:
                errors.append(f"{result['numberOfRowsFailed']} rows failed: {result['failedRequest'][:2]}")
    results.put((latencies, written, errors))


def run_series(servers: Servers, variant: str, writers: int, plan: Plan, repetition: int) -> Series:
    schema = prepare(servers, f"w{writers}_r{repetition}")
    context = multiprocessing.get_context("fork")
    start = context.Barrier(writers + 1)
    results: multiprocessing.Queue[tuple[list[float], int, list[str]]] = context.Queue()
    processes = [
        context.Process(
            target=_writer,
            args=(servers.bases[w % 2], schema, w, plan.rounds, plan.seed + repetition, start, results),
        )
        for w in range(writers)
    ]
    for process in processes:
        process.start()
    retries = servers.retries()
    start.wait(timeout=120)
    started = time.perf_counter()
    outcomes = [results.get(timeout=900) for _ in processes]
    series = Series(variant, writers, wall_s=time.perf_counter() - started)
    for process in processes:
        process.join()
    time.sleep(0.2)  # the last log lines
    series.retries = servers.retries() - retries
    for latencies, written, errors in outcomes:
        series.latencies_ms += latencies
        series.tables += written
        series.errors += errors
    series.requests = writers * plan.rounds
    return series


def deadlocks(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            return int(conn.exec_driver_sql(query).scalar_one())
    finally:
        engine.dispose()


# -- report ---------------------------------------------------------------------------------------


def _percentile(values: Sequence[float], p: float) -> float:
    sample = Sample(latencies_ns=[int(v * 1e6) for v in values])
    return sample.percentile_ms(p)


def summarize(series: Sequence[Series]) -> list[dict[str, Any]]:
    rows = []
    for variant in dict.fromkeys(s.variant for s in series):
        for writers in WRITERS:
            runs = [s for s in series if s.variant == variant and s.writers == writers]
            if not runs:
                continue
            rate = [s.tables / s.wall_s for s in runs]
            p99 = [_percentile(s.latencies_ms, 99) for s in runs]
            p50 = [_percentile(s.latencies_ms, 50) for s in runs]
            retries = [s.retries / s.requests for s in runs]
            rows.append(
                {
                    "variant": variant,
                    "writers": writers,
                    "runs": len(runs),
                    "tables_per_s": _spread(rate, 0),
                    "p50_ms": _spread(p50, 0),
                    "p99_ms": _spread(p99, 0),
                    "retries_per_write": _spread(retries, 2),
                    "failed": sum(len(s.errors) for s in runs),
                    "requests": sum(s.requests for s in runs),
                    "errors": [e for s in runs for e in s.errors][:3],
                }
            )
    return rows


def _spread(values: Sequence[float], digits: int) -> str:
    """The median, and the range over the runs."""
    fmt = f"{{:,.{digits}f}}"
    median = fmt.format(statistics.median(values))
    if len(values) == 1:
        return median
    return f"{median} ({fmt.format(min(values))}-{fmt.format(max(values))})"


def report(
    rows: Sequence[dict[str, Any]],
    deadlock_counts: Mapping[str, int],
    plan: Plan,
    command: str,
    m: Mapping[str, str],
) -> str:
    table = markdown_table(
        [
            "tessera",
            "writers",
            "tables/s",
            "bulk p50 ms",
            "bulk p99 ms",
            "retries per write",
            "failed requests",
        ],
        [
            [
                r["variant"],
                r["writers"],
                r["tables_per_s"],
                r["p50_ms"],
                r["p99_ms"],
                r["retries_per_write"],
                f"{r['failed']} of {r['requests']}",
            ]
            for r in rows
        ],
    )
    failures = [
        f"- {r['variant']}, {r['writers']} writers: {'; '.join(r['errors'])}" for r in rows if r["errors"]
    ]
    lines = [
        HEADING,
        "",
        f"`python -m bench concurrent_writes` ({'quick' if plan.quick else 'full'} run). Two `tessera serve` "
        "processes on one PostgreSQL database; each writer is a client process sending "
        f"`PUT /api/v1/tables/bulk` of {BATCH} tables ({COLUMNS} columns each) drawn at random from a "
        f"pool of {POOL} (half of which exist before the series starts), each batch in its own order, "
        f"{plan.rounds} requests per writer, alternating between the servers. A series starts on a fresh "
        f"schema; {plan.repetitions} series per configuration, alternating with the other configurations "
        "(and with the baseline's); each figure is the median with the range over them in parentheses.",
        "",
        "- tables/s: tables written (`numberOfRowsPassed`) per second of the series' wall time;",
        "- bulk p50/p99: client-side latency of a bulk request (ms);",
        "- retries per write: write transactions the servers ran again (as their logs report it) per bulk "
        "request;",
        "- failed requests: answers other than 200, rows that failed, or connections that broke.",
        "",
        table,
        "",
        "Deadlocks PostgreSQL detected during the run: "
        + ", ".join(f"{variant}: {n}" for variant, n in deadlock_counts.items())
        + ".",
    ]
    if failures:
        lines += ["", "First failures:", "", *failures]
    lines += [
        "",
        f"Machine: {m['cpu']}; Python {m['python']}, PostgreSQL {m['postgresql']}; tessera {m['commit']}; "
        f"{m['date']}; load average at start {m['load_average']}, at the end {load_average()}. The clients, "
        "both servers and PostgreSQL share the machine's cores.",
        "",
        f"Command: `{command}`",
    ]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------------


def parse(argv: Sequence[str]) -> Plan:
    parser = argparse.ArgumentParser(
        prog="python -m bench concurrent_writes", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="one series per configuration, 2 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="bulk requests per writer (default 4)")
    parser.add_argument("--repetitions", type=int, default=None, help="series per configuration (default 3)")
    parser.add_argument(
        "--baseline-ref", default=BASELINE_REF, help=f"git ref to compare (default {BASELINE_REF})"
    )
    parser.add_argument("--no-baseline", action="store_true", help="measure this checkout only")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    return Plan(
        rounds=args.rounds or (2 if args.quick else 4),
        repetitions=args.repetitions or (1 if args.quick else 3),
        baseline_ref=None if args.no_baseline else args.baseline_ref,
        seed=args.seed,
        quick=args.quick,
        write_docs=not (args.quick or args.no_docs),
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    plan = parse(argv)
    at_start = machine()
    with stoppable(), contextlib.ExitStack() as stack:
        variants: dict[str, str | None] = {}
        if plan.baseline_ref:
            try:
                variants[f"baseline {plan.baseline_ref}"] = stack.enter_context(
                    baseline_source(plan.baseline_ref)
                )
            except subprocess.CalledProcessError as exc:
                log(f"no baseline: git archive {plan.baseline_ref} failed ({exc.stderr.decode().strip()})")
        variants["this checkout"] = None
        urls = {name: stack.enter_context(scratch_database("postgresql")) for name in variants}
        homes = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tessera_bench_cw_")))
        before = {name: deadlocks(urls[name]) for name in variants}
        series: list[Series] = []
        with contextlib.ExitStack() as servers:
            running = {
                name: servers.enter_context(two_servers(urls[name], path, homes / f"v{i}"))
                for i, (name, path) in enumerate(variants.items())
            }
            for repetition in range(plan.repetitions):
                for writers in WRITERS:
                    for name in variants:
                        done = run_series(running[name], name, writers, plan, repetition)
                        series.append(done)
                        log(
                            f"{name}, {writers} writers: {done.tables / done.wall_s:,.0f} tables/s, "
                            f"p99 {_percentile(done.latencies_ms, 99):.0f} ms, {done.retries} retries, "
                            f"{len(done.errors)} failed"
                        )
        # The servers have stopped, and their backends flushed their statistics.
        found = {name: deadlocks(urls[name]) - before[name] for name in variants}
    rows = summarize(series)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    raw = {"series": [s.__dict__ for s in series], "deadlocks": found, "machine": at_start}
    (ARTIFACTS / "concurrent_writes.json").write_text(json.dumps(raw, indent=2) + "\n")
    text = report(rows, found, plan, command(argv), at_start)
    print(text)
    if plan.write_docs:
        write_doc_section(HEADING, text)
    return 1 if any(r["failed"] for r in rows if r["variant"] == "this checkout") else 0


def command(argv: Sequence[str]) -> str:
    return " ".join(["python -m bench concurrent_writes", *argv])
