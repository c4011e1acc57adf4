"""What authentication costs: `GET /api/v1/tables/name/{fqn}` with a bot's JWT against the same
request with authentication off, in one run, on one database.

Two `tessera serve` processes share one SQLite catalog: one with `provider: no-auth`, one with
`provider: basic` whose ingestion bot's JWT the client sends. The client alternates between
them in rounds, so that whatever else the machine is doing weighs on both alike. A valid token
seen before costs the server neither a signature check nor a database query (verified-token
cache); the revocation log is read at most once a second per process.

    python -m bench auth_overhead            # 4 rounds x 2,000 requests per server
    python -m bench auth_overhead --quick    # 2 rounds x 500, leaves the docs alone

Target: authenticated throughput at least 90% of unauthenticated. It rewrites its section of
docs/benchmarks.md (`--no-docs` only prints).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench._harness import (
    Sample,
    Server,
    log,
    machine,
    markdown_table,
    stoppable,
    tessera_server,
    time_requests,
    write_doc_section,
)

HEADING = "## Authentication overhead"
SERVICE = "auth_bench"
TABLES = 1_000


@contextlib.contextmanager
def shared_secrets() -> Iterator[dict[str, str]]:
    """Signing key and Fernet key given to the server and to the process minting the bot token."""
    with tempfile.TemporaryDirectory(prefix="tessera_bench_keys_") as folder:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file = Path(folder) / "private_key.pem"
        key_file.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
        yield {"RSA_PRIVATE_KEY_FILE_PATH": str(key_file), "FERNET_KEY": Fernet.generate_key().decode()}


def load(base: str, headers: dict[str, str]) -> list[str]:
    with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=120) as api:
        api.put(
            "/services/databaseServices", json={"name": SERVICE, "serviceType": "SQLite"}
        ).raise_for_status()
        api.put("/databases", json={"name": "db", "service": SERVICE}).raise_for_status()
        api.put("/databaseSchemas", json={"name": "main", "database": f"{SERVICE}.db"}).raise_for_status()
        schema = f"{SERVICE}.db.main"
        for start in range(0, TABLES, 250):
            rows = [
                {
                    "name": f"t{i:05d}",
                    "databaseSchema": schema,
                    "columns": [
                        {"name": f"c{c}", "dataType": "VARCHAR", "dataLength": 64} for c in range(20)
                    ],
                }
                for i in range(start, min(start + 250, TABLES))
            ]
            api.put("/tables/bulk", json=rows).raise_for_status()
    return [f"/api/v1/tables/name/{schema}.t{i:05d}" for i in range(TABLES)]


def mint_bot_token(database_url: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tessera", "bots", "token", "ingestion-bot", "--expiry", "1"],
        env={**os.environ, "TESSERA_DATABASE_URL": database_url, "AUTHENTICATION_PROVIDER": "basic", **env},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"tessera bots token failed ({result.returncode}):\n{result.stderr or result.stdout}"
        )
    return result.stdout.strip()


def measure(server: Server, headers: dict[str, str], paths: Sequence[str]) -> Sample:
    cpu = server.cpu_ns()
    with httpx.Client(
        base_url=server.base, headers=headers, timeout=120, limits=httpx.Limits(max_connections=1)
    ) as http:
        sample = time_requests(http, paths, warmup=50)
    sample.server_cpu_ns, sample.served = server.cpu_ns() - cpu, len(paths)
    return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench auth_overhead", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds of 500 requests per server")
    parser.add_argument(
        "--no-docs", action="store_true", help="print the results, leave docs/benchmarks.md alone"
    )
    options = parser.parse_args(argv)
    rounds, per_round = (2, 500) if options.quick else (4, 2_000)
    rng = random.Random(7)
    with (
        stoppable(),
        tempfile.TemporaryDirectory(prefix="tessera_bench_") as folder,
        shared_secrets() as keys,
    ):
        url = f"sqlite:///{folder}/tessera.db"
        with (
            tessera_server(url) as open_server,
            tessera_server(url, env={"AUTHENTICATION_PROVIDER": "basic", **keys}) as secure_server,
        ):
            log(f"loading {TABLES} tables")
            paths = load(open_server.base, {})
            token = mint_bot_token(url, keys)
            bearer = {"Authorization": f"Bearer {token}"}
            probe = httpx.get(f"{secure_server.base}{paths[0]}", headers=bearer, timeout=30)
            if probe.status_code != 200:
                raise SystemExit(f"the bot token was refused: {probe.status_code} {probe.text}")
            off, on = Sample(), Sample()
            for number in range(rounds):
                chosen = [rng.choice(paths) for _ in range(per_round + 50)]
                log(f"round {number + 1}/{rounds}")
                for target, headers, total in ((open_server, {}, off), (secure_server, bearer, on)):
                    sample = measure(target, headers, chosen)
                    total.merge(sample)
                    total.server_cpu_ns += sample.server_cpu_ns
                    total.served += sample.served
    # Throughput from the summed time of the rounds, not the longest one.
    off.wall_ns = sum(off.latencies_ns)
    on.wall_ns = sum(on.latencies_ns)
    ratio = on.throughput / off.throughput
    rows = [
        ["authentication off", *_figures(off)],
        ["bot JWT (basic provider)", *_figures(on)],
    ]
    table = markdown_table(
        ["GET /tables/name/{fqn}", "requests", "p50 ms", "p99 ms", "req/s", "server CPU ms/req"], rows
    )
    facts = machine()
    text = (
        f"{HEADING}\n\n"
        f"Measured {facts['date']} on {facts['cpu']}, Python {facts['python']}, SQLite {facts['sqlite']}, "
        f"commit {facts['commit']}, load average {facts['load_average']}. {TABLES:,} tables x 20 columns; "
        f"{rounds} rounds of {per_round:,} requests to each server, alternating, one keep-alive "
        "connection.\n\n"
        f"{table}\n\n"
        f"**Authenticated throughput: {ratio:.0%} of unauthenticated** (target: at least 90%). "
        "Differences of a few percent either way are the machine's noise between rounds: a token "
        "seen before is a dictionary lookup, not a signature check.\n\n"
        "Command: `python -m bench auth_overhead`\n"
    )
    print(text)
    # A smoke run's figures are too few to stand in the docs.
    if not options.no_docs and not options.quick:
        write_doc_section(HEADING, text)
    return 0


def _figures(sample: Sample) -> list[object]:
    summary = sample.summary()
    return [
        summary["requests"],
        summary["p50_ms"],
        summary["p99_ms"],
        summary["req_per_s"],
        summary["server_cpu_ms"],
    ]


if __name__ == "__main__":
    sys.exit(main())
