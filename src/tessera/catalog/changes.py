"""Versions and change descriptions.

Every change that alters an entity's content adds 0.1 to its version and records, in
OpenMetadata's ``changeDescription`` shape, which fields were added, updated and deleted.
A write that changes nothing creates no version: re-ingesting an unchanged source is free.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson

# Not content: they change on every write, or (sourceHash) only fingerprint the request, and
# say nothing about the entity itself.
_META = frozenset(
    {
        "version",
        "updatedAt",
        "updatedBy",
        "changeDescription",
        "href",
        "incrementalChangeDescription",
        "sourceHash",
    }
)


def to_float(tenths: int) -> float:
    return round(tenths / 10, 1)


# Versions are 0.1, 0.2, ... and 1.0 up: a thousand million edits is more than any entity gets.
MAX_VERSION_TENTHS = 10**10


def to_tenths(version: float | str) -> int:
    """``version`` (0.1, "1.2") as a count of tenths; ValueError when it is no such version."""
    number = float(version)
    if not math.isfinite(number) or number < 0 or number * 10 > MAX_VERSION_TENTHS:
        raise ValueError(f"version {version!r} is out of range")
    return round(number * 10)


def content(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key not in _META}


def describe(old: Mapping[str, Any], new: Mapping[str, Any], previous_version: int) -> dict[str, Any] | None:
    """The changeDescription from ``old`` to ``new``, or None when their content is equal."""
    before, after = content(old), content(new)
    if before == after:
        return None
    added, updated, deleted = [], [], []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        if was is None or was == [] or was == "":
            added.append({"name": key, "newValue": _encode(now)})
        elif now is None:
            deleted.append({"name": key, "oldValue": _encode(was)})
        else:
            updated.append({"name": key, "oldValue": _encode(was), "newValue": _encode(now)})
    return {
        "fieldsAdded": added,
        "fieldsUpdated": updated,
        "fieldsDeleted": deleted,
        "previousVersion": to_float(previous_version),
    }


def _encode(value: Any) -> str:
    # OpenMetadata carries old and new values as JSON text, except plain strings.
    value = _redact(value)
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _redact(value: Any) -> Any:
    """Sealed secrets stay out of change descriptions, which every reader of an entity sees."""
    if isinstance(value, str):
        return "*********" if value.startswith("fernet:") else value
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value
