"""The web UI behind a proxy under /catalog (server.rootPath): sign-in, navigation, links and
a reload all stay under the prefix, and every request the page makes goes there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.browser.conftest import Api, Ui, basic_password, seed_catalog
from tests.integration.servers import tessera_server

pytestmark = pytest.mark.browser


@dataclass
class Proxied:
    origin: str
    password: str


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    home = tmp_path_factory.mktemp("root-path-ui")
    env = {"AUTHENTICATION_PROVIDER": "basic", "TESSERA_ROOT_PATH": "/catalog"}
    with tessera_server(home, f"sqlite:///{home / 'tessera.db'}", env=env) as origin:
        password = (home / "initial-admin-password").read_text().strip()
        login = httpx.post(
            f"{origin}/catalog/api/v1/users/login",
            json={"email": "admin", "password": basic_password(password)},
            timeout=15,
        )
        api = Api(f"{origin}/catalog", login.json()["accessToken"])
        me = api.ok("GET", "/api/v1/users/loggedInUser")
        seed_catalog(api, me["id"])
        api.close()
        yield Proxied(origin, password)


def test_the_ui_signs_in_navigates_and_reloads_under_the_root_path(ui: Ui, proxied: Proxied) -> None:
    page = ui.page
    base = f"{proxied.origin}/catalog"
    ui.goto(f"{base}/browse")
    ui.at(f"{base}/signin?next=%2Fbrowse")
    page.fill("#email", "admin")
    page.fill("#password", proxied.password)
    page.click("#sign-in")
    ui.at(f"{base}/browse")
    page.click("main >> text=warehouse")
    ui.at(f"{base}/services/warehouse")
    page.click("nav >> text=Explore")
    ui.at(f"{base}/explore")
    assert page.get_attribute("nav a[data-nav='/browse']", "href") == "/catalog/browse"
    page.reload()
    ui.settled()
    assert page.url == f"{base}/explore"
    assert page.inner_text("main h1") == "Explore"
    outside = [r.url for r in ui.requests if not r.url.startswith(f"{base}/")]
    assert outside == []
