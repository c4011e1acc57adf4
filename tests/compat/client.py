"""OpenMetadata's own client, run from tessera's tests: the ``metadata`` CLI and the SDK worker.

Both run in ``.venv-compat`` (``make compat-venv``), a virtualenv holding only
openmetadata-ingestion 2.0.7.0 and its dependencies, so that nothing of tessera's leaks into
what the client sees.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPAT_VENV = REPO_ROOT / ".venv-compat"
COMPAT_BIN = COMPAT_VENV / "bin"
WORKER = Path(__file__).with_name("sdk_worker.py")
# Generous: on a loaded 2-core machine importing the client alone takes 5-15 s.
CALL_TIMEOUT_S = 180


@dataclass(frozen=True)
class CompatServer:
    """A running ``tessera serve``, its ingestion bot's JWT (what the client sends), and an
    administrator's session for setting up and reading back what the client wrote."""

    base_url: str
    token: str
    admin_token: str

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}


def hosted_api(base_url: str) -> str:
    """The client's ``hostPort``: it must end in ``/api`` (the client only appends ``/v1``)."""
    return f"{base_url}/api"


def client_environment() -> dict[str, str]:
    # Only what a process needs to run; none of tessera's TESSERA_* settings.
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {key: os.environ[key] for key in keep if key in os.environ} | {"PYTHONUNBUFFERED": "1"}


# -- metadata ingest ----------------------------------------------------------------------


@dataclass(frozen=True)
class IngestRun:
    returncode: int
    output: str
    workflow: dict[str, Any]

    def explain(self) -> str:
        return f"metadata ingest exited {self.returncode}; its output ends with:\n{self.output[-6000:]}"


def sqlite_workflow(
    base_url: str,
    token: str,
    *,
    service: str,
    database: str,
    source_file: Path | None,
    pipeline_fqn: str | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """A metadata workflow for a SQLite file, as the reference documents it.

    Without ``source_file`` the workflow has no ``serviceConnection`` and the client reads the
    connection back from the service stored in tessera. With ``pipeline_fqn`` and ``run_id``
    the client creates that ingestion pipeline and reports the run's status, progress and logs.
    """
    source: dict[str, Any] = {
        "type": "sqlite",
        "serviceName": service,
        "sourceConfig": {"config": {"type": "DatabaseMetadata"}},
    }
    if source_file is not None:
        # `database` must be set: without it every FQN the client builds has a `None` in it.
        source["serviceConnection"] = {
            "config": {"type": "SQLite", "database": database, "databaseMode": str(source_file)}
        }
    workflow: dict[str, Any] = {
        "source": source,
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "loggerLevel": "INFO",
            "openMetadataServerConfig": {
                "hostPort": hosted_api(base_url),
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": token},
            },
        },
    }
    if pipeline_fqn is not None:
        workflow |= {
            "ingestionPipelineFQN": pipeline_fqn,
            "pipelineRunId": run_id,
            "enableStreamableLogs": True,
        }
    return workflow


def metadata_ingest(workflow: dict[str, Any], workdir: Path, label: str) -> IngestRun:
    """``metadata ingest -c <file>``; the output is kept next to the workflow for post-mortems."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / f"{label}.yaml"
    config.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    completed = subprocess.run(
        [str(COMPAT_BIN / "metadata"), "ingest", "-c", str(config)],
        env=client_environment(),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT_S,
        check=False,
    )
    output = completed.stdout + completed.stderr
    (workdir / f"{label}.log").write_text(output, encoding="utf-8")
    return IngestRun(completed.returncode, output, workflow)


# -- the SDK --------------------------------------------------------------------------------


class SdkError(Exception):
    """The SDK raised: ``kind`` is the exception class, e.g. APIError or ValidationError."""

    def __init__(self, error: dict[str, Any]) -> None:
        self.kind: str = error["type"]
        self.status: int | None = error.get("status")
        self.detail: str = error["message"]
        super().__init__(f"{self.kind} (status {self.status}): {self.detail}\n{error.get('traceback', '')}")


class Sdk:
    """One ``OpenMetadata`` SDK client living in a ``.venv-compat`` worker process.

    ``sdk.call("get_by_name", entity="table", fqn="svc.db.sch.t", fields=["*"])`` runs the SDK
    method of that name (see sdk_worker.py) and returns the entity it parsed, as JSON data.
    """

    def __init__(self, base_url: str, token: str, log_path: Path) -> None:
        self._log_path = log_path
        self._log = log_path.open("w", encoding="utf-8")
        env = client_environment() | {
            "COMPAT_OM_HOST_PORT": hosted_api(base_url),
            "COMPAT_OM_JWT_TOKEN": token,
        }
        self._process = subprocess.Popen(
            [str(COMPAT_BIN / "python"), str(WORKER)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout, selectors.EVENT_READ)

    @property
    def _stdin(self) -> IO[str]:
        assert self._process.stdin is not None
        return self._process.stdin

    @property
    def _stdout(self) -> IO[str]:
        assert self._process.stdout is not None
        return self._process.stdout

    def call(self, op: str, **arguments: Any) -> Any:
        self._stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self._stdin.flush()
        if not self._selector.select(timeout=CALL_TIMEOUT_S):
            raise TimeoutError(f"the SDK worker did not answer {op} within {CALL_TIMEOUT_S} s{self._tail()}")
        line = self._stdout.readline()
        if not line:
            raise RuntimeError(f"the SDK worker exited ({self._process.poll()}) during {op}{self._tail()}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise SdkError(reply["error"])
        return reply["result"]

    def _tail(self) -> str:
        self._log.flush()
        return "; its log ends with:\n" + self._log_path.read_text(encoding="utf-8")[-4000:]

    def close(self) -> None:
        self._selector.close()
        self._stdin.close()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stdout.close()
        self._log.close()
