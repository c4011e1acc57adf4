"""A catalog server that cannot complete a write now answers 503 (or 409) with Retry-After;
``tessera ingest``'s client sends an idempotent call again after the time it asks for."""

from __future__ import annotations

import httpx
import pytest

from tessera.ingest.auth import token_provider
from tessera.ingest.client import ApiError, CatalogClient
from tessera.ingest.workflow import ServerConfig

BOT_JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpbmdlc3Rpb24tYm90In0.c2lnbmF0dXJl"


def _client(answers: list[httpx.Response], slept: list[float]) -> CatalogClient:
    server = ServerConfig(
        hostPort="http://catalog.test/api", authProvider="openmetadata", securityConfig={"jwtToken": BOT_JWT}
    )
    pending = iter(answers)
    return CatalogClient(
        server,
        token_provider(server),
        transport=httpx.MockTransport(lambda request: next(pending)),
        sleep=slept.append,
    )


BUSY = {"code": 503, "message": "busy"}
OK = {"numberOfRowsPassed": 1}


@pytest.mark.parametrize("status", [503, 409])
def test_a_put_is_sent_again_after_retry_after(status: int) -> None:
    slept: list[float] = []
    client = _client(
        [httpx.Response(status, json=BUSY, headers={"Retry-After": "3"}), httpx.Response(200, json=OK)], slept
    )
    assert client.put("/tables/bulk", [{"name": "t"}]) == OK
    assert slept == [3.0]


def test_a_conflict_without_retry_after_is_an_answer_not_a_retry() -> None:
    slept: list[float] = []
    client = _client([httpx.Response(409, json={"code": 409, "message": "exists"})], slept)
    with pytest.raises(ApiError) as refused:
        client.put("/tables", {"name": "t"})
    assert refused.value.status == 409
    assert slept == []


def test_retry_after_is_capped_and_a_bad_one_falls_back_to_the_backoff() -> None:
    slept: list[float] = []
    answers = [
        httpx.Response(503, json=BUSY, headers={"Retry-After": "3600"}),
        httpx.Response(503, json=BUSY, headers={"Retry-After": "soon"}),
        httpx.Response(503, json=BUSY, headers={"Retry-After": "nan"}),
        httpx.Response(503, json=BUSY, headers={"Retry-After": "1"}),
    ]
    client = _client(answers, slept)
    with pytest.raises(ApiError) as gave_up:
        client.put("/tables/bulk", [])
    assert gave_up.value.status == 503
    assert slept == [30.0, 1.0, 2.0]  # three retries: capped, then the client's own backoff
