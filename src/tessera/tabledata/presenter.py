"""``fields=`` on tables (and usageSummary on schemas and databases): the table data OpenMetadata
serves as entity fields, read from their own tables when asked for by name (or ``*``).

Sample data is shown only to those allowed ViewSampleData on the table, masked for PII; profiles
and profiler configuration only to those allowed ViewDataProfile.

A list reads a page's table data in one query per field before its entities are presented
(:func:`table_data_preloader`); what it read waits in a context variable of the request, so the
presenter finds it there instead of querying per entity.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from typing import Any

from tessera.auth.interfaces import Authorizer
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.catalog.kinds import DATABASE, DATABASE_SCHEMA, TABLE, Kind
from tessera.tabledata.routes import may_see_pii
from tessera.tabledata.service import TableDataService, mask

Doc = dict[str, Any]
_TABLE_FIELDS = frozenset({"profile", "sampleData", "tableProfilerConfig", "joins", "usageSummary"})
_USED = frozenset({TABLE.type, DATABASE_SCHEMA.type, DATABASE.type})
# entity id -> what fields_of_page read for it, for the page being presented.
_PAGE: contextvars.ContextVar[dict[str, Doc] | None] = contextvars.ContextVar("table_data_page", default=None)


def _wanted(kind: Kind, fields: frozenset[str] | None) -> frozenset[str]:
    if not fields or kind.type not in _USED:
        return frozenset()
    return _TABLE_FIELDS if "*" in fields else fields & _TABLE_FIELDS


def table_data_preloader(service: TableDataService) -> Any:
    def preload(kind: Kind, docs: Sequence[Doc], fields: frozenset[str] | None) -> None:
        wanted = _wanted(kind, fields)
        _PAGE.set(service.fields_of_page(kind, docs, wanted) if wanted and docs else None)

    return preload


def table_data_presenter(service: TableDataService, authorizer: Authorizer) -> Any:
    def present(kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None) -> Doc:
        wanted = _wanted(kind, fields)
        if not wanted or "id" not in doc:
            return doc
        known = (_PAGE.get() or {}).get(doc["id"])
        out = dict(doc)
        if "usageSummary" in wanted:
            summary = known.get("usageSummary") if known is not None else service.usage_summary(doc)
            if summary is not None:
                out["usageSummary"] = summary
        if kind.type != TABLE.type:
            return out

        def allowed(operation: Operation) -> bool:
            return principal is not None and authorizer.allows(principal, operation, TABLE.type, doc)

        def record(field: str, read: Any) -> Doc | None:
            value: Doc | None = known.get(field) if known is not None else read(doc)
            return value

        if "profile" in wanted and allowed(Operation.VIEW_DATA_PROFILE):
            out = service.with_profile(out, known)
        if "tableProfilerConfig" in wanted and allowed(Operation.VIEW_DATA_PROFILE):
            config = record("tableProfilerConfig", service.profiler_config)
            if config is not None:
                out["tableProfilerConfig"] = config
        if "joins" in wanted:
            joins = record("joins", service.joins)
            if joins is not None:
                out["joins"] = joins
        if "sampleData" in wanted and allowed(Operation.VIEW_SAMPLE_DATA):
            pii = may_see_pii(principal, doc)
            if known is not None:
                sample = known.get("sampleData")
                sample = sample if sample is None or pii else mask(doc, sample)
            else:
                sample = service.sample_data(doc, may_see_pii=pii)
            if sample is not None:
                out["sampleData"] = sample
        return out

    return present
