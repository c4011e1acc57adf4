"""Serving under a sub-path behind a reverse proxy (``server.rootPath``, e.g. ``/catalog``).

ASGI puts the sub-path in ``scope["root_path"]`` and, as Starlette expects it, keeps it at the
front of ``scope["path"]``; routing then matches what follows it. Proxies differ in whether they
strip the prefix before forwarding, and probes and scrapers call the pod directly without it, so
both forms are accepted: a path that lacks the prefix gets it. (uvicorn's own ``--root-path``
only prepends, which would double the prefix of a proxy that keeps it.)

Every decision about a request (public or not, a UI page or not, the body limit) is taken on
:func:`route_path`, the path below the root, exactly as the router sees it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


def route_path(scope: Scope) -> str:
    """The path the router dispatches on: ``scope["path"]`` without the root path."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


def raw_route_path(scope: Scope) -> str:
    """The raw (undecoded) request path without the root path."""
    raw = scope.get("raw_path")
    if not isinstance(raw, bytes):
        return route_path(scope)
    path = raw.decode("latin-1")
    root: str = scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


class RootPath:
    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root = root_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.root:
            path: str = scope["path"]
            if not (path == self.root or path.startswith(self.root + "/")):
                scope["path"] = self.root + path
                raw = scope.get("raw_path")
                if isinstance(raw, bytes):
                    scope["raw_path"] = self.root.encode("latin-1") + raw
            scope["root_path"] = self.root
        await self.app(scope, receive, send)
