"""``tessera.entra`` never imports the rest of tessera (issue 3): checked twice, by importing
every submodule in a fresh interpreter and by reading every import statement."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def _is_foreign(name: str) -> bool:
    return name.startswith("tessera.") and not (name == "tessera.entra" or name.startswith("tessera.entra."))


def foreign_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """The modules of tessera outside ``tessera.entra`` that ``source`` (the text of ``module``)
    imports, wherever the statement is (a lazy import inside a function counts). Relative imports
    are resolved against the module's package, as the import system does (``importlib.util.
    resolve_name``); one that climbs above the top-level package is reported too."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                if node.level - 1 >= len(parts):
                    found.append(f"{'.' * node.level}{node.module or ''}: beyond the top-level package")
                    continue
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            # `from X import y` may import the submodule X.y: check it when X itself is allowed.
            names = [target] if _is_foreign(target) else [f"{target}.{a.name}" for a in node.names]
        found.extend(name for name in names if _is_foreign(name))
    return found


def test_no_import_statement_names_another_tessera_module() -> None:
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        relative = path.relative_to(PACKAGE_DIR).with_suffix("")
        is_package = relative.name == "__init__"
        parts = relative.parts[:-1] if is_package else relative.parts
        module = ".".join(("tessera", "entra", *parts))
        offenders += [
            f"{path.name}: {name}"
            for name in foreign_imports(path.read_text(), module, is_package=is_package)
        ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        # A lazy relative import climbing out of the package is caught...
        ("def f():\n    from ...auth import x\n", "tessera.entra.endpoints.token", False, ["tessera.auth"]),
        ("from ... import auth\n", "tessera.entra.endpoints.token", False, ["tessera.auth"]),
        ("from .. import config\n", "tessera.entra", True, ["tessera.config"]),
        ("import tessera.storage.session\n", "tessera.entra.app", False, ["tessera.storage.session"]),
        ("from tessera import auth\n", "tessera.entra.app", False, ["tessera.auth"]),
        ("from ..... import x\n", "tessera.entra.app", False, [".....: beyond the top-level package"]),
        # ... while imports inside tessera.entra, relative or not, are fine.
        ("from . import claims\nfrom .grants import base\n", "tessera.entra.app", False, []),
        ("from .. import errors\n", "tessera.entra.grants", True, []),
        ("from ..scopes import parse\n", "tessera.entra.grants.base", False, []),
        ("from tessera.entra import tokens\nimport tessera.entra.keys\n", "tessera.entra.app", False, []),
    ],
)
def test_the_import_checker(source: str, module: str, is_package: bool, expected: list[str]) -> None:
    assert foreign_imports(source, module, is_package=is_package) == expected


def test_import_does_no_work() -> None:
    """Importing the package must not touch TESSERA_HOME or load the web stack."""
    code = "import sys, tessera.entra; print('starlette' in sys.modules, 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
