"""Table data as OpenMetadata's TableResource and UsageResource serve it.

* Sample data (``tableData``): one current sample per table, its values masked for columns
  tagged ``PII.Sensitive`` (or all of them when the table is) unless the caller may see them.
* Profiles: table, column and system profiles are time series (entity_series), read newest
  first between ``startTs`` and ``endTs``; the newest of each is the table's and each
  column's ``profile``.
* Profiler configuration and joins: one current document per table.
* Usage: a daily count per entity with its 7- and 30-day sums, rolled up from a table to its
  schema and database, and percentile ranks computed as OpenMetadata does (the share of the
  type's entities used less that day).
"""

from __future__ import annotations

import copy
import datetime
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy.engine import Connection, Engine

from tessera.catalog import documents
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import BY_TYPE, DATABASE, DATABASE_SCHEMA, TABLE, Kind
from tessera.catalog.service import CatalogService
from tessera.catalog.validation import validate
from tessera.errors import BadRequest, NotFound
from tessera.storage.db import read_once, write_transaction
from tessera.tabledata import store

Doc = dict[str, Any]
ProfileKind = Literal["tableProfile", "columnProfile", "systemProfile"]
PII_SENSITIVE = "PII.Sensitive"
# OpenMetadata's PIIMasker shows this instead of a sensitive value.
MASKED = "********"
SAMPLE, CONFIG, JOINS = "sampleData", "profilerConfig", "joins"
MAX_PAGE = 10_000
# The database's BIGINT: timestamps beyond it cannot be stored.
MAX_MILLIS = 2**63 - 1
# A day's uses of one entity; the 30-day sum of such counts still fits a BIGINT.
MAX_DAILY_COUNT = 10**15


class TableDataService:
    def __init__(self, engine: Engine, catalog: CatalogService, *, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.catalog = catalog
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock() * 1000)

    # -- sample data ----------------------------------------------------------------------------

    def put_sample_data(self, table: Doc, body: Any) -> Doc:
        validate("tableData", body, what="sample data")
        names = body.get("columns") or []
        known = {column["name"] for column in table.get("columns") or []}
        for name in names:
            if name not in known:
                raise BadRequest(f"columns: invalid column name {name}: not a column of {table['name']}")
        width = len(names)
        for index, row in enumerate(body.get("rows") or []):
            if len(row) != width:
                raise BadRequest(f"rows[{index}]: has {len(row)} values for {width} columns")
        with write_transaction(self.engine) as conn:
            store.put_record(conn, table["id"], SAMPLE, self._now(), body)
        return dict(body)

    def sample_data(self, table: Doc, *, may_see_pii: bool) -> Doc | None:
        with read_once(self.engine) as conn:
            sample = store.get_record(conn, table["id"], SAMPLE)
        if sample is None or may_see_pii:
            return sample
        return mask(table, sample)

    def delete_sample_data(self, table: Doc) -> None:
        with write_transaction(self.engine) as conn:
            store.delete_record(conn, table["id"], SAMPLE)

    # -- profiles -------------------------------------------------------------------------------

    def put_profile(self, table: Doc, body: Any) -> Doc:
        """Store a createTableProfile request; answers the table with its newest profiles."""
        validate("createTableProfile", body, what="table profile")
        table_profile = dict(body["tableProfile"])
        at = _millis(table_profile["timestamp"], "tableProfile.timestamp")
        columns = {column["name"]: column for column in table.get("columns") or []}
        points: list[tuple[str, str, str, int, Doc]] = [(table["id"], "tableProfile", "", at, table_profile)]
        for index, profile in enumerate(body.get("columnProfile") or []):
            if profile["name"] not in columns:
                raise BadRequest(
                    f"columnProfile[{index}].name: invalid column name {profile['name']}: "
                    f"not a column of {table['name']}"
                )
            when = _millis(profile["timestamp"], f"columnProfile[{index}].timestamp")
            points.append((table["id"], "columnProfile", profile["name"], when, profile))
        for index, profile in enumerate(body.get("systemProfile") or []):
            when = _millis(profile.get("timestamp") or at, f"systemProfile[{index}].timestamp")
            key = str(profile.get("operation") or "")
            points.append((table["id"], "systemProfile", key, when, {**profile, "timestamp": when}))
        with write_transaction(self.engine) as conn:
            store.put_points(conn, points)
        return self.with_profile(table)

    def profiles(
        self,
        fqn: str,
        kind: ProfileKind,
        *,
        start: int,
        end: int,
        limit: int,
        after: str | None,
    ) -> Doc:
        """``{data, paging}`` of one series, newest first; ``after`` is the last timestamp seen."""
        if start > end:
            raise BadRequest(f"startTs ({start}) must not be after endTs ({end})")
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"limit must be between 1 and {MAX_PAGE}, not {limit}")
        before = _cursor(after)
        table, column = self._profiled(fqn, kind)
        with read_once(self.engine) as conn:
            if kind == "systemProfile":
                data = self._system_profiles(conn, table["id"], start, end)
                total = len(data)
                if before is not None:
                    data = [d for d in data if d["timestamp"] < before]
                data = data[:limit]
            else:
                total, data = store.points(
                    conn, table["id"], kind, column, start=start, end=end, limit=limit, before=before
                )
        paging: Doc = {"total": total}
        if data and len(data) == limit:
            paging["after"] = str(data[-1]["timestamp"])
        return {"data": data, "paging": paging}

    def delete_profile(self, fqn: str, entity_type: str, timestamp: int) -> None:
        """OpenMetadata's ``DELETE /tables/{fqn}/{table|column}/{timestamp}/profile``."""
        if entity_type == "table":
            table, _ = self._profiled(fqn, "tableProfile")
            kinds = ["tableProfile", "systemProfile", "columnProfile"]
        elif entity_type == "column":
            table, _ = self._profiled(fqn, "columnProfile")
            kinds = ["columnProfile"]
        else:
            raise BadRequest(f"entityType must be table or column, not {entity_type!r}")
        with write_transaction(self.engine) as conn:
            if not store.delete_points(conn, table["id"], kinds, timestamp):
                raise NotFound(f"No profile of {fqn} at {timestamp}")

    def with_profile(self, table: Doc, known: Doc | None = None) -> Doc:
        """The table with its newest table profile as ``profile`` and each column's as its own
        (``known``: what :meth:`fields_of_page` read for it already)."""
        out = dict(table)
        if known is not None:
            latest_table, latest_columns = known.get("profile"), known.get("columnProfiles") or {}
        else:
            with read_once(self.engine) as conn:
                latest_table = store.latest(conn, table["id"], "tableProfile").get("")
                latest_columns = store.latest(conn, table["id"], "columnProfile")
        if latest_table is not None:
            out["profile"] = latest_table
        if latest_columns and out.get("columns"):
            out["columns"] = [
                {**column, "profile": latest_columns[column["name"]]}
                if column["name"] in latest_columns
                else column
                for column in out["columns"]
            ]
        return out

    # -- profiler configuration and joins -------------------------------------------------------

    def put_profiler_config(self, table: Doc, body: Any) -> Doc:
        validate("tableProfilerConfig", body, what="table profiler configuration")
        known = {column["name"] for column in table.get("columns") or []}
        named = [("excludeColumns", name) for name in body.get("excludeColumns") or []] + [
            ("includeColumns", c.get("columnName")) for c in body.get("includeColumns") or []
        ]
        for field, name in named:
            if name is not None and name not in known:
                raise BadRequest(f"{field}: invalid column name {name}: not a column of {table['name']}")
        with write_transaction(self.engine) as conn:
            store.put_record(conn, table["id"], CONFIG, self._now(), body)
        return dict(body)

    def profiler_config(self, table: Doc) -> Doc | None:
        with read_once(self.engine) as conn:
            return store.get_record(conn, table["id"], CONFIG)

    def delete_profiler_config(self, table: Doc) -> None:
        with write_transaction(self.engine) as conn:
            store.delete_record(conn, table["id"], CONFIG)

    def put_joins(self, table: Doc, body: Any) -> Doc:
        validate("tableJoins", body, what="table joins")
        known = {column["name"] for column in table.get("columns") or []}
        for index, join in enumerate(body.get("columnJoins") or []):
            if join.get("columnName") not in known:
                raise BadRequest(
                    f"columnJoins[{index}].columnName: invalid column name {join.get('columnName')}: "
                    f"not a column of {table['name']}"
                )
        with write_transaction(self.engine) as conn:
            store.put_record(conn, table["id"], JOINS, self._now(), body)
        return dict(body)

    def joins(self, table: Doc) -> Doc | None:
        with read_once(self.engine) as conn:
            return store.get_record(conn, table["id"], JOINS)

    # -- usage ----------------------------------------------------------------------------------

    def add_usage(self, kind: Kind, entity: Doc, body: Any) -> Doc:
        """A day's usage count of an entity; a table's also counts for its schema and database."""
        validate("usageRequest", body, what="usage")
        try:
            day = datetime.date.fromisoformat(str(body["date"]))
        except ValueError:
            raise BadRequest(f"date must be a date such as 2026-12-03, not {body['date']!r}") from None
        count = int(body["count"])
        if not 0 <= count <= MAX_DAILY_COUNT:
            raise BadRequest(f"count must be from 0 to {MAX_DAILY_COUNT}, not {count}")
        with write_transaction(self.engine) as conn:
            store.add_usage(conn, entity["id"], kind.type, day, count)
            if kind.type == TABLE.type:
                for parent, parent_kind in (
                    (entity.get("databaseSchema"), DATABASE_SCHEMA),
                    (entity.get("database"), DATABASE),
                ):
                    if parent:
                        store.add_usage(conn, parent["id"], parent_kind.type, day, count, increment=True)
        return self.usage(kind, entity, date=day.isoformat(), days=1)

    def usage(self, kind: Kind, entity: Doc, *, date: str | None, days: int) -> Doc:
        """OpenMetadata's EntityUsage: the entity and its usage of ``days`` days up to ``date``."""
        if not 1 <= days <= 30:
            raise BadRequest(f"days must be between 1 and 30, not {days}")
        with read_once(self.engine) as conn:
            rows = store.usage(conn, entity["id"], until=date, days=days)
            details = [_usage_details(conn, row) for row in rows]
        return {"entity": documents.reference(entity, kind.type), "usage": details}

    def usage_summary(self, entity: Doc) -> Doc | None:
        with read_once(self.engine) as conn:
            rows = store.usage(conn, entity["id"], days=1)
            return _usage_details(conn, rows[0]) if rows else None

    def fields_of_page(self, kind: Kind, docs: Sequence[Doc], wanted: frozenset[str]) -> dict[str, Doc]:
        """The table-data fields of a page of entities, a query per field for the whole page:
        entity id -> {field: value} (profile also brings each column's; sample data comes
        unmasked, for the presenter to mask)."""
        ids = [doc["id"] for doc in docs]
        out: dict[str, Doc] = {entity_id: {} for entity_id in ids}
        with read_once(self.engine) as conn:
            if "usageSummary" in wanted:
                for entity_id, row in store.usage_many(conn, ids).items():
                    out[entity_id]["usageSummary"] = _usage_details(conn, row)
            if kind.type != TABLE.type:
                return out
            if "profile" in wanted:
                tables = store.latest_many(conn, ids, "tableProfile")
                columns = store.latest_many(conn, ids, "columnProfile")
                for entity_id in ids:
                    if "" in tables.get(entity_id, {}):
                        out[entity_id]["profile"] = tables[entity_id][""]
                    out[entity_id]["columnProfiles"] = columns.get(entity_id, {})
            for field, record in (("tableProfilerConfig", CONFIG), ("joins", JOINS), ("sampleData", SAMPLE)):
                if field in wanted:
                    for entity_id, doc in store.records_many(conn, ids, record).items():
                        out[entity_id][field] = doc
        return out

    # -- internals ------------------------------------------------------------------------------

    def _profiled(self, fqn: str, kind: ProfileKind) -> tuple[Doc, str]:
        """The table a profile FQN names and the series in it (a column's name, or '')."""
        if kind != "columnProfile":
            return self.catalog.get_by_name(TABLE, fqn), ""
        parts = fqns.split(fqn)
        if len(parts) < 5:
            raise BadRequest(f"{fqn} is not a column FQN (service.database.schema.table.column)")
        table = self.catalog.get_by_name(TABLE, fqns.build(*parts[:-1]))
        if parts[-1] not in {column["name"] for column in table.get("columns") or []}:
            raise NotFound(f"column {parts[-1]} of {table['fullyQualifiedName']} not found")
        return table, parts[-1]

    @staticmethod
    def _system_profiles(conn: Connection, table_id: str, start: int, end: int) -> list[Doc]:
        found: list[Doc] = []
        for operation in ("INSERT", "UPDATE", "DELETE", "WRITE", ""):
            found += store.points(
                conn, table_id, "systemProfile", operation, start=start, end=end, limit=MAX_PAGE
            )[1]
        return sorted(found, key=lambda d: d["timestamp"], reverse=True)


def mask(table: Mapping[str, Any], sample: Mapping[str, Any]) -> Doc:
    """Sample data with the values of PII.Sensitive columns (all, if the table is) masked."""
    whole = _sensitive(table)
    sensitive = {c["name"] for c in table.get("columns") or [] if whole or _sensitive(c)}
    hide = [name in sensitive for name in sample.get("columns") or []]
    out = copy.deepcopy(dict(sample))
    out["rows"] = [
        [MASKED if hidden else value for value, hidden in zip(row, hide, strict=False)]
        for row in sample.get("rows") or []
    ]
    return out


class Cleanup:
    """A catalog write listener: a hard-deleted entity takes its profiles and usage with it
    (its sample data, profiler configuration and joins are entity records, deleted with it)."""

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        return None

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None:
        store.delete_entities(conn, [doc["id"] for doc in docs])


def _sensitive(entity: Mapping[str, Any]) -> bool:
    return any(label.get("tagFQN") == PII_SENSITIVE for label in entity.get("tags") or [])


def _usage_details(conn: Connection, row: Any) -> Doc:
    counts = (int(row.count1), int(row.count7), int(row.count30))
    p1, p7, p30 = store.ranks(conn, row.entity_type, row.usage_date, counts)
    return {
        "dailyStats": {"count": counts[0], "percentileRank": p1},
        "weeklyStats": {"count": counts[1], "percentileRank": p7},
        "monthlyStats": {"count": counts[2], "percentileRank": p30},
        "date": row.usage_date,
    }


def _cursor(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        return _millis(int(after), "after")
    except ValueError:
        raise BadRequest(f"after must be a cursor from a previous page, not {after!r}") from None


def _millis(value: Any, field: str) -> int:
    """Epoch milliseconds the database can hold, or a 400 naming the field."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_MILLIS:
        raise BadRequest(f"{field} must be epoch milliseconds (0 to {MAX_MILLIS}), not {value!r}")
    return int(value)


def kind_of(entity_type: str) -> Kind:
    kind = BY_TYPE.get(entity_type)
    if kind is None or kind.type not in (TABLE.type, DATABASE_SCHEMA.type, DATABASE.type):
        raise BadRequest(f"usage is kept for tables, databaseSchemas and databases, not {entity_type!r}")
    return kind
