"""A served app moves what its start-up made out of the garbage collector's reach (gc.freeze), so
that full collections during requests walk only what requests make; an app built in a test does not."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings


def test_a_served_app_freezes_its_start_up_heap_and_a_test_app_does_not(settings: Settings) -> None:
    gc.unfreeze()
    try:
        with TestClient(create_app(settings)) as client:
            assert client.get("/api/v1/system/version").status_code == 200
            assert gc.get_freeze_count() == 0
        with TestClient(create_app(settings, freeze_heap=True)) as client:
            assert client.get("/api/v1/system/version").status_code == 200
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
