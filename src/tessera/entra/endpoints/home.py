"""The emulator's root page. login.microsoftonline.com sends a browser elsewhere; a local emulator
is opened at its root by people accepting its certificate (the quickstart tells them to), who
deserve a page that says where they are rather than a bare 404. It names no tenant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tessera.entra.state import emulator


async def home(request: Request) -> Response:
    st = emulator(request)
    return st.pages.render("home.html", origin=st.origin(request))
