"""The two long-running children (the emulator and the catalog server): start, wait, stop.

They run in sessions of their own, so a Ctrl-C in the terminal reaches only the quickstart,
which then stops them in order (SIGTERM, a grace period, SIGKILL): nothing is left behind
listening on a port, and each child gets uvicorn's clean shutdown.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tessera.quickstart.catalog import server_environment_keys
from tessera.quickstart.errors import QuickstartError

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_LINES = 25


def check_port(port: int, what: str, flag: str) -> None:
    """Fail early, naming the port and the option that changes it, rather than after the
    child has started and died with uvicorn's 'address already in use'."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: SO_REUSEADDR, so a port left in TIME_WAIT by a previous run counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise QuickstartError(
                    f"port {port} ({what}) is in use: another program listens there "
                    "(perhaps a quickstart still running in another terminal)",
                    fix=f"Stop that program, or choose another port: tessera quickstart {flag} {port + 1}",
                ) from None
            raise


def child_environment(**extra: str) -> dict[str, str]:
    """This environment without tessera's configuration variables (the children read their
    configuration from the files the quickstart writes, never from a stray export such as
    TESSERA_DATABASE_URL or AUTHENTICATION_PROVIDER), and without the CA overrides that would
    make requests ignore the emulator's CA."""
    drop = server_environment_keys() | {
        "TESSERA_ENTRA_HOME",
        "TESSERA_CONFIG_FILE",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def died(self, doing: str, fix: str) -> QuickstartError:
        tail = self.tail()
        shown = f"\n--- last lines of {self.log} ---\n{tail}" if tail else ""
        return QuickstartError(
            f"{self.name} {doing} (exit code {self.process.returncode}){shown}", fix=fix, log=self.log
        )

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spawn(name: str, command: list[str], log: Path, env: Mapping[str, str]) -> Child:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(command)}\n".encode())
        out.flush()
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            start_new_session=True,
        )
    return Child(name, process, log)


def start_emulator(home: Path, port: int, log: Path) -> Child:
    command = [sys.executable, "-m", "tessera.entra", "--home", str(home), "serve", "--port", str(port)]
    return spawn("tessera.entra", command, log, child_environment())


def start_server(config: Path, home: Path, port: int, log: Path) -> Child:
    command = [sys.executable, "-m", "tessera", "serve", "--config", str(config), "--port", str(port)]
    # TESSERA_HOME as well as `home:` in the file: the variable would win over the file.
    # No load balancer to drain for: a local demo stops at once (observability.lifecycle).
    environment = child_environment(TESSERA_HOME=str(home), TESSERA_SHUTDOWN_DRAIN_SECONDS="0")
    return spawn("tessera serve", command, log, environment)


def wait_until(child: Child, ready: Callable[[], bool], *, doing: str, fix: str) -> float:
    """Poll ``ready`` until it is true; returns the seconds it took. Fails with the child's log
    if it exits or does not answer within START_TIMEOUT_S."""
    started = time.monotonic()
    while True:
        if not child.alive():
            raise child.died(f"exited while {doing}", fix)
        try:
            if ready():
                return time.monotonic() - started
        except (httpx.TransportError, ssl.SSLError, OSError):
            pass
        if time.monotonic() - started > START_TIMEOUT_S:
            child.stop()
            raise child.died(f"did not answer within {START_TIMEOUT_S:.0f} s while {doing}", fix)
        time.sleep(0.1)
