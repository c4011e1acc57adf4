"""Redirect URI matching (``reply-url``: "Redirect URI (reply URL) outline and restrictions").

- The match is exact and case-sensitive, query string included.
- For ``http://localhost`` and ``http://127.0.0.1`` the port is ignored, so native apps can
  listen on any free port.
- A registered URI without a path matches the same URI with ``/`` (Entra adds the slash).

The platform the URI is registered under (``spa``, ``web``, ``publicClient``) decides how the
code may be redeemed (SPA Origin rules, client authentication).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from tessera.entra.models import Application

_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _canonical(uri: str) -> str:
    parts = urlsplit(uri)
    path = parts.path or "/"
    netloc = parts.netloc
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1"):
        host = parts.netloc.rsplit("@", 1)[-1]
        netloc = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if netloc.startswith("[") and "]:" in host:
            netloc = host.split("]:")[0] + "]"
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def match(app: Application, uri: str) -> str | None:
    """The platform (``spa``, ``web`` or ``publicClient``) ``uri`` is registered under, or None."""
    wanted = _canonical(uri)
    for platform, registered in (
        ("spa", app.spa_redirect_uris),
        ("web", app.web_redirect_uris),
        ("publicClient", app.public_client_redirect_uris),
    ):
        if any(_canonical(r) == wanted for r in registered):
            return platform
    return None


def is_registered_anywhere(apps: list[Application], uri: str) -> bool:
    return any(match(app, uri) is not None or (app.logout_url and app.logout_url == uri) for app in apps)
