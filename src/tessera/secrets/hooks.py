"""Secrets in entities: every field OpenMetadata's schemas mark ``format: password``, in every
kind that has one, derived from the schemas (not a hand list). They are sealed before they are
stored (current and past versions alike), masked on the way out, and kept when a masked value is
written back.

Who may read them in the clear: bots whose policies allow ``Deploy`` on the entity (the bots
that run an ingestion workflow must connect to its source with those credentials; OpenMetadata
gives every bot every secret). People never do, administrators included: a secret is entered,
never read back.

Users and bots keep their own secrets (JWTs, SSO client secrets) under the user service's
rules; they are not handled here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from tessera import contract
from tessera.auth.interfaces import Authorizer
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.catalog.kinds import Kind
from tessera.secrets.box import MASK, SecretBox

Doc = dict[str, Any]
# Kinds whose secrets another domain owns (the user service seals and presents them).
OWN_RULES = frozenset({"user"})


@functools.cache
def secret_names(kind: Kind) -> frozenset[str]:
    """Names of the fields of ``kind`` that hold secrets, wherever they appear in it."""
    if kind.type in OWN_RULES or kind.create_schema is None:
        return frozenset()
    return contract.secret_field_names(kind.create_schema)


class ConnectionSecrets:
    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None:
        names = secret_names(kind)
        if not names:
            return
        sealed = walk(doc, existing, names, self._seal)
        doc.clear()
        doc.update(sealed)

    def _seal(self, value: str, previous: Any) -> str:
        if value == MASK:
            # The client sent back what it was shown: keep what is stored.
            if isinstance(previous, str):
                return previous
            return value
        return self._box.seal(value)


def secrets_presenter(
    box: SecretBox, authorizer: Authorizer
) -> Callable[[Kind, Doc, Principal | None, frozenset[str] | None], Doc]:
    def present(kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None) -> Doc:
        names = secret_names(kind)
        if not names:
            return doc
        if may_read(authorizer, principal, kind, doc):
            opened: Doc = walk(doc, None, names, lambda value, _previous: box.open(value))
            return opened
        masked: Doc = walk(doc, None, names, lambda _value, _previous: MASK)
        return masked

    return present


def may_read(authorizer: Authorizer, principal: Principal | None, kind: Kind, doc: Doc) -> bool:
    return (
        principal is not None
        and principal.is_bot
        and authorizer.allows(principal, Operation.DEPLOY, kind.type, doc)
    )


def walk(node: Any, previous: Any, names: frozenset[str], change: Callable[[str, Any], str]) -> Any:
    """``node`` with ``change(value, previous value)`` applied to every non-empty string held by
    a field named in ``names``, at any depth."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            before = previous.get(key) if isinstance(previous, dict) else None
            if key in names and isinstance(value, str) and value:
                out[key] = change(value, before)
            else:
                out[key] = walk(value, before, names, change)
        return out
    if isinstance(node, list):
        return [
            walk(
                item,
                previous[index] if isinstance(previous, list) and index < len(previous) else None,
                names,
                change,
            )
            for index, item in enumerate(node)
        ]
    return node
