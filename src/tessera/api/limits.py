"""Request bodies are bounded before they are read.

A body's declared ``Content-Length`` over the limit is refused with 413 at once, before a byte of
it is read; a body without one (chunked) is counted as it arrives and refused when it passes the
limit. Sign-in and the other public endpoints get a small limit of their own: nobody needs more
than a few kilobytes to sign in, and anybody may call them.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.api.http_errors import error_response
from tessera.api.root_path import route_path


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limit: int, public_limit: int, public_paths: frozenset[str]) -> None:
        self.app = app
        self.limit = limit
        self.public_limit = public_limit
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.public_limit if route_path(scope) in self.public_paths else self.limit
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await error_response(400, f"Invalid Content-Length header {declared[:40]!r}")(
                    scope, receive, send
                )
                return
            if int(declared) > limit:
                await error_response(413, _message(limit))(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException, so that FastAPI's body parsing passes it on as it is.
                    raise HTTPException(413, _message(limit))
            return message

        await self.app(scope, counted, send)


def _message(limit: int) -> str:
    return (
        f"Request body too large: this endpoint takes at most {limit:,} bytes "
        "(server.maxRequestBodyBytes; send big bulk loads in several requests)"
    )
