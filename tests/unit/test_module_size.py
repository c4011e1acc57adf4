"""No module of tessera over 600 lines, Python or the web UI's JavaScript: a module that grows
past it has more than one job."""

from __future__ import annotations

from pathlib import Path

import tessera

LIMIT = 600


def test_no_module_is_over_the_limit() -> None:
    root = Path(tessera.__file__).parent
    too_long = {
        str(path.relative_to(root)): lines
        for path in [*root.rglob("*.py"), *root.rglob("*.js")]
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert too_long == {}, f"split these by concern: {too_long}"
