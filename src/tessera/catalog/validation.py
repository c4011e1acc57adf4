"""Requests and entities checked against OpenMetadata's schemas (:mod:`tessera.contract`)."""

from __future__ import annotations

from typing import Any

from tessera import contract
from tessera.errors import BadRequest


def validate(name: str, payload: Any, *, what: str = "request") -> None:
    """Refuse ``payload`` with a 400 naming each field that breaks schema ``name``."""
    problems = contract.errors(name, payload)
    if problems:
        raise BadRequest(contract.summary(problems, what=what))
