"""What the quickstart may import: the emulator only through its public face, ``tessera.ingest``
through its entry point, nothing of the CLI, and the server's own code in one module only
(``catalog.py``, which configures the server in process before starting it)."""

from __future__ import annotations

from pathlib import Path

import tessera.entra
import tessera.quickstart
from tests.ingest.test_isolation import imported_names

PACKAGE_DIR = Path(tessera.quickstart.__file__).parent
SERVER_SIDE = ("tessera.config", "tessera.bootstrap", "tessera.auth", "tessera.errors", "tessera.catalog")


def imports() -> dict[str, list[str]]:
    return {path.name: imported_names(path, "tessera.quickstart") for path in PACKAGE_DIR.glob("*.py")}


def test_the_emulator_only_through_its_public_face() -> None:
    public = {f"tessera.entra.{name}" for name in tessera.entra.__all__} | {"tessera.entra"}
    used = {
        (module, name)
        for module, names in imports().items()
        for name in names
        if name.startswith("tessera.entra")
    }
    assert used
    assert {(module, name) for module, name in used if name not in public} == set()


def test_no_cli_and_the_server_in_one_module() -> None:
    found = imports()
    assert [(m, n) for m, names in found.items() for n in names if n.startswith("tessera.cli")] == []
    server = {m for m, names in found.items() for n in names if n.startswith(SERVER_SIDE)}
    assert server == {"catalog.py"}
    assert "tessera.ingest" in found["run.py"]
