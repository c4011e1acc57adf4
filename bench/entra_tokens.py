"""Benchmark: client-credentials tokens per second from tessera.entra's token endpoint, against
raw RS256 signing of the same claims in the same run (target: at least 50% of the raw rate).

    python -m bench entra_tokens [--seconds 6] [--rounds 3] [--clients 3] [--http] [--no-wire]
    python -m bench entra_tokens --quick     # a smoke run; leaves docs/benchmarks.md alone

A full run rewrites its section of docs/benchmarks.md (`--no-docs` only prints).

Three figures, measured in alternating rounds so that other load on the machine hits them alike:

1. raw: PyJWT ``jwt.encode`` RS256 with a 2048-bit key, one thread;
2. endpoint: the token endpoint called as the ASGI server calls it (one thread, no sockets):
   routing, form parsing, client authentication (secret hash), directory reads, Entra's v1
   claims, RS256. This is the figure the 50% target applies to;
3. wire: ``python -m tessera.entra serve --ephemeral`` in its own process, HTTPS with its
   generated CA (``--http`` for plain), loaded by client processes, each sending pre-built
   requests over one keep-alive connection. Clients and server share the machine's cores, so
   this one depends on the machine (on 2 cores the server gets about one).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shlex
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from queue import Queue
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bench._harness import load_average, machine, markdown_table, write_doc_section


def raw_signing_rate(seconds: float) -> tuple[float, int]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tid = str(uuid.uuid4())
    claims = {
        "aud": f"api://{uuid.uuid4()}",
        "iss": f"https://127.0.0.1:8443/{tid}/",
        "iat": 0,
        "nbf": 0,
        "exp": 3599,
        "aio": "x" * 64,
        "appid": str(uuid.uuid4()),
        "appidacr": "1",
        "idp": f"https://127.0.0.1:8443/{tid}/",
        "oid": str(uuid.uuid4()),
        "rh": "0.A" + "y" * 64 + ".",
        "sub": str(uuid.uuid4()),
        "tid": tid,
        "uti": "z" * 22,
        "ver": "1.0",
    }
    headers = {"kid": "k" * 27, "x5t": "k" * 27}
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(20):
            jwt.encode(claims, key, algorithm="RS256", headers=headers)
        count += 20
    elapsed = time.perf_counter() - start
    return count / elapsed, count


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TENANT_FILE = """
tenants:
  - domain: bench.onmicrosoft.com
    id: 7d3c0e0b-2a8e-4d4c-9f55-5c1f0f6a9b11
    applications:
      - displayName: api
        identifierUris: ["api://bench-api"]
      - displayName: client
        appId: 3f1d2c4b-8a6e-4f0d-9b2a-1c3e5d7f9a10
        passwordCredentials: [{displayName: bench, secretText: "${BENCH_SECRET}"}]
"""


class _Sink(Protocol):
    def put(self, item: int) -> None: ...


def _client_process(
    port: int, https: bool, ca_file: str | None, request: bytes, seconds: float, out: _Sink
) -> None:
    """One keep-alive connection sending pre-built requests: as little client work as possible,
    so that the figure measures the server."""
    sock: socket.socket = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if https:
        sock = ssl.create_default_context(cafile=ca_file).wrap_socket(sock, server_hostname="127.0.0.1")
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.sendall(request)
        buffer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("the server closed the connection")
            buffer += chunk
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if not sep:
                continue
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if len(rest) >= length:
                break
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(buffer.decode(errors="replace"))
        count += 1
    sock.close()
    out.put(count)


def endpoint_rate(seconds: float, clients: int, https: bool) -> tuple[float, int, str]:
    secret = "bnc" + uuid.uuid4().hex + "Q~x"
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as home:
        config = Path(home) / "tenant.yaml"
        config.write_text(TENANT_FILE)
        port = _free_port()
        command = [
            sys.executable, "-m", "tessera.entra", "--home", home, "serve", "--ephemeral",
            "--port", str(port), "--config", str(config), *([] if https else ["--http"]),
        ]  # fmt: skip
        env = dict(os.environ, BENCH_SECRET=secret)
        server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            ca_file = str(Path(home) / "ca.pem") if https else None
            base = f"{'https' if https else 'http'}://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    verify: ssl.SSLContext | bool = (
                        ssl.create_default_context(cafile=ca_file) if https else True
                    )
                    httpx.get(f"{base}/common/v2.0/.well-known/openid-configuration", verify=verify)
                    break
                except (httpx.TransportError, FileNotFoundError, ssl.SSLError):
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the emulator did not start") from None
                    time.sleep(0.1)
            body = urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": "3f1d2c4b-8a6e-4f0d-9b2a-1c3e5d7f9a10",
                    "client_secret": secret,
                    "scope": "api://bench-api/.default",
                }
            ).encode()
            request = (
                f"POST /bench.onmicrosoft.com/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            # Warm up (key loading, directory cache) before measuring.
            _client_process(port, https, ca_file, request, 0.5, Queue())
            results: multiprocessing.Queue[int] = multiprocessing.Queue()
            workers = [
                multiprocessing.Process(
                    target=_client_process, args=(port, https, ca_file, request, seconds, results)
                )
                for _ in range(clients)
            ]
            start = time.perf_counter()
            for w in workers:
                w.start()
            total = sum(results.get(timeout=seconds + 60) for _ in workers)
            for w in workers:
                w.join()
            elapsed = time.perf_counter() - start
            return total / elapsed, total, shlex.join(command)
        finally:
            server.terminate()
            server.wait(timeout=10)


class InProcessEndpoint:
    """The emulator's ASGI app with the bench tenant, called directly."""

    def __init__(self) -> None:
        from tessera.entra.app import build_state, create_emulator_app
        from tessera.entra.service import DirectoryService
        from tessera.entra.settings import EmulatorSettings

        self._tmp = tempfile.TemporaryDirectory(prefix="tessera-bench-")
        settings = EmulatorSettings(home=Path(self._tmp.name), ephemeral=True, https=False)
        state = build_state(settings)
        service = DirectoryService(state.store, settings.clock)
        tenant = service.create_tenant("bench.onmicrosoft.com")
        api = service.create_app(tenant["id"], "api")
        service.expose_api(tenant["id"], api["appId"], "api://bench-api")
        client = service.create_app(tenant["id"], "client")
        secret = service.add_secret(tenant["id"], client["appId"])["secretText"]
        self.app = create_emulator_app(settings, state=state)
        self.body = urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": client["appId"],
                "client_secret": secret,
                "scope": "api://bench-api/.default",
            }
        ).encode()
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https",
            "path": "/bench.onmicrosoft.com/oauth2/v2.0/token",
            "raw_path": b"/bench.onmicrosoft.com/oauth2/v2.0/token",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1:8443"),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(self.body)).encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8443),
        }

    async def _one(self) -> None:
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(dict(self.scope), receive, send)
        if status != 200:
            raise RuntimeError(f"token endpoint answered {status}")

    def rate(self, seconds: float) -> tuple[float, int]:
        async def run() -> tuple[float, int]:
            count = 0
            start = time.perf_counter()
            deadline = start + seconds
            while time.perf_counter() < deadline:
                for _ in range(20):
                    await self._one()
                count += 20
            return count / (time.perf_counter() - start), count

        return asyncio.run(run())


HEADING = "## Entra emulator: client-credentials tokens"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench entra_tokens",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="per figure, split over the rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=3, help="client processes for the wire figure")
    parser.add_argument("--http", action="store_true", help="wire figure over plain http")
    parser.add_argument("--no-wire", action="store_true", help="skip the wire figure")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1.5 s per figure, 2 rounds")
    parser.add_argument(
        "--no-docs", action="store_true", help="print the results, leave docs/benchmarks.md alone"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 1.5, 2
    command = f"python -m bench entra_tokens {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip()
    endpoint = InProcessEndpoint()
    endpoint.rate(0.3)  # warm-up: key loading, directory cache
    slice_ = args.seconds / args.rounds
    raws: list[float] = []
    rates: list[float] = []
    load = load_average()
    # Both single-threaded figures on the same core, so that they see the same machine.
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        for _ in range(args.rounds):
            raws.append(raw_signing_rate(slice_)[0])
            rates.append(endpoint.rate(slice_)[0])
    finally:
        os.sched_setaffinity(0, cpus)
    raw, rate = statistics.median(raws), statistics.median(rates)
    rows: list[list[object]] = [
        ["raw RS256 signing (PyJWT, 2048-bit RSA, one thread)", round(raw), _fmt(raws), "100%"],
        [
            "token endpoint, client_credentials (ASGI, one thread)",
            round(rate),
            _fmt(rates),
            f"{rate / raw:.0%}",
        ],
    ]
    wire_note = ""
    if not args.no_wire:
        wire, n, server_command = endpoint_rate(args.seconds / 2, args.clients, https=not args.http)
        scheme = "http" if args.http else "https"
        rows.append(
            [
                f"over the wire ({scheme}, {args.clients} keep-alive client processes)",
                round(wire),
                f"{n} tokens",
                f"{wire / raw:.0%}",
            ]
        )
        # The command names this run's temporary folder: printed, not written to the docs.
        print(f"wire server: {server_command}")
        wire_note = (
            " The wire figure's server is `python -m tessera.entra serve --ephemeral` in its own "
            f"process{', plain http' if args.http else ''}."
        )
    facts = machine()
    text = (
        f"{HEADING}\n\n"
        f"Measured {facts['date']} on {facts['cpu']}, Python {facts['python']}, commit {facts['commit']}, "
        f"load average {load} at the start. Figures are medians of {args.rounds} alternating rounds, "
        f"{args.seconds:g} s per figure.{wire_note}\n\n"
        f"{markdown_table(['Figure', 'tokens/s', 'rounds', 'of raw signing'], rows)}\n\n"
        f"**The token endpoint issues {rate / raw:.0%} of the tokens raw signing could** "
        "(target: at least 50%). The wire figure shares the machine's cores with its clients.\n\n"
        f"Command: `{command}`\n"
    )
    print(text)
    if not args.no_docs and not args.quick:
        write_doc_section(HEADING, text)
    return 0


def _fmt(values: list[float]) -> str:
    return "/".join(f"{v:.0f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
