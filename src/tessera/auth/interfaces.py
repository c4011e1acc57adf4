"""What the rest of tessera asks of authentication and authorization.

The web layer hands :class:`Authenticator` the ``Authorization`` header (and, for the
confidential client's sessions, the ``Cookie`` and ``X-CSRF-Token`` headers and the method) as
strings and gets a :class:`~tessera.auth.principal.Principal` or a 401
(:class:`~tessera.errors.NotAuthenticated`) naming the reason; it never sees a token's claims.
Routes and services ask :class:`Authorizer` whether a principal may perform an operation, and
get a 403 (:class:`~tessera.errors.Forbidden`) naming what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from tessera.auth.permissions import Operation, Scope
from tessera.auth.principal import Principal


class Authenticator(Protocol):
    def authenticate(
        self,
        authorization: str | None,
        *,
        cookies: str | None = None,
        csrf: str | None = None,
        method: str = "GET",
    ) -> Principal:
        """Who sent a request with this ``Authorization`` header value (None: no header), or
        else with these cookies; raise NotAuthenticated (401) with the reason otherwise, and
        Forbidden (403) for a cookie-authenticated change without its CSRF token."""


class Authorizer(Protocol):
    def check(
        self,
        principal: Principal,
        operations: Sequence[Operation],
        resource: str,
        entity: dict[str, Any] | None = None,
    ) -> None:
        """Raise Forbidden naming the principal and the operation when it is not allowed."""

    def allows(
        self, principal: Principal, operation: Operation, resource: str, entity: dict[str, Any] | None = None
    ) -> bool:
        """:meth:`check` as an answer, for filtering (search hits)."""

    def scope(self, principal: Principal, operation: Operation, resource: str) -> Scope:
        """Whether ``operation`` is allowed on every entity of ``resource``, on none, or only on
        some (``each``: ask :meth:`allows` per entity)."""
