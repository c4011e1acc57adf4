"""Shared test plumbing: tiers that need a server skip loudly locally and fail in CI."""

from __future__ import annotations

import os

import pytest

REQUIRE_ALL_TIERS = os.environ.get("TESSERA_REQUIRE_ALL_TIERS") == "1"


def tier_unavailable(tier: str, reason: str) -> None:
    """Skip (locally) or fail (CI, TESSERA_REQUIRE_ALL_TIERS=1) a test whose tier cannot run."""
    message = f"{tier} tier cannot run: {reason}"
    if REQUIRE_ALL_TIERS:
        pytest.fail(message + " (TESSERA_REQUIRE_ALL_TIERS=1: every tier must run)", pytrace=False)
    pytest.skip("!!! " + message.upper())
