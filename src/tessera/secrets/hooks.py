"""Connection secrets (every field OpenMetadata's schema marks ``format: password``): sealed
before they are stored, masked on the way out, and kept when a masked value is written back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tessera import contract
from tessera.auth.principal import Principal
from tessera.catalog.kinds import Kind
from tessera.secrets.box import MASK, SecretBox

Doc = dict[str, Any]
# Where each kind keeps secrets, and the schema that says which fields are secret.
SECRET_PLACES: dict[str, tuple[str, str]] = {"databaseService": ("connection", "createDatabaseService")}


class ConnectionSecrets:
    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None:
        place = SECRET_PLACES.get(kind.type)
        if place is None or place[0] not in doc:
            return
        field, schema = place
        names = contract.secret_field_names(schema)
        previous = (existing or {}).get(field)
        doc[field] = _walk(doc[field], previous, names, self._seal)

    def _seal(self, value: str, previous: Any) -> str:
        if value == MASK:
            # The client sent back what it was shown: keep what is stored.
            if isinstance(previous, str):
                return previous
            return value
        return self._box.seal(value)


def masking_presenter() -> Callable[[Kind, Doc, Principal | None, frozenset[str] | None], Doc]:
    def present(kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None) -> Doc:
        place = SECRET_PLACES.get(kind.type)
        if place is None or place[0] not in doc:
            return doc
        field, schema = place
        names = contract.secret_field_names(schema)
        return {**doc, field: _walk(doc[field], None, names, lambda value, _previous: MASK)}

    return present


def _walk(node: Any, previous: Any, names: frozenset[str], change: Callable[[str, Any], str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            before = previous.get(key) if isinstance(previous, dict) else None
            if key in names and isinstance(value, str) and value:
                out[key] = change(value, before)
            else:
                out[key] = _walk(value, before, names, change)
        return out
    if isinstance(node, list):
        return [
            _walk(
                item,
                previous[index] if isinstance(previous, list) and index < len(previous) else None,
                names,
                change,
            )
            for index, item in enumerate(node)
        ]
    return node
