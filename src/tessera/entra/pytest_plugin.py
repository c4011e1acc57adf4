"""pytest fixtures for tests against ``tessera.entra``, registered under the ``pytest11`` entry
point (``tessera_entra``): installing tessera makes them available to any project's tests.

- ``entra_emulator`` (session): a real HTTPS emulator on a free port, state in memory
  (:func:`tessera.entra.testing.running_emulator`), for clients that need a URL: MSAL with
  ``http_client=entra_emulator.http_client()``, browsers, subprocesses.
- ``entra_tenant``: a fresh demo tenant in ``entra_emulator`` (the Azure SSO guide's apps,
  secret and users; :class:`tessera.entra.testing.DemoTenant`), a new domain per test, so tests
  sharing the session's emulator do not see each other's changes.
- ``entra_in_process``: an emulator of the test's own with no socket
  (:func:`tessera.entra.testing.in_process_emulator`): ``entra_in_process.client()`` is an
  ``httpx.Client`` on it, ``http_client()`` the same for MSAL.

pytest imports this module at start-up in every project where tessera is installed, so it does
nothing at import: the emulator's modules load when a fixture is first used.
``-p no:tessera_entra`` turns the plugin off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tessera.entra.testing import DemoTenant, InProcessEmulator, RunningEmulator


@pytest.fixture(scope="session")
def entra_emulator() -> Iterator[RunningEmulator]:
    """One HTTPS emulator for the test session."""
    from tessera.entra.testing import running_emulator

    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
def entra_tenant(entra_emulator: RunningEmulator) -> DemoTenant:
    """A fresh demo tenant in the session's emulator."""
    return entra_emulator.build_demo_tenant(domain=f"t{uuid.uuid4().hex[:12]}.onmicrosoft.com")


@pytest.fixture
def entra_in_process() -> Iterator[InProcessEmulator]:
    """An emulator for this test alone, in process, reached without sockets."""
    from tessera.entra.testing import in_process_emulator

    with in_process_emulator() as emulator:
        yield emulator
