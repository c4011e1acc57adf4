"""OpenMetadata create requests, built the way OpenMetadata's own client builds them.

Parents are named by FQN strings (``service``, ``database``, ``databaseSchema``); column FQNs
are computed here; table constraints carry composite primary and unique keys and foreign keys
with ``referredColumns`` FQNs and a ``relationshipType``; views carry their definition in
``schemaDefinition``. Every request carries ``sourceHash``, a fingerprint, so the server can
skip an entity whose source has not changed. A table's fingerprint is taken from the source's
facts rather than from the request, so that a rerun can compare it with the catalog's before
building anything: from the source's digest of the table's definition where it has one (then
the table need not even be described), else from the :class:`TableMeta` and the relationships
of its foreign keys. It also covers ``REQUEST_FORMAT`` and tessera's version, since the same
facts make a different request when the mapping changes.

Where tessera differs from ``metadata ingest``: columns carry their ordinal position up front
(OpenMetadata patches it in afterwards), foreign keys are resolved from the source instead of
by asking the server, and a column's default is shown in ``dataTypeDisplay`` (OpenMetadata's
Column has no field for it and drops it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from tessera import __version__, contract
from tessera.ingest import fqn as fqns
from tessera.ingest.sources.base import ColumnMeta, TableMeta
from tessera.ingest.workflow import Source

Request = dict[str, Any]

TABLE_TYPES = {"table": "Regular", "view": "View", "materialized_view": "MaterializedView"}
# Bump when TableRequests.build makes a different request from the same source facts: every
# table is then sent again once, instead of being skipped as unchanged.
REQUEST_FORMAT = 1


class InvalidRequest(Exception):
    """A request OpenMetadata's schema would reject; the entity is counted as failed."""

    def __init__(self, fqn: str, message: str) -> None:
        super().__init__(f"{fqn}: {message}")
        self.fqn = fqn
        self.message = message


def entity_name(name: str) -> str:
    """OpenMetadata's client encodes ``::`` and ``>`` in table and column names."""
    return name.replace("::", "__reserved__colon__").replace(">", "__reserved__arrow__")


def fqn(*names: str) -> str:
    try:
        return fqns.build(*names)
    except fqns.InvalidName as exc:
        raise InvalidRequest(".".join(names), exc.message) from None


def child_fqn(parent: str, name: str) -> str:
    """``parent.name`` with ``name`` quoted as OpenMetadata does (cheaper than rebuilding)."""
    try:
        return fqns.child(parent, name)
    except fqns.InvalidName as exc:
        raise InvalidRequest(f"{parent}.{name}", exc.message) from None


def source_hash(request: Mapping[str, Any]) -> str:
    """md5 of the canonical JSON of the request without its hash: 32 hex characters, the
    length OpenMetadata's ``sourceHash`` allows. A fingerprint, not a security measure."""
    body = {k: v for k, v in request.items() if k != "sourceHash"}
    return hashlib.md5(orjson.dumps(body, option=orjson.OPT_SORT_KEYS), usedforsecurity=False).hexdigest()


def _hashed(request: Request) -> Request:
    request["sourceHash"] = source_hash(request)
    return request


def _checked(schema: str, request: Request, label: str) -> Request:
    problems = contract.errors(schema, request)
    if problems:
        raise InvalidRequest(label, "; ".join(problems[:3]))
    return request


def service_request(source: Source) -> Request:
    """CreateDatabaseServiceRequest. The connection is reduced to the keys OpenMetadata's
    connection schema knows, with the password in ``authType`` as OpenMetadata 2.x wants it."""
    config = source.serviceConnection.config
    connection: dict[str, Any] = {"type": source.service_type}
    if source.type == "sqlite":
        connection.update(database=config.database, databaseMode=config.databaseMode)
    else:
        connection.update(username=config.username, hostPort=config.hostPort)
        if config.secret is not None:
            connection["authType"] = {"password": config.secret}
        if source.type == "postgres":
            connection["database"] = config.database
        else:
            for key in ("databaseName", "databaseSchema"):
                if getattr(config, key):
                    connection[key] = getattr(config, key)
    request: Request = {
        "name": source.serviceName,
        "serviceType": source.service_type,
        "connection": {"config": {k: v for k, v in connection.items() if v is not None}},
    }
    return _checked("createDatabaseService", request, source.serviceName)


def database_request(service: str, database: str) -> Request:
    request = _hashed({"name": database, "service": fqn(service)})
    return _checked("createDatabase", request, fqn(service, database))


def schema_request(service: str, database: str, schema: str) -> Request:
    request = _hashed({"name": schema, "database": fqn(service, database)})
    return _checked("createDatabaseSchema", request, fqn(service, database, schema))


UniqueKeys = Callable[[str, str], "tuple[tuple[str, ...], ...]"]


class TableRequests:
    """Builds CreateTableRequests for one service and database.

    ``described`` holds every table described in this run (to resolve foreign keys without a
    server round trip); ``unique_keys`` asks the source about a referred table that is not
    among them.
    """

    def __init__(self, service: str, database: str, unique_keys: UniqueKeys) -> None:
        self.service = service
        self.database = database
        self._unique_keys = unique_keys
        self.described: dict[tuple[str, str], TableMeta] = {}
        self._keys_cache: dict[tuple[str, str], tuple[frozenset[str], ...]] = {}

    def table_fqn(self, schema: str, table: str) -> str:
        return fqn(self.service, self.database, schema, entity_name(table))

    def remember(self, table: TableMeta) -> None:
        self.described[(table.schema, table.name)] = table

    def fingerprint(self, table: TableMeta, digest: str | None = None) -> str:
        """The ``sourceHash`` of the request :meth:`build` makes for ``table``, without building
        it: md5 of everything the request is made from (32 hex characters, the length
        OpenMetadata's ``sourceHash`` allows; a fingerprint, not a security measure)."""
        if digest is not None:
            return self.fingerprint_of_digest(table.schema, table.name, table.kind, digest)
        facts = [REQUEST_FORMAT, __version__, self.service, self.database, table, self._relationships(table)]
        return hashlib.md5(orjson.dumps(facts), usedforsecurity=False).hexdigest()

    def fingerprint_of_digest(self, schema: str, name: str, kind: str, digest: str) -> str:
        """The fingerprint of a table the source digested (``Source.digests``): it is known
        before the table is described."""
        facts = [REQUEST_FORMAT, __version__, self.service, self.database, schema, name, kind, digest]
        return hashlib.md5(orjson.dumps(facts), usedforsecurity=False).hexdigest()

    def build(self, table: TableMeta, fingerprint: str | None = None) -> Request:
        table_fqn = self.table_fqn(table.schema, table.name)
        single_pk = table.primary_key[0] if len(table.primary_key) == 1 else None
        single_unique = {u[0] for u in table.unique if len(u) == 1}
        composite_pk = frozenset(table.primary_key) if len(table.primary_key) > 1 else frozenset()
        columns = [
            _column(column, position, table_fqn, single_pk, composite_pk, single_unique)
            for position, column in enumerate(table.columns, start=1)
        ]
        constraints: list[dict[str, Any]] = []
        if len(table.primary_key) > 1:
            constraints.append({"constraintType": "PRIMARY_KEY", "columns": list(table.primary_key)})
        for unique in table.unique:
            if len(unique) > 1:
                constraints.append({"constraintType": "UNIQUE", "columns": list(unique)})
        for fk, relationship in zip(table.foreign_keys, self._relationships(table), strict=True):
            referred = self.table_fqn(fk.referred_schema, fk.referred_table)
            constraints.append(
                {
                    "constraintType": "FOREIGN_KEY",
                    "columns": list(fk.columns),
                    "referredColumns": [child_fqn(referred, entity_name(c)) for c in fk.referred_columns],
                    "relationshipType": relationship,
                }
            )
        request: Request = {
            "name": entity_name(table.name),
            "tableType": TABLE_TYPES[table.kind],
            "columns": columns,
            "tableConstraints": constraints,
            "databaseSchema": fqn(self.service, self.database, table.schema),
        }
        if table.comment:
            request["description"] = table.comment
        if table.view_definition:
            request["schemaDefinition"] = table.view_definition
        request["sourceHash"] = fingerprint or self.fingerprint(table)
        return _checked("createTable", request, table_fqn)

    def _relationships(self, table: TableMeta) -> list[str]:
        return [
            self._relationship(table, fk.columns, fk.referred_schema, fk.referred_table, fk.referred_columns)
            for fk in table.foreign_keys
        ]

    def _relationship(
        self,
        table: TableMeta,
        columns: tuple[str, ...],
        referred_schema: str,
        referred_table: str,
        referred_columns: tuple[str, ...],
    ) -> str:
        # OpenMetadata's rule (metadata.utils.constraints.get_relationship_type), with keys
        # compared as sets so composite keys count too.
        here = table.is_unique(columns)
        there = frozenset(referred_columns) in self._keys(referred_schema, referred_table)
        if here and there:
            return "ONE_TO_ONE"
        if here:
            return "ONE_TO_MANY"
        if there:
            return "MANY_TO_ONE"
        return "MANY_TO_MANY"

    def _keys(self, schema: str, table: str) -> tuple[frozenset[str], ...]:
        key = (schema, table)
        if key not in self._keys_cache:
            meta = self.described.get(key)
            if meta is not None:
                keys = ((meta.primary_key,) if meta.primary_key else ()) + meta.unique
            else:
                keys = self._unique_keys(schema, table)
            self._keys_cache[key] = tuple(frozenset(k) for k in keys if k)
        return self._keys_cache[key]


def _column(
    column: ColumnMeta,
    position: int,
    table_fqn: str,
    single_pk: str | None,
    composite_pk: frozenset[str],
    single_unique: set[str],
) -> Request:
    mapped = column.type
    name = entity_name(column.name)
    constraint: str | None
    if column.name == single_pk:
        constraint = "PRIMARY_KEY"
    elif column.name in composite_pk:
        # As OpenMetadata's client: a member of a composite primary key has no column
        # constraint; the table's PRIMARY_KEY constraint says it (and that it is not null).
        constraint = None
    elif column.name in single_unique:
        constraint = "UNIQUE"
    else:
        constraint = "NULL" if column.nullable else "NOT_NULL"
    display = mapped.display if column.default is None else f"{mapped.display} default {column.default}"
    out: Request = {
        "name": name,
        "dataType": mapped.data_type,
        "dataTypeDisplay": display,
        "ordinalPosition": position,
        "fullyQualifiedName": child_fqn(table_fqn, name),
    }
    if constraint is not None:
        out["constraint"] = constraint
    if mapped.length is not None:
        out["dataLength"] = mapped.length
    if mapped.precision is not None:
        out["precision"] = mapped.precision
    if mapped.scale is not None:
        out["scale"] = mapped.scale
    if mapped.array_type is not None:
        out["arrayDataType"] = mapped.array_type
    if column.comment:
        out["description"] = column.comment
    return out
