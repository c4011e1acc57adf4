"""What every benchmark needs: real server processes, scratch databases, timing and reporting.

Timings are taken on the client with ``time.perf_counter_ns`` around whole HTTP requests over
keep-alive connections, so they include HTTP parsing, the server's work and the response
transfer, as a caller sees them. Concurrent load (throughput) comes from wrk (bench/_wrk.py): a
Python client on the same two cores spent about as much CPU per request as the server did.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts" / "bench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- databases and servers ----------------------------------------------------------------------


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """SIGTERM and SIGINT stop the run through its ``finally`` blocks, so that the servers it
    started are stopped and its scratch databases dropped (a background job ignores SIGINT)."""

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A database URL for one run: a temp SQLite file, or a PostgreSQL database dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="tessera_bench_") as home:
            yield f"sqlite:///{home}/tessera.db"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    name = f"tessera_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base: str
    pid: int
    home: Path | None = None

    def cpu_ns(self) -> int:
        """CPU time (user + system) the server process has used so far, all threads included."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
        return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")

    def written_bytes(self) -> int:
        """Bytes the server process has written so far, to files and sockets alike (``wchar`` of
        /proc/PID/io): a write's pages into SQLite's WAL and the database file dominate it."""
        for line in Path(f"/proc/{self.pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
        raise RuntimeError(f"/proc/{self.pid}/io has no wchar line")


@contextlib.contextmanager
def tessera_server(
    database_url: str, *, env: Mapping[str, str] | None = None, source: Path | None = None
) -> Iterator[Server]:
    """``tessera serve`` in a subprocess, as an operator would run it; ``source`` runs the
    ``src`` of another checkout (an older commit) with this environment's libraries."""
    with tempfile.TemporaryDirectory(prefix="tessera_bench_home_") as home:
        port = _free_port()
        environ = {
            **os.environ,
            "TESSERA_HOME": home,
            "TESSERA_DATABASE_URL": database_url,
            "TESSERA_LOG_LEVEL": "WARNING",
            # The catalog's own cost; what authentication adds is a benchmark of its own.
            "AUTHENTICATION_PROVIDER": "no-auth",
            **(env or {}),
        }
        if source is not None:
            environ["PYTHONPATH"] = str(source / "src")
        command = [sys.executable, "-m", "tessera", "serve", "--port", str(port)]
        log_path = Path(home) / "server.log"
        with log_path.open("wb") as server_log:
            process = subprocess.Popen(command, env=environ, stdout=server_log, stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 60
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(f"tessera serve exited:\n{log_path.read_text()}")
                    with contextlib.suppress(httpx.TransportError):
                        if httpx.get(f"{base}/api/v1/system/version", timeout=1).status_code == 200:
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"tessera serve did not answer in 60 s:\n{log_path.read_text()}")
                    time.sleep(0.1)
                yield Server(base, process.pid, Path(home))
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def client(base: str) -> httpx.Client:
    # One connection, kept alive: we time tessera, not TCP handshakes.
    return httpx.Client(base_url=base, timeout=120, limits=httpx.Limits(max_connections=1))


# -- statistics ---------------------------------------------------------------------------------


@dataclass
class Sample:
    """Latencies (ns) of one measured series, and the wall time it took."""

    latencies_ns: list[int] = field(default_factory=list)
    wall_ns: int = 0
    errors: int = 0
    # Server CPU time spent on the series, and how many requests (warm-ups included) it served:
    # unlike latency, this hardly moves when other processes compete for the machine.
    server_cpu_ns: int = 0
    served: int = 0

    def merge(self, other: Sample) -> None:
        self.latencies_ns.extend(other.latencies_ns)
        self.errors += other.errors
        self.wall_ns = max(self.wall_ns, other.wall_ns)

    def absorb(self, other: Sample) -> None:
        """Add a later block of the same series: its requests, wall time and server CPU."""
        self.latencies_ns.extend(other.latencies_ns)
        self.errors += other.errors
        self.wall_ns += other.wall_ns
        self.server_cpu_ns += other.server_cpu_ns
        self.served += other.served

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_ns)
        if not ordered:
            return math.nan
        rank = max(0, math.ceil(p / 100 * len(ordered)) - 1)
        return ordered[rank] / 1e6

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies_ns) / len(self.latencies_ns) / 1e6 if self.latencies_ns else math.nan

    @property
    def throughput(self) -> float:
        return len(self.latencies_ns) / (self.wall_ns / 1e9) if self.wall_ns else math.nan

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.latencies_ns),
            "errors": self.errors,
            "p50_ms": round(self.percentile_ms(50), 2),
            "p99_ms": round(self.percentile_ms(99), 2),
            "mean_ms": round(self.mean_ms, 2),
            "req_per_s": round(self.throughput, 1),
            "server_cpu_ms": round(self.server_cpu_ns / self.served / 1e6, 2) if self.served else None,
        }


def time_requests(http: httpx.Client, paths: Sequence[str], *, warmup: int = 0) -> Sample:
    """GET each path in turn on one keep-alive connection; non-200 answers count as errors."""
    for path in paths[:warmup]:
        http.get(path)
    sample = Sample()
    started = time.perf_counter_ns()
    for path in paths[warmup:]:
        before = time.perf_counter_ns()
        response = http.get(path)
        sample.latencies_ns.append(time.perf_counter_ns() - before)
        if response.status_code != 200:
            sample.errors += 1
    sample.wall_ns = time.perf_counter_ns() - started
    return sample


def measured(server: Server, http: httpx.Client, paths: Sequence[str], *, warmup: int = 0) -> Sample:
    """:func:`time_requests`, plus the server CPU time it cost."""
    cpu = server.cpu_ns()
    sample = time_requests(http, paths, warmup=warmup)
    sample.server_cpu_ns, sample.served = server.cpu_ns() - cpu, len(paths)
    return sample


# -- reporting ----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    postgres = "unavailable"
    with contextlib.suppress(Exception):
        engine = sa.create_engine(PG_ADMIN)
        with engine.connect() as conn:
            postgres = str(conn.exec_driver_sql("SHOW server_version").scalar_one()).split()[0]
        engine.dispose()
    return {
        "date": time.strftime("%Y-%m-%d"),
        "cpu": f"{os.cpu_count()} cores ({cpu})",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "commit": _git_commit(),
        "load_average": load_average(),
    }


def load_average() -> str:
    """The 1/5/15-minute load: other work on the machine shows up in the latencies."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f}"


def _git_commit() -> str:
    """The commit of the tessera the servers run (PYTHONPATH may point at another checkout),
    "-dirty" if its files differ from it. The benchmark pages themselves do not count: a run
    rewrites them section by section, and the later sections measured the same code."""
    spec = importlib.util.find_spec("tessera")
    where = Path(spec.origin).parent if spec is not None and spec.origin else ROOT
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no", "--", ":/"]
            + [f":(top,exclude){page}" for page in ("docs/benchmarks.md", "docs/benchmarks-history.md")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}-dirty" if changed else commit


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


BENCHMARKS_DOC = ROOT / "docs" / "benchmarks.md"


def write_doc_section(heading: str, text: str, doc: Path = BENCHMARKS_DOC) -> None:
    """Replace the ``heading`` section of docs/benchmarks.md with ``text`` (which starts with the
    heading), or append it; the other sections are left as they are."""
    current = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    text = text.rstrip("\n") + "\n"
    if heading in current:
        start = current.index(heading)
        following = current.find("\n## ", start + len(heading))
        tail = "" if following == -1 else "\n" + current[following + 1 :]
        updated = current[:start] + text + tail
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(updated, encoding="utf-8")
    log(f"wrote {heading.lstrip('# ')} into {doc.relative_to(ROOT) if doc.is_relative_to(ROOT) else doc}")
