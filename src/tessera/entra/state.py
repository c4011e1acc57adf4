"""What one running emulator holds: its settings, the store and the signing keys.

Built by ``create_emulator_app`` and injected into every endpoint through ``request.app.state``;
nothing is created at import.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import Scope

from tessera.entra.faults import offset
from tessera.entra.keys import KeyRing
from tessera.entra.pages import Pages
from tessera.entra.settings import EmulatorSettings
from tessera.entra.store import Store


@dataclass
class EmulatorState:
    settings: EmulatorSettings
    store: Store
    keys: KeyRing
    pages: Pages
    admin_token: str | None = None
    """What the admin API's callers must present; None when it is off."""
    identity_header: str | None = None
    """App Service's ``IDENTITY_HEADER``: what managed identity callers of ``/msi/token`` present."""

    def now(self) -> float:
        """The clock's time, moved by the clock offset fault (``faults.py``) if one is set."""
        with self.store.unit() as unit:
            moved = self.store.cached(("clock-offset",), lambda: offset(unit.session))
        return self.settings.clock.now() + moved

    def origin_of(self, scope: Scope, headers: dict[str, str]) -> str:
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return f"{scope['scheme']}://{headers.get('host', 'localhost')}"

    def origin(self, request: Request) -> str:
        """The scheme+host+port that issuers and endpoints are built on (see settings)."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        # From the scope and the Host header directly: building request.url costs more than the
        # rest of a cached token request.
        host = request.headers.get("host")
        if host:
            return f"{request.scope['scheme']}://{host}"
        return f"{request.url.scheme}://{request.url.netloc}"


def emulator(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state
