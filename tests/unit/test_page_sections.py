"""The server answers the UI's page with exactly the paths the UI routes (static/main.js):
a page it forgets would 404 on reload, a path it adds would answer HTML where JSON belongs."""

from __future__ import annotations

import re

from tessera.web.routes import PAGE_SECTIONS, STATIC_DIR


def test_page_sections_are_the_first_segments_of_the_ui_routes() -> None:
    main = (STATIC_DIR / "main.js").read_text(encoding="utf-8")
    routes = re.findall(r'addRoute\("([^"]+)"', main)
    assert len(routes) > 10
    sections = {route.split("/")[1] for route in routes}
    # /callback is routed before the table of routes (the sign-in redirect's landing page).
    assert sections | {"callback"} == PAGE_SECTIONS
