"""``tessera.catalog`` (but for its routes) and ``tessera.storage`` know nothing of the web: no
web framework, no ``tessera.api``, no ``tessera.auth``. Checked by reading every import statement
(lazy ones included) and by importing every module in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tessera

SOURCE = Path(tessera.__file__).parent
PACKAGES = ("catalog", "storage")
# The one module of the catalog that is about HTTP: its generic routes.
WEB_FACING = {"tessera.catalog.routes"}
FORBIDDEN = ("fastapi", "starlette", "tessera.api", "tessera.auth")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((SOURCE / package).rglob("*.py")):
            parts = path.relative_to(SOURCE).with_suffix("").parts
            name = ".".join(("tessera", *(parts[:-1] if parts[-1] == "__init__" else parts)))
            if name not in WEB_FACING:
                found.append((name, path))
    return found


def _forbidden(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in FORBIDDEN)


def imported_names(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from tessera import auth` names the package in the alias.
            names.extend([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
    return names


def test_no_module_imports_the_web_or_authentication() -> None:
    offenders = [
        f"{name}: {imported}"
        for name, path in _modules()
        for imported in imported_names(path.read_text())
        if _forbidden(imported)
    ]
    assert offenders == []


def test_importing_them_loads_no_web_module() -> None:
    names = [name for name, _ in _modules() if ".migrations" not in name]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert [name for name in loaded if _forbidden(name)] == []
    assert "tessera.catalog.service" in loaded


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tessera import auth\n", True),
        ("def f():\n    from starlette.responses import Response\n", True),
        ("import fastapi\n", True),
        ("from tessera.api.route_helpers import render\n", True),
        ("from tessera.catalog import fqn\nimport sqlalchemy\n", False),
        ("from tessera.authority import x\n", False),
    ],
)
def test_the_import_checker(source: str, expected: bool) -> None:
    assert any(_forbidden(name) for name in imported_names(source)) is expected
