"""Regression tests: the lockout counts failed sign-ins per account, whatever alias (user name or
email) was typed, and still throttles logins that name no account.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.security.conftest import Session

LOCKED = "Failed Login Attempts Exceeded"
INVALID = "You have entered an invalid username or password."


@pytest.fixture
def session(secure: Callable[..., Session]) -> Session:
    return secure(OM_MAX_FAILED_LOGIN_ATTEMPTS="3", OM_LOGIN_ACCESS_BLOCK_TIME="600")


@pytest.mark.parametrize(
    ("failed_as", "then_as"),
    [("admin", "admin@open-metadata.org"), ("ADMIN@open-metadata.org", "admin")],
)
def test_a_locked_account_stays_locked_under_its_other_alias(
    session: Session, failed_as: str, then_as: str
) -> None:
    for _ in range(3):
        assert session.login(failed_as, "nope").status_code == 401
    blocked = session.login(then_as, session.admin_password)
    assert blocked.status_code == 401, blocked.text
    assert LOCKED in blocked.json()["message"]


def test_failures_under_both_aliases_add_up(session: Session) -> None:
    assert session.login("admin", "nope").json()["message"] == INVALID
    assert session.login("admin@open-metadata.org", "nope").json()["message"] == INVALID
    third = session.login("Admin@Open-Metadata.org", "nope")
    assert LOCKED in third.json()["message"]
    assert LOCKED in session.login("admin", session.admin_password).json()["message"]


def test_unknown_logins_are_throttled_without_telling_that_they_are_unknown(session: Session) -> None:
    messages = [session.login("nobody@example.com", "nope").json()["message"] for _ in range(4)]
    assert messages[:2] == [INVALID, INVALID]
    assert all(LOCKED in message for message in messages[2:])
    # Another unknown name has its own count; the real account is not affected.
    assert session.login("someone-else", "nope").json()["message"] == INVALID
    assert session.login("admin", session.admin_password).status_code == 200
