"""Typed settings of one emulator process, built once and injected.

``TESSERA_HOME`` (default ``~/.tessera``) is read here rather than through ``tessera.config``:
this package must not import the rest of tessera. The emulator keeps its files under
``$TESSERA_HOME/entra/``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tessera.entra.clock import Clock, SystemClock

DEFAULT_PORT = 8443


@dataclass(frozen=True)
class Lifetimes:
    """Token lifetimes in seconds, Entra's defaults (``configurable-token-lifetimes``)."""

    # Entra answers expires_in=3599 for a one-hour token; MSAL.js treats a missing value as 0.
    access_token: int = 3599
    id_token: int = 3600
    # "Authorization codes are short lived, typically expiring after about 10 minutes."
    authorization_code: int = 600
    # Refresh tokens: 90 days of inactivity, except for single-page apps, whose tokens have a
    # fixed 24 h lifetime from sign-in that redemption never extends (AADSTS700084).
    refresh_token_inactivity: int = 90 * 24 * 3600
    spa_refresh_token: int = 24 * 3600
    # The sign-in session behind prompt=none.
    session: int = 24 * 3600
    # Client assertions are accepted for at most this long past their `exp` (clock skew).
    clock_skew: int = 300
    # Device codes: Entra's expires_in and polling interval (v2-oauth2-device-code).
    device_code: int = 900
    device_code_interval: int = 5


@dataclass(frozen=True)
class EmulatorSettings:
    home: Path
    """The emulator's own directory: ``$TESSERA_HOME/entra``."""
    ephemeral: bool = False
    """Keep the directory state (tenants, apps, keys) in memory instead of SQLite on disk."""
    https: bool = True
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None
    """Fixes the scheme+host+port used in issuers and endpoints. Unset, each request's own
    origin is used, so a client that reaches the emulator as ``localhost`` and one that uses
    ``127.0.0.1`` each see an issuer that matches its authority (MSAL.js and MSAL Python
    compare them)."""
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    clock: Clock = field(default_factory=SystemClock)
    admin_api: bool = True
    """Serve the admin REST API under ``/admin``; it asks for the admin token (``admin.py``)."""

    @property
    def database_url(self) -> str:
        if self.ephemeral:
            return "sqlite://"
        return f"sqlite:///{self.home / 'entra.db'}"

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"


def tessera_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("TESSERA_HOME") or "~/.tessera").expanduser()


def default_entra_home(environ: Mapping[str, str] | None = None) -> Path:
    return tessera_home(environ) / "entra"


def load_settings(
    *,
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: object,
) -> EmulatorSettings:
    """Settings from ``TESSERA_HOME`` and explicit overrides (command-line options, tests)."""
    resolved = home if home is not None else default_entra_home(environ)
    values = {k: v for k, v in overrides.items() if v is not None}
    return EmulatorSettings(home=resolved.expanduser(), **values)  # type: ignore[arg-type]


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_unsafe_bind(settings: EmulatorSettings) -> None:
    """Plain http only on the loopback interface: on any other address client secrets,
    passwords, codes and tokens would cross the network in clear. Raises ``ValueError``."""
    if not settings.https and not is_loopback(settings.host):
        raise ValueError(
            f"plain http on {settings.host} would send secrets and tokens in clear over the network: "
            "drop --http (HTTPS with the emulator's CA), or listen on 127.0.0.1."
        )
