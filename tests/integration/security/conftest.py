"""Security tests run tessera with authentication on (basic unless a test says otherwise)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.bootstrap import start
from tessera.config import Settings
from tessera.users.bootstrap import ADMIN_PASSWORD_FILE


class Session:
    """A TestClient plus what a test needs to act as someone."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    @property
    def admin_password(self) -> str:
        return (self.settings.home / ADMIN_PASSWORD_FILE).read_text().strip()

    def login(self, login: str, password: str) -> Any:
        encoded = base64.b64encode(password.encode()).decode()
        return self.client.post("/api/v1/users/login", json={"email": login, "password": encoded})

    def token_for(self, login: str, password: str) -> str:
        response = self.login(login, password)
        assert response.status_code == 200, response.text
        token: str = response.json()["accessToken"]
        return token

    def admin_token(self) -> str:
        return self.token_for("admin", self.admin_password)

    def as_(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def create_user(self, admin: str, name: str, password: str | None = None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "email": f"{name}@example.com", **extra}
        if password is not None:
            body["password"] = password
        response = self.client.put("/api/v1/users", json=body, headers=self.as_(admin))
        assert response.status_code in (200, 201), response.text
        user: dict[str, Any] = response.json()
        return user


@pytest.fixture(scope="session")
def _shared_sessions() -> Iterator[dict[tuple[str, str], Session]]:
    sessions: dict[tuple[str, str], Session] = {}
    yield sessions
    for shared in sessions.values():
        shared.client.__exit__(None, None, None)


@pytest.fixture
def secure(
    settings_factory: Callable[..., Settings],
    clean_database: str,
    _shared_sessions: dict[tuple[str, str], Session],
) -> Iterator[Callable[..., Session]]:
    """Opens an authenticated tessera on the test's (empty) database.

    The first call of a test reuses an application kept per database and environment (FastAPI's
    route building is the slow part), started afresh on the emptied database with its caches
    cleared; further calls in the same test (a second process on the same database) get a new
    application.
    """
    opened: list[TestClient] = []
    used: set[tuple[str, str]] = set()

    def open_session(**env: str) -> Session:
        environment = {"AUTHENTICATION_PROVIDER": "basic", **env}
        key = (clean_database, repr(sorted(environment.items())))
        shared = _shared_sessions.get(key)
        if shared is not None and key not in used:
            used.add(key)
            container = shared.client.app.state.container  # type: ignore[attr-defined]
            container.token_cache.clear()
            if hasattr(container.authorizer, "invalidate"):
                container.authorizer.invalidate()
            start(container)
            return shared
        settings = settings_factory(**environment)
        client = TestClient(create_app(settings))
        client.__enter__()
        session = Session(client, settings)
        if key not in _shared_sessions:
            _shared_sessions[key] = session
            used.add(key)
        else:
            opened.append(client)
        return session

    yield open_session
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def session(secure: Callable[..., Session]) -> Session:
    return secure()


@pytest.fixture
def home(settings_factory: Callable[..., Settings]) -> Path:
    return settings_factory().home
