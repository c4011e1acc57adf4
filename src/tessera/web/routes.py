"""The web UI, served by the server itself: ``index.html`` for every page path (client-side
routing, ``/callback`` included) and the UI's ES modules and CSS under ``/static/<version>/``.

There is no build step. ``<version>`` is a hash of every static file, computed once when the
UI is installed, so a changed file changes every URL and the files can be cached for a year
(``immutable``); ``index.html`` itself is revalidated on every load and names the current
version. Starlette's static files answer conditional requests (``ETag``, 304).

The page is locked down with a Content-Security-Policy: scripts and styles only from this
origin (no inline code anywhere), network access only to this origin and to the configured
identity provider (discovery and the token endpoint are called from the browser), no framing,
and Trusted Types so that no string can ever become HTML.
"""

from __future__ import annotations

import hashlib
import os
from os import PathLike
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tessera.api.deps import public_route
from tessera.api.middleware import normalise
from tessera.api.root_path import route_path
from tessera.config import Settings
from tessera.web import sign_in

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


def asset_version(root: Path) -> str:
    """A hash of every file under ``root``: a changed file changes every asset URL."""
    tree = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        tree.update(f"{path.relative_to(root).as_posix()}\0".encode())
        tree.update(hashlib.sha256(path.read_bytes()).digest())
    return tree.hexdigest()[:16]


class VersionedStaticFiles(StaticFiles):
    """Starlette's static files (ETag, 304, ranges), cacheable for a year: the URL names the
    version, so a new file is a new URL."""

    def file_response(
        self,
        full_path: str | PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def content_security_policy(settings: Settings) -> str:
    connect = ["'self'"]
    auth = settings.authenticationConfiguration
    # A confidential client's browser talks to this server only.
    if auth.provider == "azure" and auth.authority and auth.clientType == "public":
        parts = urlsplit(auth.authority)
        if parts.scheme and parts.netloc:
            # The browser itself reads the IdP's discovery document and redeems the code at its
            # token endpoint (a single-page app's code must be redeemed cross-origin).
            connect.append(f"{parts.scheme}://{parts.netloc}")
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {' '.join(connect)}",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            # The UI builds the DOM with text nodes only; with Trusted Types a stray innerHTML is
            # an error instead of a cross-site scripting hole.
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


# The first path segments of the UI's own pages (static/main.js's routes, checked by a test):
# any other path is not a page, and gets a JSON 404 instead of the UI's HTML, so that a
# mistyped probe (/healthcheck) or a scraper's wrong path fails instead of passing.
PAGE_SECTIONS = frozenset(
    {"", "signin", "callback", "explore", "browse", "services", "databases", "schemas", "tables"}
    | {"glossary", "classifications", "settings", "profile", "audit"}
)


def _is_page_path(path: str) -> bool:
    # Normalised as the authentication middleware does, so that whatever it treats as the API
    # (``/API/v1``, ``/api;x/v1``, ``//api``) is never answered with the UI's HTML.
    return normalise(path).split("/")[1] in PAGE_SECTIONS


class PageRoute(APIRoute):
    """Matches only page paths, so that an unknown API path or method keeps its JSON 404/405."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or not _is_page_path(route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the UI: its files under ``/static/<version>/`` and ``index.html`` for every page
    path. Installed last: every path the API does not answer is a page."""
    version = asset_version(STATIC_DIR)
    modules = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*.js"))
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )
    # Every URL in the page starts with the sub-path a proxy serves tessera under (the UI's
    # scripts read it from the page: static/base.js).
    index = (
        environment.get_template("index.html")
        .render(version=version, modules=modules, base=settings.server.rootPath)
        .encode()
    )
    index_etag = f'"{hashlib.sha256(index).hexdigest()[:32]}"'
    page_headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        # Revalidated on every load: it names the current asset version.
        "Cache-Control": "no-cache",
        "ETag": index_etag,
    }
    app.include_router(sign_in.api)
    if settings.authenticationConfiguration.clientType == "confidential":
        # Before the pages: /callback is the server's, not the single-page app's.
        app.include_router(sign_in.router)
    # An old version is not served from the new files: a page must load one consistent set.
    app.mount(f"/static/{version}", VersionedStaticFiles(directory=STATIC_DIR), name="static")
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    @router.api_route("/{path:path}", methods=["GET", "HEAD"], dependencies=[public_route()])
    async def page(path: str, request: Request) -> Response:
        if _etag_matches(request, index_etag):
            return Response(status_code=304, headers=page_headers)
        return Response(index, media_type="text/html; charset=utf-8", headers=page_headers)

    app.include_router(router)


def _etag_matches(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    return etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
