"""Browser tests: Python Playwright driving Debian's Chromium against real ``tessera serve``
processes (SQLite), with ``tessera.entra`` in-process as the identity provider.

One emulator and one browser for the session, one server per module, a fresh browser context
(empty sessionStorage, no cookies) per test. Every test saves a screenshot to
``artifacts/screenshots/<test>.png`` and fails if the page logged a console error or threw,
except the browser's own "Failed to load resource" line for an HTTP status the test expects
(a wrong password is a 401: the UI handles it, Chromium still logs it).

Chromium trusts the emulator's HTTPS through ``--ignore-certificate-errors-spki-list`` with the
emulator's key hash: only that key, no change to any trust store.
"""

from __future__ import annotations

import base64
import re
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tessera.entra.testing import RunningEmulator, running_emulator
from tests.browser.firefox import Firefox, firefox, firefox_path
from tests.conftest import find_chromium, tier_unavailable

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
_NETWORK_ERROR = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = find_chromium()
    if found is None:
        tier_unavailable(
            "browser",
            "Chromium is missing: install it with `make browsers` (apt-get install -y chromium), "
            "or point TESSERA_CHROMIUM at its executable",
        )
    assert found is not None
    return found


@pytest.fixture(scope="session")
def entra() -> Iterator[RunningEmulator]:
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def browser(chromium_path: str, entra: RunningEmulator, playwright_driver: Any) -> Iterator[Any]:
    assert entra.spki_hash is not None
    launched = playwright_driver.chromium.launch(
        executable_path=chromium_path,
        args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={entra.spki_hash}"],
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="session")
def firefox_executable() -> str:
    found = firefox_path()
    if found is None:
        tier_unavailable("browser", "Firefox is missing; install it with: apt-get install -y firefox-esr")
    assert found is not None
    return found


@pytest.fixture
def firefox_page(
    firefox_executable: str, entra: RunningEmulator, request: pytest.FixtureRequest
) -> Iterator[Firefox]:
    """Debian's Firefox over WebDriver BiDi (see firefox.py), trusting the emulator's HTTPS;
    saves a screenshot like the ``ui`` fixture."""
    assert entra.ca_file is not None
    server_certificate = ssl.PEM_cert_to_DER_cert((entra.ca_file.parent / "server.pem").read_text())
    trusted = [(entra.base_url.removeprefix("https://"), server_certificate)]
    with firefox(firefox_executable, trusted=trusted) as browser:
        try:
            yield browser
        finally:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            browser.screenshot(str(SCREENSHOTS / f"{request.node.name}.png"))


@dataclass
class Console:
    """Console errors and uncaught exceptions of one page."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    """(message, URL of the page or resource it is about)"""
    expected_statuses: set[int] = field(default_factory=set)
    # The identity provider's own pages (its sign-in page asks for a favicon it does not
    # have) are not the UI under test.
    foreign_origins: set[str] = field(default_factory=set)

    expected_messages: list[str] = field(default_factory=list)

    def expect_http(self, *statuses: int) -> None:
        self.expected_statuses.update(statuses)

    def expect_message(self, text: str) -> None:
        self.expected_messages.append(text)

    def unexpected(self) -> list[str]:
        found = []
        for line, url in self.lines:
            if any(url.startswith(f"{origin}/") for origin in self.foreign_origins):
                continue
            if any(text in line for text in self.expected_messages):
                continue
            network = _NETWORK_ERROR.search(line)
            if network and int(network.group(1)) in self.expected_statuses:
                continue
            found.append(f"{line} ({url})")
        return found


@dataclass
class Ui:
    page: Any
    context: Any
    console: Console
    requests: list[Any]

    def settled(self) -> None:
        """Waits until the UI has a page on screen (it marks <html data-state="ready">)."""
        self.page.wait_for_selector("html[data-state=ready]", state="attached")

    def at(self, url: str) -> None:
        self.page.wait_for_url(url)
        self.settled()

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.settled()

    def session_storage(self) -> dict[str, str]:
        result: dict[str, str] = self.page.evaluate(
            "() => Object.fromEntries(Object.entries(sessionStorage))"
        )
        return result

    def local_storage_keys(self) -> list[str]:
        result: list[str] = self.page.evaluate("() => Object.keys(localStorage)")
        return result


@pytest.fixture
def ui(browser: Any, entra: RunningEmulator, request: pytest.FixtureRequest) -> Iterator[Ui]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console = Console(foreign_origins={entra.base_url})
    page.on(
        "console",
        lambda m: (
            console.lines.append((f"console.{m.type}: {m.text}", m.location.get("url") or ""))
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: console.lines.append((f"uncaught: {error}", page.url)))
    requests: list[Any] = []
    page.on("request", lambda r: requests.append(r))
    helper = Ui(page, context, console, requests)
    try:
        yield helper
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        finally:
            context.close()
    problems = console.unexpected()
    if problems:
        pytest.fail("console errors on the page:\n" + "\n".join(problems), pytrace=False)


def basic_password(password: str) -> str:
    return base64.b64encode(password.encode()).decode()


class Api:
    """tessera's API from the test's side, to seed data and check what the UI did."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=15)
        self.token = token

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return self.http.request(method, path, headers=headers, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def close(self) -> None:
        self.http.close()


def seed_catalog(api: Api, owner_id: str) -> None:
    """Two services, their databases and schemas, and four tables: one with history, one with
    table-level constraints (a composite primary key, a foreign key)."""
    for service, kind, database, schema, tables in (
        ("warehouse", "Postgres", "sales", "public", ("orders", "customers")),
        ("lake", "Snowflake", "events", "raw", ("clicks",)),
    ):
        api.ok("PUT", "/api/v1/services/databaseServices", json={"name": service, "serviceType": kind})
        api.ok("PUT", "/api/v1/databases", json={"name": database, "service": service})
        api.ok("PUT", "/api/v1/databaseSchemas", json={"name": schema, "database": f"{service}.{database}"})
        for table in tables:
            api.ok(
                "PUT",
                "/api/v1/tables",
                json={
                    "name": table,
                    "databaseSchema": f"{service}.{database}.{schema}",
                    "description": f"Every {table[:-1]}, one row each.",
                    "columns": [
                        {
                            "name": "id",
                            "dataType": "BIGINT",
                            "constraint": "PRIMARY_KEY",
                            "description": "Key",
                        },
                        {"name": "label", "dataType": "VARCHAR", "dataLength": 64, "constraint": "NOT_NULL"},
                    ],
                },
            )
    api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": "order_lines",
            "databaseSchema": "warehouse.sales.public",
            "description": "One row per line of an order.",
            "columns": [
                {"name": "order_id", "dataType": "BIGINT"},
                {"name": "line_no", "dataType": "INT"},
                {"name": "product", "dataType": "VARCHAR", "dataLength": 64, "constraint": "NOT_NULL"},
            ],
            "tableConstraints": [
                {"constraintType": "PRIMARY_KEY", "columns": ["order_id", "line_no"]},
                {
                    "constraintType": "FOREIGN_KEY",
                    "columns": ["order_id"],
                    "referredColumns": ["warehouse.sales.public.orders.id"],
                },
            ],
        },
    )
    # A second version with an owner and tags, for the table page.
    api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": "orders",
            "databaseSchema": "warehouse.sales.public",
            "description": "Every order placed in the web shop.",
            "owners": [{"id": owner_id, "type": "user"}],
            "tags": [
                {
                    "tagFQN": "PII.Sensitive",
                    "source": "Classification",
                    "labelType": "Manual",
                    "state": "Confirmed",
                }
            ],
            "columns": [
                {
                    "name": "id",
                    "dataType": "BIGINT",
                    "constraint": "PRIMARY_KEY",
                    "description": "Order number",
                },
                {"name": "customer", "dataType": "VARCHAR", "dataLength": 64, "constraint": "NOT_NULL"},
                {"name": "placed_at", "dataType": "TIMESTAMP", "description": "When the order was placed"},
            ],
        },
    )


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"
