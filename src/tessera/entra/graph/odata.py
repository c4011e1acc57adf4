"""The OData query options of Graph's collections that the subset reads (``query-parameters``):
``$select`` (top-level properties), ``$filter`` with ``eq`` and ``startswith`` (joined by
``and``), ``$top`` (1 to 999; 100 by default) and server-driven paging (``@odata.nextLink``
carrying ``$skiptoken``). Anything else in ``$filter`` is a 400, as Graph answers an
unsupported query."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tessera.entra.directory import DirectoryError

DEFAULT_PAGE = 100
MAX_PAGE = 999
_LITERAL = r"'((?:[^']|'')*)'|(true|false|null)"
_EQ = re.compile(rf"^\s*([A-Za-z][A-Za-z0-9]*)\s+eq\s+(?:{_LITERAL})\s*$")
_STARTSWITH = re.compile(
    rf"^\s*startswith\(\s*([A-Za-z][A-Za-z0-9]*)\s*,\s*(?:{_LITERAL})\s*\)\s*$", re.IGNORECASE
)


def bad_query(message: str) -> DirectoryError:
    return DirectoryError(message, status=400, code="Request_UnsupportedQuery")


Predicate = Callable[[Mapping[str, Any]], bool]


def _literal(quoted: str | None, keyword: str | None) -> Any:
    if quoted is not None:
        return quoted.replace("''", "'")
    return {"true": True, "false": False, "null": None}[str(keyword)]


def _clause(text: str) -> Predicate:
    if match := _EQ.match(text):
        name, value = match.group(1), _literal(match.group(2), match.group(3))

        def equals(item: Mapping[str, Any]) -> bool:
            have = item.get(name)
            if isinstance(have, str) and isinstance(value, str):
                return have.lower() == value.lower()  # Graph compares directory strings case-blind
            return bool(have == value)

        return equals
    if match := _STARTSWITH.match(text):
        name, value = match.group(1), _literal(match.group(2), match.group(3))
        if not isinstance(value, str):
            raise bad_query("startswith takes a string.")

        def starts(item: Mapping[str, Any]) -> bool:
            have = item.get(name)
            return isinstance(have, str) and have.lower().startswith(value.lower())

        return starts
    raise bad_query(f"Unsupported or invalid query filter clause specified: '{text.strip()}'.")


def parse_filter(text: str | None) -> Predicate:
    if not text:
        return lambda _item: True
    clauses = [_clause(part) for part in re.split(r"\s+and\s+", text.strip())]
    return lambda item: all(clause(item) for clause in clauses)


@dataclass(frozen=True)
class Query:
    select: tuple[str, ...]
    keep: Predicate
    top: int
    skip: int

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Query:
        top_text = params.get("$top")
        try:
            top = int(top_text) if top_text else DEFAULT_PAGE
            skip = (
                int(base64.urlsafe_b64decode(params["$skiptoken"]).decode()) if "$skiptoken" in params else 0
            )
        except (ValueError, UnicodeDecodeError):
            raise bad_query("Invalid $top or $skiptoken.") from None
        if not 1 <= top <= MAX_PAGE:
            raise bad_query(
                f"Invalid page size specified: '{top}'. Must be between 1 and {MAX_PAGE} inclusive."
            )
        select = tuple(p.strip() for p in params.get("$select", "").split(",") if p.strip())
        return cls(select=select, keep=parse_filter(params.get("$filter")), top=top, skip=max(skip, 0))


def page(
    items: list[dict[str, Any]], query: Query, *, url: str, params: Mapping[str, str], context: str
) -> dict[str, Any]:
    """One page of ``items`` (already Graph-shaped), filtered, projected and linked to the next."""
    kept = [item for item in items if query.keep(item)]
    chunk = kept[query.skip : query.skip + query.top]
    if query.select:
        wanted = {"@odata.type", *query.select}
        chunk = [{k: v for k, v in item.items() if k in wanted} for item in chunk]
    body: dict[str, Any] = {"@odata.context": context, "value": chunk}
    if query.skip + query.top < len(kept):
        token = base64.urlsafe_b64encode(str(query.skip + query.top).encode()).decode()
        rest = {k: v for k, v in params.items() if k != "$skiptoken"}
        body["@odata.nextLink"] = f"{url}?{urlencode({**rest, '$skiptoken': token})}"
    return body
