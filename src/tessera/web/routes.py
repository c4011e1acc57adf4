"""The web UI, served by the server itself: ``index.html`` for every page path (client-side
routing, ``/callback`` included) and the UI's ES modules and CSS under ``/static/<version>/``.

There is no build step. ``<version>`` is a hash of every static file, computed once when the
router is built, so a changed file changes every URL and the files can be cached for a year
(``immutable``); ``index.html`` itself is revalidated on every load and names the current
version. Each file also carries an ``ETag``.

The page is locked down with a Content-Security-Policy: scripts and styles only from this
origin (no inline code anywhere), network access only to this origin and to the configured
identity provider (discovery and the token endpoint are called from the browser), no framing,
and Trusted Types so that no string can ever become HTML.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from tessera.api.deps import public_route
from tessera.api.middleware import normalise
from tessera.config import Settings
from tessera.errors import NotFound

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
INDEX_TEMPLATE = WEB_DIR / "index.html"
VERSION_PLACEHOLDER = "{{version}}"
PRELOAD_PLACEHOLDER = "{{modulepreload}}"
IMMUTABLE = "public, max-age=31536000, immutable"
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


class Assets:
    """Every file under ``static/``, read once."""

    def __init__(self, root: Path) -> None:
        self.files: dict[str, Asset] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            relative = path.relative_to(root).as_posix()
            body = path.read_bytes()
            media_type = _MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
            digest = hashlib.sha256(body).hexdigest()
            self.files[relative] = Asset(body, media_type or "application/octet-stream", f'"{digest[:32]}"')
        tree = hashlib.sha256()
        for relative, asset in self.files.items():
            tree.update(f"{relative}\0{asset.etag}\0".encode())
        self.version = tree.hexdigest()[:16]


def content_security_policy(settings: Settings) -> str:
    connect = ["'self'"]
    auth = settings.authenticationConfiguration
    if auth.provider == "azure" and auth.authority:
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


def _is_page_path(path: str) -> bool:
    # Normalised as the authentication middleware does, so that whatever it treats as the API
    # (``/API/v1``, ``/api;x/v1``, ``//api``) is never answered with the UI's HTML.
    normalised = normalise(path)
    if normalised == "/favicon.ico":
        # Browsers ask for it whatever the page links; a 404 beats an HTML page posing as an icon.
        return False
    return not (normalised.startswith("/api") or normalised.split("/")[1] == "static")


class PageRoute(APIRoute):
    """Matches only page paths, so that an unknown API path or method keeps its JSON 404/405."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or not _is_page_path(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


def build_router(settings: Settings) -> APIRouter:
    assets = Assets(STATIC_DIR)
    preload = "\n".join(
        f'<link rel="modulepreload" href="/static/{assets.version}/{name}">'
        for name in assets.files
        if name.endswith(".js")
    )
    index = (
        INDEX_TEMPLATE.read_text(encoding="utf-8")
        .replace(PRELOAD_PLACEHOLDER, preload)
        .replace(VERSION_PLACEHOLDER, assets.version)
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
    router = APIRouter(tags=["web"], include_in_schema=False)

    @router.get("/static/{version}/{path:path}", dependencies=[public_route()])
    async def static_file(version: str, path: str, request: Request) -> Response:
        asset = assets.files.get(path)
        # An old version is not served from the new files: a page must load one consistent set.
        if version != assets.version or asset is None:
            raise NotFound(f"No UI file at /static/{version}/{path}")
        headers = {
            "Cache-Control": IMMUTABLE,
            "ETag": asset.etag,
            "X-Content-Type-Options": "nosniff",
        }
        if _etag_matches(request, asset.etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    page_router = APIRouter(route_class=PageRoute, include_in_schema=False)

    @page_router.api_route("/{path:path}", methods=["GET", "HEAD"], dependencies=[public_route()])
    async def page(path: str, request: Request) -> Response:
        if _etag_matches(request, index_etag):
            return Response(status_code=304, headers=page_headers)
        return Response(index, media_type="text/html; charset=utf-8", headers=page_headers)

    router.include_router(page_router)
    return router


def _etag_matches(request: Request, etag: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    return etag in {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
