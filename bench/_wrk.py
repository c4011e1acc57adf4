"""wrk as the load generator: a C program from the distribution, so the server, not the client,
is what a throughput figure measures.

httpx client processes on the same two cores as the server spent about as much CPU per request
as tessera did, which capped the throughput they reported. wrk with one thread spends a small
fraction of that. Every run also reads the server's CPU time from /proc, so each figure comes
with the server-side cost per request, which moves much less with the machine's load.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._harness import Server

# Random paths from a file (one per line), picked by a seeded generator: the load generator never
# waits for Python, and two runs with the same seed send the same requests.
GET_SCRIPT = """
local paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(tonumber(args[2]))
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""

_RATE = re.compile(r"Requests/sec:\s+([0-9.]+)")
_TOTAL = re.compile(r"(\d+) requests in ([0-9.]+)(us|ms|s|m)")
_FAILED = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*")
# wrk --latency prints its latency distribution as "50%  1.23ms" lines.
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_TO_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class WrkRun:
    """One wrk run against one server."""

    requests: int
    rate: float  # requests per second, as wrk counts them
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float  # the server's user and system CPU per request, from /proc
    server_written_kib: float  # what the server wrote per request (files and sockets), from /proc


def available() -> bool:
    return shutil.which("wrk") is not None


MISSING = "wrk is not installed (Debian: apt-get install wrk; `make bench` installs it as root)"


def run(
    server: Server,
    script: Path,
    args: Sequence[str],
    *,
    seconds: float,
    connections: int,
    headers: Sequence[str] = (),
) -> WrkRun:
    """``wrk`` with ``script`` against ``server`` for ``seconds``; any answer other than 2xx/3xx,
    and any socket error, fails the run rather than flattering its rate."""
    # One thread: on two cores a second one would take CPU from the server it measures. A generous
    # timeout: on a loaded machine a bulk write may wait seconds for the CPU.
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        str(script),
    ]
    for header in headers:
        command += ["-H", header]
    command += [server.base, "--", *args]
    cpu, written = server.cpu_ns(), server.written_bytes()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    cpu, written = server.cpu_ns() - cpu, server.written_bytes() - written
    rate, total = _RATE.search(done.stdout), _TOTAL.search(done.stdout)
    percentiles = {p: float(value) * _TO_MS[unit] for p, value, unit in _PERCENTILE.findall(done.stdout)}
    if _FAILED.search(done.stdout) or rate is None or total is None or not {"50", "99"} <= percentiles.keys():
        raise RuntimeError(f"wrk against {server.base} failed:\n{done.stdout}\n{done.stderr}")
    requests = int(total.group(1))
    return WrkRun(
        requests=requests,
        rate=float(rate.group(1)),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        server_cpu_ms=cpu / 1e6 / max(1, requests),
        server_written_kib=written / 1024 / max(1, requests),
    )


def get_paths(
    server: Server,
    paths: Sequence[str],
    work: Path,
    *,
    seconds: float,
    connections: int,
    seed: int,
    headers: Sequence[str] = (),
) -> WrkRun:
    """GET random ``paths`` (seeded) for ``seconds`` over ``connections`` keep-alive connections."""
    script, listing = work / "get.lua", work / f"paths-{seed}.txt"
    script.write_text(GET_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    return run(
        server,
        script,
        [str(listing), str(seed)],
        seconds=seconds,
        connections=connections,
        headers=headers,
    )
