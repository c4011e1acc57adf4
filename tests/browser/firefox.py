"""Debian's Firefox driven over WebDriver BiDi (Firefox's built-in remote protocol), for the
UI's Firefox check. Playwright's Python API only drives its own patched Firefox builds, which
this project never downloads; BiDi needs nothing but the browser and a websocket.

Firefox trusts tessera.entra's HTTPS through the profile's ``cert_override.txt`` (what "Accept
the risk and continue" writes): an exception for that host and port and that one certificate,
as Chromium's ``--ignore-certificate-errors-spki-list`` is for one key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.exceptions import InvalidHandshake
from websockets.sync.client import ClientConnection, connect

FIREFOX = "firefox-esr"


def firefox_path() -> str | None:
    return shutil.which(FIREFOX) or shutil.which("firefox")


class Firefox:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.log: list[dict[str, Any]] = []
        self.context = ""

    def command(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        wanted = self.next_id
        self.ws.send(json.dumps({"id": wanted, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("method") == "log.entryAdded":
                self.log.append(message["params"])
            elif message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}: {message.get('message')}")
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.command(
            "script.evaluate",
            {"expression": expression, "target": {"context": self.context}, "awaitPromise": True},
        )
        if result.get("type") == "exception":
            raise RuntimeError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> None:
        """Polls until true; across page loads, when an evaluation can meet a document that is
        going away."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.evaluate(expression):
                    return
                failure = None
            except RuntimeError as error:
                failure = error
            if time.monotonic() > deadline:
                raise TimeoutError(f"Firefox: still false after {timeout} s: {expression}") from failure
            time.sleep(0.1)

    def goto(self, url: str) -> None:
        self.command("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def screenshot(self, path: str) -> None:
        data = self.command("browsingContext.captureScreenshot", {"context": self.context})["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))

    def errors(self) -> list[str]:
        return [f"{e.get('level')}: {e.get('text')}" for e in self.log if e.get("level") in ("error", "warn")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def certificate_exception(host_port: str, certificate_der: bytes) -> str:
    """One line of ``cert_override.txt``: host:port, origin attributes (none), the SHA-256
    fingerprint's algorithm and value, and an empty database key."""
    fingerprint = ":".join(f"{b:02X}" for b in hashlib.sha256(certificate_der).digest())
    return f"{host_port}:\tOID.2.16.840.1.101.3.4.2.1\t{fingerprint}\t\n"


@contextmanager
def firefox(executable: str, *, trusted: Sequence[tuple[str, bytes]] = ()) -> Iterator[Firefox]:
    """Headless Firefox with a fresh profile; ``trusted``: (host:port, DER certificate) pairs
    whose certificate it accepts there."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="tessera-firefox-") as profile:
        if trusted:
            overrides = "".join(certificate_exception(where, der) for where, der in trusted)
            Path(profile, "cert_override.txt").write_text("# PRIVATE FILE\n" + overrides)
        process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-remote",
                "--profile",
                profile,
                "--remote-debugging-port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    ws = connect(f"ws://127.0.0.1:{port}/session", max_size=64 * 1024 * 1024)
                    break
                except (OSError, InvalidHandshake):
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.2)
            with ws:
                browser = Firefox(ws)
                browser.command("session.new", {"capabilities": {}})
                browser.command("session.subscribe", {"events": ["log.entryAdded"]})
                browser.context = browser.command("browsingContext.getTree", {})["contexts"][0]["context"]
                yield browser
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
