"""``tessera.ingest`` stands on the catalog's HTTP API alone: it imports only itself,
``tessera.contract`` (OpenMetadata's schemas as data), ``tessera.microsoft`` (Microsoft's
sign-in hosts) and ``tessera.__version__``. Checked by importing every module in a fresh
interpreter and by reading every import statement (a lazy one inside a function counts)."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import tessera.ingest

PACKAGE_DIR = Path(tessera.ingest.__file__).parent
ALLOWED = ("tessera.ingest", "tessera.contract", "tessera.microsoft")


def allowed(module: str) -> bool:
    return module == "tessera" or any(module == a or module.startswith(f"{a}.") for a in ALLOWED)


def imported_names(path: Path, package: str) -> list[str]:
    """Every tessera name ``path`` imports (``from X import y`` counts as ``X.y``: y may be a
    module), lazy imports included; relative imports resolved against ``package``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found += [base if alias.name == "__version__" else f"{base}.{alias.name}" for alias in node.names]
    return [name for name in found if name == "tessera" or name.startswith("tessera.")]


def test_no_import_statement_names_the_server() -> None:
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        relative = path.relative_to(PACKAGE_DIR).with_suffix("")
        package = ".".join(("tessera", "ingest", *relative.parts[:-1]))
        offenders += [f"{relative}: {name}" for name in imported_names(path, package) if not allowed(name)]
    assert offenders == []


def test_importing_every_module_loads_nothing_of_the_server() -> None:
    modules = ["tessera.ingest"] + [
        m.name for m in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="tessera.ingest.")
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'tessera' or m.startswith('tessera.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "tessera.ingest.sources.sqlite" in loaded
    assert [m for m in loaded if not allowed(m)] == []
