"""The request being served, as log lines and audit records need it: who sent it from where,
and the correlation id that ties the caller's response to the server's lines.

A context variable, because the request reaches the audit log and the log formatter through
services that know nothing of the web layer (and through the worker threads FastAPI hands sync
work to, which copy the context).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    correlation_id: str
    source_ip: str | None = None
    user_agent: str | None = None


_CURRENT: ContextVar[RequestContext | None] = ContextVar("tessera_request", default=None)


def current() -> RequestContext | None:
    return _CURRENT.get()


def bind(context: RequestContext | None) -> object:
    """Make ``context`` current; returns the token :func:`unbind` takes."""
    return _CURRENT.set(context)


def unbind(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]
