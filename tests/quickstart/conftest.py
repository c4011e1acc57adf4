"""Running the real ``tessera quickstart`` as a user would: a subprocess on free ports, its
state in a temporary home, its output read line by line."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.servers import free_port

READY = "Ctrl-C to stop."


@dataclass
class Quickstart:
    """One quickstart home and its ports, shared by the module's tests (each run takes seconds)."""

    home: Path
    port: int
    idp_port: int

    def command(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tessera",
            "quickstart",
            "--home",
            str(self.home),
            "--port",
            str(self.port),
            "--idp-port",
            str(self.idp_port),
            *extra,
        ]

    def env(self) -> dict[str, str]:
        # Nothing may reach the real ~/.tessera; a wide terminal keeps Rich from wrapping.
        return {**os.environ, "TESSERA_HOME": str(self.home.parent / "tessera-home"), "COLUMNS": "200"}

    def run(self, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*extra), env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )

    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.home / "quickstart.json").read_text())
        return data

    def secrets(self) -> dict[str, str]:
        values = {}
        for line in (self.home / "secrets.env").read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and not name.startswith("#"):
                values[name] = shlex.split(value)[0]
        return values

    def children(self) -> dict[str, int]:
        """The processes quickstart.json says are running (each leads a session of its own)."""
        try:
            running: dict[str, int] = self.record().get("running") or {}
        except (OSError, ValueError):
            return {}
        return running


@dataclass
class Foreground:
    """A quickstart left running (no --exit-after-setup), its output collected by a thread."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"exited ({self.process.wait()}) before {text!r}:\n{self.output}")
            self.lines.append(line)
            if text in line:
                return

    def finish(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self.drain()
        return code

    def drain(self) -> None:
        """Read what is left once the process has exited, then close the pipe."""
        if self.process.stdout is None or self.process.stdout.closed:
            return
        while (line := self._queue.get(timeout=10)) is not None:
            self.lines.append(line)
        self.process.stdout.close()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Quickstart:
    return Quickstart(tmp_path_factory.mktemp("quickstart") / "state", free_port(), free_port())


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def foreground(quickstart: Quickstart) -> Iterator[Any]:
    started: list[Foreground] = []

    def start(*extra: str) -> Foreground:
        # As a background job, nohup or a CI runner starts it: with SIGINT ignored (the shell's
        # `trap '' INT` is inherited through exec), in a process group of its own.
        command = shlex.join(quickstart.command(*extra))
        process = subprocess.Popen(
            ["sh", "-c", f"trap '' INT; exec {command}"],
            env=quickstart.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        running = Foreground(process)
        started.append(running)
        return running

    yield start
    for running in started:
        children = quickstart.children()
        # A failed test must not leave servers behind: SIGINT first, the clean way out; then
        # the quickstart's whole process group, and each child's (they run in sessions of
        # their own, so that a terminal's Ctrl-C reaches the quickstart only).
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGINT)
            try:
                running.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill_group(running.process.pid)
                running.process.wait()
        for pid in children.values():
            if pid != running.process.pid:
                _kill_group(pid)
        running.drain()
