"""The ``no-auth`` provider: every caller is an anonymous administrator.

For trying tessera on a laptop only. It logs a loud warning on every start and production
mode refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tessera.auth.permissions import Operation, Scope
from tessera.auth.principal import ANONYMOUS_ADMIN, Principal

WARNING = (
    "AUTHENTICATION IS OFF (authenticationConfiguration.provider: no-auth): anyone who can reach "
    "this server can read and change everything. Use provider basic or azure for anything but a "
    "local experiment."
)


class NoAuthAuthenticator:
    def authenticate(
        self,
        authorization: str | None,
        *,
        cookies: str | None = None,
        csrf: str | None = None,
        method: str = "GET",
    ) -> Principal:
        return ANONYMOUS_ADMIN


class AllowAllAuthorizer:
    def check(
        self,
        principal: Principal,
        operations: Sequence[Operation],
        resource: str,
        entity: dict[str, Any] | None = None,
    ) -> None:
        return None

    def allows(
        self, principal: Principal, operation: Operation, resource: str, entity: dict[str, Any] | None = None
    ) -> bool:
        return True

    def scope(self, principal: Principal, operation: Operation, resource: str) -> Scope:
        return "all"
