"""Shared test plumbing: tiers that need a server skip loudly locally and fail in CI."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REQUIRE_ALL_TIERS = os.environ.get("TESSERA_REQUIRE_ALL_TIERS") == "1"


def tier_unavailable(tier: str, reason: str) -> None:
    """Skip (locally) or fail (CI, TESSERA_REQUIRE_ALL_TIERS=1) a test whose tier cannot run."""
    message = f"{tier} tier cannot run: {reason}"
    if REQUIRE_ALL_TIERS:
        pytest.fail(message + " (TESSERA_REQUIRE_ALL_TIERS=1: every tier must run)", pytrace=False)
    pytest.skip("!!! " + message.upper())


# Debian's package installs `chromium`; other distributions call it `chromium-browser`.
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    """``TESSERA_CHROMIUM`` when set (and then it must exist), else the first on PATH."""
    chosen = os.environ.get("TESSERA_CHROMIUM")
    if chosen:
        if not Path(chosen).is_file():
            pytest.fail(f"TESSERA_CHROMIUM={chosen} is not a file")
        return chosen
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """The one Playwright of the test session.

    Playwright's sync API keeps an event loop running in this thread for as long as it is open,
    so a second ``sync_playwright()`` in the same process fails: every browser test shares this.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver
