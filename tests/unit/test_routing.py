"""Route lookup by collection (api.routing): the same route answers as without it, in the same
order, and a router is not asked about other collections' paths."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles

from tessera.api.routing import CollectionDispatch, collection_key, route_keys


def _router(prefix: str, *paths: str) -> APIRouter:
    router = APIRouter(prefix=prefix)
    for path in paths:

        async def answer(path: str = path) -> dict[str, str]:
            return {"route": prefix + path}

        router.add_api_route(path, answer, methods=["GET"])
    return router


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/api/v1/tables/name/a.b.c", "/api/v1/tables"),
        ("/api/v1/tables", "/api/v1/tables"),
        ("/api/v1/tables/", "/api/v1/tables"),
        ("/api/v1", "/api/v1"),
        ("/", "/"),
    ],
)
def test_the_key_is_the_first_three_segments(path: str, key: str) -> None:
    assert collection_key(path) == key


def test_keys_come_from_the_literal_start_of_each_route() -> None:
    router = _router("/api/v1/tables", "", "/name/{fqn:path}", "/{entity_id}")
    assert route_keys(router.routes) == frozenset({"/api/v1/tables"})
    usage = _router("/api/v1", "/tables/{fqn}/tableProfile", "/usage/table/{entity_id}")
    assert route_keys(usage.routes) == frozenset({"/api/v1/tables", "/api/v1/usage"})


@pytest.mark.parametrize(
    "path",
    ["/api/v1/{collection}", "/api/v1/tab{rest}", "/{page:path}", "/api/{version}/tables"],
)
def test_a_route_with_a_parameter_in_its_first_three_segments_is_asked_about_every_path(path: str) -> None:
    assert route_keys(_router("", path).routes) is None


def test_a_mount_is_asked_about_every_path(tmp_path: object) -> None:
    assert route_keys([Mount("/static", app=StaticFiles(directory=str(tmp_path)))]) is None


def test_only_the_routers_of_the_collection_are_candidates() -> None:
    profiles = _router("/api/v1", "/tables/{fqn}/tableProfile")
    tables = _router("/api/v1/tables", "/{entity_id}")
    anything = _router("", "/{page:path}")
    dispatch = CollectionDispatch([profiles, tables, _router("/api/v1/topics", "/{entity_id}"), anything])
    routers = [route.original_router for route in dispatch.routes]  # type: ignore[attr-defined]

    def candidates(path: str) -> list[APIRouter]:
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        return [route.original_router for route in dispatch.candidates(scope)]  # type: ignore[attr-defined]

    assert routers == [profiles, tables, routers[2], anything]
    assert candidates("/api/v1/tables/x") == [profiles, tables, anything]
    assert candidates("/api/v1/topics/x") == [routers[2], anything]
    assert candidates("/api/v1/dashboards/x") == [anything]
    scope = {"type": "http", "path": "/api/v1/topics/x", "root_path": "", "method": "GET"}
    assert CollectionDispatch([tables]).matches(scope) == (Match.NONE, {})


def _app(*routers: APIRouter) -> FastAPI:
    app = FastAPI()
    app.include_router(CollectionDispatch(list(routers)))
    return app


def test_the_same_routes_answer_in_the_same_order() -> None:
    # The earlier router wins where both could match, as without the lookup.
    app = _app(
        _router("/api/v1", "/tables/{fqn}/tableProfile"),
        _router("/api/v1/tables", "", "/name/{fqn:path}", "/{entity_id}"),
        _router("/api/v1/topics", "/{entity_id}"),
        _router("", "/{page:path}"),
    )
    client = TestClient(app)
    expected = {
        "/api/v1/tables/a.b/tableProfile": "/api/v1/tables/{fqn}/tableProfile",
        "/api/v1/tables/name/a.b.c": "/api/v1/tables/name/{fqn:path}",
        "/api/v1/tables/1234": "/api/v1/tables/{entity_id}",
        "/api/v1/tables": "/api/v1/tables",
        "/api/v1/topics/1234": "/api/v1/topics/{entity_id}",
        "/api/v1/dashboards/1234": "/{page:path}",
        "/explore": "/{page:path}",
    }
    for path, route in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json() == {"route": route}, path


def test_a_wrong_method_is_still_a_405_unless_a_later_route_matches() -> None:
    client = TestClient(_app(_router("/api/v1/tables", "/{entity_id}")))
    assert client.delete("/api/v1/tables/1234").status_code == 405
    assert client.get("/api/v1/nothing").status_code == 404
    # Outside the dispatcher, after it: a full match there wins over the 405 inside.
    app = _app(_router("/api/v1/tables", "/{entity_id}"))
    fallback = APIRouter()

    async def anything(page: str) -> dict[str, str]:
        return {"page": page}

    fallback.add_api_route("/{page:path}", anything, methods=["DELETE"])
    app.include_router(fallback)
    assert TestClient(app).delete("/api/v1/tables/1234").json() == {"page": "api/v1/tables/1234"}
