"""``tessera.entra`` never imports the rest of tessera (issue 3): checked twice, by importing
every submodule in a fresh interpreter and by reading every import statement."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import tessera.entra

PACKAGE_DIR = Path(tessera.entra.__file__).parent
ALLOWED = ("tessera", "tessera.entra")


def _submodules() -> list[str]:
    # __main__ runs the CLI when imported; the AST check below covers it.
    found = pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="tessera.entra.")
    return ["tessera.entra"] + [m.name for m in found if not m.name.endswith("__main__")]


def test_importing_every_submodule_loads_no_other_tessera_module() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {_submodules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'tessera' or m.startswith('tessera.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    foreign = [m for m in loaded if m not in ALLOWED and not m.startswith("tessera.entra.")]
    assert foreign == []
    assert "tessera.entra.cli" in loaded


def test_no_import_statement_names_another_tessera_module() -> None:
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [
                    f"{node.module}.{a.name}" for a in node.names if node.module == "tessera"
                ]
            for name in names:
                if name.startswith("tessera") and not (name == "tessera" or name.startswith("tessera.entra")):
                    offenders.append(f"{path.name}: {name}")
                if name.startswith("tessera.") and name.split(".")[1] != "entra":
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_import_does_no_work() -> None:
    """Importing the package must not touch TESSERA_HOME or load the web stack."""
    code = "import sys, tessera.entra; print('starlette' in sys.modules, 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
