"""``fields=`` on tables (and usageSummary on schemas and databases): the table data OpenMetadata
serves as entity fields, read from their own tables when asked for by name (or ``*``).

Sample data is shown only to those allowed ViewSampleData on the table, masked for PII; profiles
only to those allowed ViewDataProfile.
"""

from __future__ import annotations

from typing import Any

from tessera.auth.interfaces import Authorizer
from tessera.auth.permissions import Operation
from tessera.auth.principal import Principal
from tessera.catalog.kinds import DATABASE, DATABASE_SCHEMA, TABLE, Kind
from tessera.tabledata.routes import may_see_pii
from tessera.tabledata.service import TableDataService

Doc = dict[str, Any]
_TABLE_FIELDS = frozenset({"profile", "sampleData", "tableProfilerConfig", "joins", "usageSummary"})
_USED = frozenset({TABLE.type, DATABASE_SCHEMA.type, DATABASE.type})


def table_data_presenter(service: TableDataService, authorizer: Authorizer) -> Any:
    def present(kind: Kind, doc: Doc, principal: Principal | None, fields: frozenset[str] | None) -> Doc:
        if not fields or kind.type not in _USED or "id" not in doc:
            return doc
        everything = "*" in fields
        wanted = _TABLE_FIELDS if everything else fields & _TABLE_FIELDS
        if not wanted:
            return doc
        out = dict(doc)
        if "usageSummary" in wanted:
            summary = service.usage_summary(doc)
            if summary is not None:
                out["usageSummary"] = summary
        if kind.type != TABLE.type:
            return out

        def allowed(operation: Operation) -> bool:
            return principal is not None and authorizer.allows(principal, operation, TABLE.type, doc)

        if "profile" in wanted and allowed(Operation.VIEW_DATA_PROFILE):
            out = service.with_profile(out)
        if "tableProfilerConfig" in wanted and allowed(Operation.VIEW_DATA_PROFILE):
            config = service.profiler_config(doc)
            if config is not None:
                out["tableProfilerConfig"] = config
        if "joins" in wanted:
            joins = service.joins(doc)
            if joins is not None:
                out["joins"] = joins
        if "sampleData" in wanted and allowed(Operation.VIEW_SAMPLE_DATA):
            sample = service.sample_data(doc, may_see_pii=may_see_pii(principal, doc))
            if sample is not None:
                out["sampleData"] = sample
        return out

    return present
