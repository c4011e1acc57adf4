"""Typed dependencies shared by every route: the service container, the caller, and the
authorization decision each route declares.

Every catalog route carries an :class:`Authorize` dependency naming the operation and the
resource it needs; a test walks the route table and fails on any route without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.errors import NotAuthenticated

if TYPE_CHECKING:
    from tessera.container import Container


# The dependencies are coroutines although nothing in them waits: FastAPI runs a plain `def`
# dependency in its worker pool, and those hand-offs (two or three per request) cost more than
# the rest of a GET by name. They must never block.


async def get_container(request: Request) -> Container:
    return container_of(request)


async def get_principal(request: Request) -> Principal:
    return _principal(request)


def container_of(request: Request) -> Container:
    """What ContainerDep gives, for the hottest routes: each dependency FastAPI resolves costs
    about as much as a tenth of a GET by name."""
    container: Container = request.app.state.container
    return container


def principal_of(request: Request) -> Principal:
    """What PrincipalDep gives (see container_of)."""
    return _principal(request)


def _principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        # The authentication middleware runs before every route; reaching here without a
        # principal means a route was mounted outside it. Fail closed.
        raise NotAuthenticated("Not Authorized! Token not present")
    return principal


ContainerDep = Annotated["Container", Depends(get_container)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


@dataclass(frozen=True)
class Authorize:
    """A route's authorization decision: the operation it performs on a resource type.

    ``deferred`` routes decide inside the handler because the operation depends on the entity
    or the body (a JSON Patch on /description needs less than one on /columns); the handler
    must then call ``container.authorizer.check``.
    """

    operation: Operation | None
    resource: str
    deferred: bool = False
    public: bool = False
    # Decided on each entity the handler reads (a rule's condition may look at its tags or
    # owners); here only refused outright when no entity of the kind could be allowed.
    per_entity: bool = False

    async def __call__(self, request: Request) -> None:
        if self.public or self.deferred or self.operation is None:
            return
        container: Container = request.app.state.container
        principal = _principal(request)
        # In memory (the policy authorizer re-reads roles from the catalog every few seconds),
        # as in the handlers that call it for deferred decisions.
        if self.per_entity and container.authorizer.scope(principal, self.operation, self.resource) != "none":
            return
        container.authorizer.check(principal, [self.operation], self.resource)


def authorize(operation: Operation, resource: str) -> Any:
    return Depends(Authorize(operation, resource))


def authorize_each(operation: Operation, resource: str) -> Any:
    """The handler must check ``operation`` on every entity it returns (``check_each``)."""
    return Depends(Authorize(operation, resource, per_entity=True))


def authorize_in_handler(resource: str) -> Any:
    return Depends(Authorize(None, resource, deferred=True))


def public_route() -> Any:
    return Depends(Authorize(None, "public", public=True))
