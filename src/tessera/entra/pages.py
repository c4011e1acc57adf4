"""The HTML the emulator shows people: the sign-in and consent pages, Entra's error page, the
``form_post`` response mode (OAuth 2.0 Form Post Response Mode), the signed-out page and the
session-management iframe (``check_session_iframe``).

Templates live in ``templates/``; the environment is built once per application.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from tessera.entra.errors import EntraError, ErrorContext

# Pages that are shown in a client's hidden iframe: the form_post answer (silent sign-in) and
# the OIDC session-management page.
FRAMEABLE = ("form_post.html", "check_session.html")


class Pages:
    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("tenant_name", None)
        html = self._env.get_template(name).render(**context)
        headers = {"Cache-Control": "no-store"}
        if name not in FRAMEABLE:
            headers["X-Frame-Options"] = "DENY"
        return HTMLResponse(html, status_code=status, headers=headers)

    def error(self, err: EntraError, ctx: ErrorContext) -> HTMLResponse:
        return self.render(
            "error.html",
            status=err.status,
            code=err.code,
            message=err.message,
            trace_id=ctx.trace_id,
            correlation_id=ctx.correlation_id,
            timestamp=ctx.timestamp,
        )
