"""The same workflow YAML works with OpenMetadata's own `metadata ingest` 2.0.7, and both clients
put the same tables, column types and keys in the catalog."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import Result

from tests.conftest import tier_unavailable
from tests.ingest.conftest import sqlite_workflow
from tests.ingest.test_ingest_sqlite import ok

METADATA = Path(__file__).resolve().parents[2] / ".venv-compat" / "bin" / "metadata"


def shape(api: httpx.Client, service: str, name: str) -> dict[str, Any]:
    body = api.get(f"/tables/name/{service}.testdb.main.{name}", params={"fields": "tableConstraints"}).json()
    constraints = [
        {**c, "referredColumns": [r.replace(f"{service}.", "SVC.") for r in c.get("referredColumns") or []]}
        for c in body.get("tableConstraints") or []
    ]
    return {
        "tableType": body["tableType"],
        "columns": [(c["name"], c["dataType"], c.get("constraint")) for c in body["columns"]],
        "tableConstraints": sorted(constraints, key=lambda c: (c["constraintType"], c["columns"])),
    }


@pytest.mark.compat
@pytest.mark.slow
def test_metadata_ingest_accepts_the_same_yaml_and_agrees(
    ingest: Callable[..., Result],
    api: httpx.Client,
    catalog: str,
    sqlite_db: Path,
    service_name: str,
    tmp_path: Path,
) -> None:
    if not METADATA.exists():
        tier_unavailable("compat", f"{METADATA} is missing; run `make compat-venv`")
    ours, theirs = f"{service_name}_tessera", f"{service_name}_om"
    ok(ingest(sqlite_workflow(ours, sqlite_db, catalog)))
    config = tmp_path / "om.yaml"
    config.write_text(yaml.safe_dump(sqlite_workflow(theirs, sqlite_db, catalog), sort_keys=False))
    run = subprocess.run(
        [str(METADATA), "ingest", "-c", str(config)], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    differences = {}
    for name in ("customers", "orders", "order_items", "tmp_scratch", "big_orders"):
        mine, om = shape(api, ours, name), shape(api, theirs, name)
        if mine != om:
            differences[name] = (mine, om)
    # The one difference: SQLAlchemy's SQLite reflection misses an inline UNIQUE on a
    # parameterised type (`email VARCHAR(120) NOT NULL UNIQUE`); OpenMetadata inherits that,
    # tessera reads the automatic index.
    expected = shape(api, ours, "customers")
    expected["columns"][1] = ("email", "VARCHAR", "NOT_NULL")
    assert differences == {"customers": (shape(api, ours, "customers"), expected)}
