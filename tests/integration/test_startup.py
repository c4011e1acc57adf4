"""Several tessera processes starting at once on one new SQLite database: one migrates and
bootstraps, the others wait and find it done (one first admin, one password file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

START = """
from tessera.bootstrap import build_container, start
from tessera.config import load_settings
created = start(build_container(load_settings()))
print("ADMIN" if created.admin_password else "NONE")
"""


def test_concurrent_first_starts_on_sqlite(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TESSERA_HOME": str(tmp_path),
        "TESSERA_DATABASE_URL": f"sqlite:///{tmp_path / 'tessera.db'}",
        "AUTHENTICATION_PROVIDER": "basic",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], [err for _, err in outcomes]
    assert sorted(out.strip() for out, _ in outcomes) == ["ADMIN", "NONE", "NONE"]
    assert (tmp_path / "initial-admin-password").read_text().strip()
