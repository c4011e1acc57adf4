"""Route lookup by collection: a request is matched only against the routers that serve its
collection.

Starlette (and FastAPI after it) matches a request by trying every route in order, each a
regular expression. With a router per collection that is about two hundred tries before
``/api/v1/tables/name/{fqn}`` is found, a fifth of the server's time on a GET by name; asking
each router first whether it serves the path's collection still cost some 7 µs per router passed
over (128 µs to reach the tables router, sixteenth in line).

The API's routers are included in one :class:`CollectionDispatch`, which knows the first three
path segments (``/api/v1/tables``) every route of each router starts with. A request's key is
looked up once, in a dictionary, and only the routers that serve it are tried, in the order they
were included (it decides which route wins where two could match). A router with a route that
could match more (a parameter among its first three segments, a mount, another prefix) is tried
for every path, in its place in that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter
from starlette.routing import BaseRoute, Host, Match, Mount
from starlette.types import Receive, Scope, Send

from tessera.api.root_path import route_path

# Where the dispatcher keeps, in the request's scope, the router that matched it.
_CHOSEN = "tessera.collection_router"


def collection_key(path: str) -> str:
    """The first three segments of a path: ``/api/v1/tables`` for ``/api/v1/tables/name/x``."""
    return "/".join(path.split("/", 4)[:4])


def route_keys(routes: Iterable[BaseRoute]) -> frozenset[str] | None:
    """The collection keys of every path these routes can match, or None when some route could
    match a path under any key."""
    keys: set[str] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            # An included router: its routes are as they are only when it adds no prefix.
            context = getattr(route, "include_context", None)
            nested = route_keys(inner.routes) if getattr(context, "prefix", None) == "" else None
            if nested is None:
                return None
            keys |= nested
            continue
        path = getattr(route, "path", None)
        if isinstance(route, Mount | Host) or not isinstance(path, str) or not path.startswith("/"):
            return None
        literal = path.split("{", 1)[0]
        # The literal start of the route's pattern must hold the first three segments whole
        # (followed by "/" or ending the path); any path the pattern matches starts with it.
        if literal != path and literal.count("/") < 4:
            return None
        keys.add(collection_key(literal))
    return frozenset(keys)


class CollectionDispatch(APIRouter):
    """Includes the given routers, in order, and tries for each request only those that serve
    its collection. Keys are taken when it is built: build it after the routers' routes."""

    def __init__(self, routers: Sequence[APIRouter]) -> None:
        super().__init__()
        for router in routers:
            self.include_router(router)
        # self.routes now holds one included-router route per router, in order.
        included = list(self.routes)
        keys = [route_keys(router.routes) for router in routers]
        everywhere = [route for route, key in zip(included, keys, strict=True) if key is None]
        self._everywhere: list[BaseRoute] = everywhere
        self._by_key: dict[str, list[BaseRoute]] = {
            key: [route for route, own in zip(included, keys, strict=True) if own is None or key in own]
            for key in frozenset().union(*(own for own in keys if own is not None))
        }

    def candidates(self, scope: Scope) -> list[BaseRoute]:
        """The included routers that may match this request, in order."""
        return self._by_key.get(collection_key(route_path(scope)), self._everywhere)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return super().matches(scope)
        partial: BaseRoute | None = None
        for route in self.candidates(scope):
            match, _child = route.matches(scope)
            if match == Match.FULL:
                scope[_CHOSEN] = route
                return Match.FULL, {}
            if match == Match.PARTIAL and partial is None:
                partial = route
        if partial is not None:
            # A path one of these routes has, with another method: a 405 unless a later route
            # outside the dispatcher matches in full.
            scope[_CHOSEN] = partial
            return Match.PARTIAL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen: Any = scope.pop(_CHOSEN, None)
        if chosen is None or scope["type"] != "http":
            await super().handle(scope, receive, send)
            return
        await chosen.handle(scope, receive, send)
