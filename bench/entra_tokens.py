"""Benchmark: client-credentials tokens per second from tessera.entra's token endpoint, against
raw RS256 signing of the same claims in the same run (target: at least 50% of the raw rate).

    python -m bench.entra_tokens [--seconds 6] [--rounds 3] [--clients 4] [--http] [--no-wire]

Three figures, measured in alternating rounds so that other load on the machine hits them alike:

1. raw: PyJWT ``jwt.encode`` RS256 with a 2048-bit key, one thread;
2. endpoint: the token endpoint called as the ASGI server calls it (one thread, no sockets):
   routing, form parsing, client authentication (secret hash), directory reads, Entra's v1
   claims, RS256. This is the figure the 50% target applies to;
3. wire: ``python -m tessera.entra serve --ephemeral`` in its own process, HTTPS with its
   generated CA (``--http`` for plain), loaded by client threads over keep-alive connections.
   Client and server share the machine's cores, so this one depends on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


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
            scheme = "https" if https else "http"
            base = f"{scheme}://127.0.0.1:{port}"
            verify: ssl.SSLContext | bool = True
            deadline = time.monotonic() + 30
            while True:
                try:
                    if https:
                        verify = ssl.create_default_context(cafile=str(Path(home) / "ca.pem"))
                    httpx.get(f"{base}/common/v2.0/.well-known/openid-configuration", verify=verify)
                    break
                except (httpx.TransportError, FileNotFoundError, ssl.SSLError):
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the emulator did not start") from None
                    time.sleep(0.1)
            url = f"{base}/bench.onmicrosoft.com/oauth2/v2.0/token"
            form = {
                "grant_type": "client_credentials",
                "client_id": "3f1d2c4b-8a6e-4f0d-9b2a-1c3e5d7f9a10",
                "client_secret": secret,
                "scope": "api://bench-api/.default",
            }
            counts = [0] * clients
            stop = threading.Event()

            def worker(index: int) -> None:
                with httpx.Client(verify=verify) as client:
                    while not stop.is_set():
                        response = client.post(url, data=form)
                        if response.status_code != 200:
                            raise RuntimeError(response.text)
                        counts[index] += 1

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
            # Warm up (key loading, connection set-up) before measuring.
            with httpx.Client(verify=verify) as warm:
                for _ in range(20):
                    warm.post(url, data=form).raise_for_status()
            start = time.perf_counter()
            for t in threads:
                t.start()
            time.sleep(seconds)
            stop.set()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
            total = sum(counts)
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="per figure, split over the rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4, help="client threads for the wire figure")
    parser.add_argument("--http", action="store_true", help="wire figure over plain http")
    parser.add_argument("--no-wire", action="store_true", help="skip the wire figure")
    args = parser.parse_args()
    endpoint = InProcessEndpoint()
    endpoint.rate(0.3)  # warm-up: key loading, directory cache
    slice_ = args.seconds / args.rounds
    raws: list[float] = []
    rates: list[float] = []
    for _ in range(args.rounds):
        raws.append(raw_signing_rate(slice_)[0])
        rates.append(endpoint.rate(slice_)[0])
    raw, rate = statistics.median(raws), statistics.median(rates)
    print(f"command: python -m bench.entra_tokens {' '.join(sys.argv[1:])}".rstrip())
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start of report")
    print(f"raw RS256 signing (PyJWT, 2048-bit RSA, one thread):   {raw:7.0f} tokens/s  rounds {_fmt(raws)}")
    print(
        f"token endpoint, client_credentials (ASGI, one thread): {rate:7.0f} tokens/s  rounds {_fmt(rates)}"
    )
    print(f"ratio: {rate / raw:.0%} of raw signing (target >= 50%)")
    if not args.no_wire:
        wire, n, server_command = endpoint_rate(args.seconds / 2, args.clients, https=not args.http)
        print(
            f"over the wire ({'http' if args.http else 'https'}, {args.clients} keep-alive clients, "
            f"server in its own process): {wire:7.0f} tokens/s ({n} tokens; {wire / raw:.0%} of raw)"
        )
        print(f"server command: {server_command}")


def _fmt(values: list[float]) -> str:
    return "/".join(f"{v:.0f}" for v in values)


if __name__ == "__main__":
    main()
