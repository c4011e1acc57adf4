"""Failed sign-ins are throttled per account and source address together, with growing delays,
and every refusal is the same answer: nobody can lock a person out from elsewhere, and nothing
tells which name and which email belong to one account."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.bootstrap import build_container
from tessera.config import Settings
from tessera.users.accounts import INVALID_LOGIN
from tests.clock import MovableClock
from tests.integration.security.conftest import Session


def _throttled_session(settings_factory: Callable[..., Settings], clock: MovableClock) -> Session:
    settings = settings_factory(
        AUTHENTICATION_PROVIDER="basic", OM_MAX_FAILED_LOGIN_ATTEMPTS="3", OM_LOGIN_ACCESS_BLOCK_TIME="600"
    )
    client = TestClient(create_app(settings, container=build_container(settings, clock=clock.clock)))
    client.__enter__()
    return Session(client, settings)


def _answer(response: httpx.Response) -> tuple[int, object]:
    return response.status_code, response.json()


def test_delays_grow_after_the_allowed_failures_and_end(settings_factory: Callable[..., Settings]) -> None:
    clock = MovableClock(frozen_wall=True)
    session = _throttled_session(settings_factory, clock)
    try:
        refused = (401, {"code": 401, "message": INVALID_LOGIN})
        for _ in range(3):
            assert _answer(session.login("admin", "nope")) == refused
        # The third failure started a 1 s wait: the right password is refused like a wrong one
        # (and, refused, counts: the wait is now 2 s).
        assert _answer(session.login("admin", session.admin_password)) == refused
        clock.advance(1.5)
        assert _answer(session.login("admin", session.admin_password)) == refused  # 4 s now
        clock.advance(4.5)
        assert session.login("admin", session.admin_password).status_code == 200
        # A success starts afresh; hammering on grows the wait to accessBlockTime and no further.
        for _ in range(20):
            session.login("admin", "nope")
        clock.advance(599)
        assert _answer(session.login("admin", session.admin_password)) == refused
        clock.advance(601)
        assert session.login("admin", session.admin_password).status_code == 200
    finally:
        session.client.__exit__(None, None, None)


def test_nobody_locks_a_person_out_from_another_address(settings_factory: Callable[..., Settings]) -> None:
    session = _throttled_session(settings_factory, MovableClock(frozen_wall=True))
    try:
        for _ in range(10):
            assert session.login("admin", "nope").status_code == 401
        assert session.login("admin", session.admin_password).status_code == 401
        elsewhere = TestClient(session.client.app, client=("192.0.2.44", 40000))
        assert Session(elsewhere, session.settings).login("admin", session.admin_password).status_code == 200
    finally:
        session.client.__exit__(None, None, None)


def test_answers_do_not_link_a_name_to_its_email(settings_factory: Callable[..., Settings]) -> None:
    session = _throttled_session(settings_factory, MovableClock(frozen_wall=True))
    try:
        for _ in range(6):
            session.login("admin", "nope")
        # "admin" now waits. Its email alias, an unknown email, an unknown name and the right
        # password for the waiting name all get the very same answer.
        answers = {
            str(_answer(session.login(login, password)))
            for login, password in (
                ("admin@open-metadata.org", "nope"),
                ("nobody@example.com", "nope"),
                ("nobody", "nope"),
                ("admin", session.admin_password),
            )
        }
        assert answers == {str((401, {"code": 401, "message": INVALID_LOGIN}))}
    finally:
        session.client.__exit__(None, None, None)
