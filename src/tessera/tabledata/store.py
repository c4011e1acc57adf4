"""The tables of table data: entity_series (profiles by entity, series and time), entity_usage
(daily counts with their weekly and monthly sums) and entity_record (one current document per
entity and kind: sample data, profiler configuration, joins).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from tessera.storage.schema import entity_record, entity_series, entity_usage

Doc = dict[str, Any]
CHUNK = 500


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# -- one current document per entity and kind -----------------------------------------------------


def put_record(conn: Connection, entity_id: str, kind: str, timestamp: int, doc: Doc) -> None:
    where = (entity_record.c.entity_id == entity_id, entity_record.c.kind == kind)
    payload = orjson.dumps(doc).decode()
    updated = conn.execute(sa.update(entity_record).where(*where).values(timestamp=timestamp, doc=payload))
    if not updated.rowcount:
        conn.execute(
            sa.insert(entity_record).values(
                entity_id=entity_id, kind=kind, record_key="", timestamp=timestamp, doc=payload
            )
        )


def get_record(conn: Connection, entity_id: str, kind: str) -> Doc | None:
    raw = conn.execute(
        sa.select(entity_record.c.doc).where(
            entity_record.c.entity_id == entity_id, entity_record.c.kind == kind
        )
    ).first()
    return orjson.loads(raw.doc) if raw is not None else None


def delete_record(conn: Connection, entity_id: str, kind: str) -> bool:
    result = conn.execute(
        sa.delete(entity_record).where(entity_record.c.entity_id == entity_id, entity_record.c.kind == kind)
    )
    return bool(result.rowcount)


# -- time series ----------------------------------------------------------------------------------


def put_points(conn: Connection, points: Sequence[tuple[str, str, str, int, Doc]]) -> None:
    """(entity_id, kind, series_key, timestamp, doc) points; one at the same instant is replaced."""
    if not points:
        return
    rows = [
        {"entity_id": e, "kind": k, "series_key": s, "timestamp": t, "doc": orjson.dumps(d).decode()}
        for e, k, s, t, d in points
    ]
    conn.execute(_series_upsert(conn.dialect.name), rows)


@functools.cache
def _series_upsert(dialect: str) -> sa.Executable:
    if dialect in ("mysql", "mariadb"):
        statement = mysql.insert(entity_series)
        return statement.on_duplicate_key_update(doc=statement.inserted.doc)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(entity_series)
    key = [
        entity_series.c.entity_id,
        entity_series.c.kind,
        entity_series.c.series_key,
        entity_series.c.timestamp,
    ]
    return upsert.on_conflict_do_update(index_elements=key, set_={"doc": upsert.excluded.doc})


def points(
    conn: Connection,
    entity_id: str,
    kind: str,
    series_key: str,
    *,
    start: int,
    end: int,
    limit: int,
    before: int | None = None,
) -> tuple[int, list[Doc]]:
    """The total in [start, end] and up to ``limit`` of them, newest first (before ``before``)."""
    where = (
        entity_series.c.entity_id == entity_id,
        entity_series.c.kind == kind,
        entity_series.c.series_key == series_key,
        entity_series.c.timestamp >= start,
        entity_series.c.timestamp <= end,
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(entity_series).where(*where)).scalar_one()
    query = sa.select(entity_series.c.doc).where(*where)
    if before is not None:
        query = query.where(entity_series.c.timestamp < before)
    query = query.order_by(entity_series.c.timestamp.desc()).limit(limit)
    return int(total), [orjson.loads(raw.doc) for raw in conn.execute(query)]


def latest(conn: Connection, entity_id: str, kind: str) -> dict[str, Doc]:
    """The newest point of each series of ``kind`` on an entity: series key -> document."""
    return latest_many(conn, [entity_id], kind).get(entity_id, {})


def delete_points(conn: Connection, entity_id: str, kinds: Sequence[str], timestamp: int) -> int:
    result = conn.execute(
        sa.delete(entity_series).where(
            entity_series.c.entity_id == entity_id,
            entity_series.c.kind.in_(kinds),
            entity_series.c.timestamp == timestamp,
        )
    )
    return int(result.rowcount or 0)


# -- usage ----------------------------------------------------------------------------------------


def add_usage(
    conn: Connection,
    entity_id: str,
    entity_type: str,
    day: datetime.date,
    count: int,
    *,
    increment: bool = False,
) -> None:
    """Record ``count`` uses on ``day`` (replacing what that day had, or adding to it for a
    roll-up), with the rolling 7- and 30-day sums OpenMetadata keeps beside it (the day itself
    and the days before it)."""
    date = day.isoformat()
    if increment:
        current = conn.execute(
            sa.select(entity_usage.c.count1).where(
                entity_usage.c.entity_id == entity_id, entity_usage.c.usage_date == date
            )
        ).scalar()
        count += int(current or 0)
    earlier = sa.select(entity_usage.c.usage_date, entity_usage.c.count1).where(
        entity_usage.c.entity_id == entity_id,
        entity_usage.c.usage_date >= (day - datetime.timedelta(days=29)).isoformat(),
        entity_usage.c.usage_date < date,
    )
    week_start = (day - datetime.timedelta(days=6)).isoformat()
    count7 = count30 = count
    for raw in conn.execute(earlier):
        count30 += raw.count1
        if raw.usage_date >= week_start:
            count7 += raw.count1
    where = (entity_usage.c.entity_id == entity_id, entity_usage.c.usage_date == date)
    values = {"count1": count, "count7": count7, "count30": count30}
    if not conn.execute(sa.update(entity_usage).where(*where).values(**values)).rowcount:
        conn.execute(
            sa.insert(entity_usage).values(
                entity_id=entity_id, usage_date=date, entity_type=entity_type, **values
            )
        )


def usage(conn: Connection, entity_id: str, *, until: str | None = None, days: int = 1) -> list[Any]:
    """The newest ``days`` rows of an entity's usage (up to ``until``), newest first."""
    query = sa.select(entity_usage).where(entity_usage.c.entity_id == entity_id)
    if until is not None:
        query = query.where(entity_usage.c.usage_date <= until)
    return list(conn.execute(query.order_by(entity_usage.c.usage_date.desc()).limit(days)))


def ranks(conn: Connection, entity_type: str, date: str, counts: tuple[int, int, int]) -> tuple[float, ...]:
    """OpenMetadata's percentile ranks: the share of the type's entities with usage that day
    whose daily, weekly and monthly counts are below these, in percent with two decimals."""
    day = (entity_usage.c.entity_type == entity_type, entity_usage.c.usage_date == date)
    below = [
        sa.func.sum(sa.case((column < value, 1), else_=0))
        for column, value in zip(
            (entity_usage.c.count1, entity_usage.c.count7, entity_usage.c.count30), counts, strict=True
        )
    ]
    raw = conn.execute(sa.select(sa.func.count(), *below).where(*day)).one()
    total = int(raw[0] or 0)
    if not total:
        return (0.0, 0.0, 0.0)
    return tuple(round(100 * int(n or 0) / total, 2) for n in raw[1:])


# -- a hard-deleted entity takes all of it --------------------------------------------------------


def delete_entities(conn: Connection, ids: Sequence[str]) -> None:
    for chunk in _chunks(list(ids)):
        conn.execute(sa.delete(entity_series).where(entity_series.c.entity_id.in_(chunk)))
        conn.execute(sa.delete(entity_usage).where(entity_usage.c.entity_id.in_(chunk)))


# -- a page of entities at once (fields= on a list) ---------------------------------------------


def latest_many(conn: Connection, ids: Sequence[str], kind: str) -> dict[str, dict[str, Doc]]:
    """The newest point of each series of ``kind`` on these entities: entity id -> series key ->
    document. Two steps, each on the primary key: the newest timestamps (an index-only
    aggregate), then those rows. A join of the two let PostgreSQL's planner pick a plan that
    took seconds for a year of column profiles."""
    found: dict[str, dict[str, Doc]] = {}
    for chunk in _chunks(list(ids)):
        newest = conn.execute(
            sa.select(
                entity_series.c.entity_id,
                entity_series.c.series_key,
                sa.func.max(entity_series.c.timestamp),
            )
            .where(entity_series.c.entity_id.in_(chunk), entity_series.c.kind == kind)
            .group_by(entity_series.c.entity_id, entity_series.c.series_key)
        ).all()
        for part in range(0, len(newest), CHUNK // 4):
            keys = newest[part : part + CHUNK // 4]
            query = sa.select(
                entity_series.c.entity_id, entity_series.c.series_key, entity_series.c.doc
            ).where(
                entity_series.c.kind == kind,
                sa.or_(
                    *(
                        sa.and_(
                            entity_series.c.entity_id == entity_id,
                            entity_series.c.series_key == series_key,
                            entity_series.c.timestamp == timestamp,
                        )
                        for entity_id, series_key, timestamp in keys
                    )
                ),
            )
            for raw in conn.execute(query):
                found.setdefault(raw.entity_id, {})[raw.series_key] = orjson.loads(raw.doc)
    return found


def records_many(conn: Connection, ids: Sequence[str], kind: str) -> dict[str, Doc]:
    found: dict[str, Doc] = {}
    for chunk in _chunks(list(ids)):
        query = sa.select(entity_record.c.entity_id, entity_record.c.doc).where(
            entity_record.c.entity_id.in_(chunk), entity_record.c.kind == kind
        )
        found.update({raw.entity_id: orjson.loads(raw.doc) for raw in conn.execute(query)})
    return found


def usage_many(conn: Connection, ids: Sequence[str]) -> dict[str, Any]:
    """The newest usage row of each of these entities."""
    found: dict[str, Any] = {}
    for chunk in _chunks(list(ids)):
        newest = (
            sa.select(entity_usage.c.entity_id, sa.func.max(entity_usage.c.usage_date).label("day"))
            .where(entity_usage.c.entity_id.in_(chunk))
            .group_by(entity_usage.c.entity_id)
            .subquery()
        )
        query = sa.select(entity_usage).join(
            newest,
            sa.and_(
                entity_usage.c.entity_id == newest.c.entity_id, entity_usage.c.usage_date == newest.c.day
            ),
        )
        found.update({raw.entity_id: raw for raw in conn.execute(query)})
    return found
