"""Errors are data.

Every failure a caller can cause is a :class:`TesseraError` carrying the HTTP status it maps
to and a message written for the person who has to fix it. Services raise these; they never
raise HTTP exceptions. ``tessera.api.http_errors`` is the one place they become responses,
always shaped ``{"code": <status>, "message": "..."}`` because OpenMetadata's client parses
exactly that.

    TesseraError                      500  a bug or an unexpected state
    +-- BadRequest                    400  the request is malformed or names an unknown field
    +-- NotAuthenticated              401  we do not know who the caller is
    +-- Forbidden                     403  we know, and the answer is no
    |   +-- AdminOnly                      ... because only administrators may
    +-- NotFound                      404
    +-- MethodNotAllowed              405
    +-- Conflict                      409  e.g. POST of an entity that exists
    +-- PreconditionFailed            412  If-Match names a stale version
    +-- PayloadTooLarge               413
    +-- ServiceUnavailable            503  a dependency (database, IdP) is unreachable
    ConfigError                            start-up refuses a configuration; not an HTTP error
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class TesseraError(Exception):
    status: ClassVar[int] = 500

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})


class BadRequest(TesseraError):
    status = 400


class NotAuthenticated(TesseraError):
    status = 401


class Forbidden(TesseraError):
    status = 403


class AdminOnly(Forbidden):
    """What only administrators may do, worded for the person refused: what it is and who they
    are signed in as (never which check said no)."""

    def __init__(self, who: str, what: str) -> None:
        super().__init__(f"Only administrators can {what}; {who} is not an administrator")


class NotFound(TesseraError):
    status = 404


class MethodNotAllowed(TesseraError):
    status = 405


class Conflict(TesseraError):
    status = 409


class PreconditionFailed(TesseraError):
    status = 412


class PayloadTooLarge(TesseraError):
    status = 413


class ServiceUnavailable(TesseraError):
    status = 503


class ConfigError(Exception):
    """A configuration tessera refuses to start with; the message says what to change."""
