"""SQL column types as OpenMetadata's ``dataType`` values, with length, precision and scale.

The names follow OpenMetadata's own ``ColumnTypeParser`` so a table ingested by tessera and
one ingested by ``metadata ingest`` carry the same types. A type is looked up by the name the
source's dialect gives it (``VARCHAR(64)`` -> ``VARCHAR``, ``TIMESTAMP WITHOUT TIME ZONE`` ->
``TIMESTAMP``), then by its first word (``INTEGER UNSIGNED`` -> ``INT``), then by the
SQLAlchemy class it reflects as; anything else is ``UNKNOWN``. Every value used here is checked
against the ``DataType`` enum of OpenMetadata's schema (``check_mapping``, run by the tests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from tessera import contract

# Source type name -> OpenMetadata DataType; the subset of OpenMetadata's table that SQLite,
# PostgreSQL and MySQL/MariaDB produce, plus common synonyms.
SOURCE_TYPES: dict[str, str] = {
    "ARRAY": "ARRAY",
    "BIGINT": "BIGINT",
    "BIGSERIAL": "BIGINT",
    "BINARY": "BINARY",
    "BINARY VARYING": "VARBINARY",
    "BIT": "BIT",
    "BIT VARYING": "BIT",
    "BLOB": "BLOB",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "BOX": "GEOMETRY",
    "BPCHAR": "CHAR",
    "BYTEA": "BYTEA",
    "CHAR": "CHAR",
    "CHARACTER": "CHAR",
    "CHARACTER VARYING": "VARCHAR",
    "CIDR": "CIDR",
    "CIRCLE": "GEOMETRY",
    "CLOB": "CLOB",
    "DATE": "DATE",
    "DATERANGE": "DATETIMERANGE",
    "DATETIME": "DATETIME",
    "DEC": "DECIMAL",
    "DECIMAL": "DECIMAL",
    "DOUBLE": "DOUBLE",
    "DOUBLE PRECISION": "DOUBLE",
    "DOUBLE_PRECISION": "DOUBLE",
    "ENUM": "ENUM",
    "FIXED": "DECIMAL",
    "FLOAT": "FLOAT",
    "FLOAT4": "FLOAT",
    "FLOAT8": "DOUBLE",
    "GEOGRAPHY": "GEOGRAPHY",
    "GEOMETRY": "GEOMETRY",
    "INET": "INET",
    "INT": "INT",
    "INT2": "SMALLINT",
    "INT4": "INT",
    "INT8": "BIGINT",
    "INTEGER": "INT",
    "INTERVAL": "INTERVAL",
    "JSON": "JSON",
    "JSONB": "JSON",
    "LINE": "GEOMETRY",
    "LINESTRING": "GEOMETRY",
    "LONGBLOB": "LONGBLOB",
    "LONGTEXT": "TEXT",
    "LSEG": "GEOMETRY",
    "MACADDR": "MACADDR",
    "MACADDR8": "MACADDR",
    "MEDIUMBLOB": "MEDIUMBLOB",
    "MEDIUMINT": "INT",
    "MEDIUMTEXT": "MEDIUMTEXT",
    "MONEY": "MONEY",
    "NCHAR": "CHAR",
    "NATIONAL CHAR": "CHAR",
    "NATIONAL VARCHAR": "VARCHAR",
    "NULL": "NULL",
    "NUMBER": "NUMBER",
    "NUMERIC": "NUMERIC",
    "NVARCHAR": "VARCHAR",
    "OID": "INT",
    "PATH": "GEOMETRY",
    "PG_LSN": "PG_LSN",
    "PG_SNAPSHOT": "PG_SNAPSHOT",
    "POINT": "GEOMETRY",
    "POLYGON": "GEOMETRY",
    "REAL": "FLOAT",
    "SERIAL": "INT",
    "SET": "SET",
    "SMALLINT": "SMALLINT",
    "SMALLSERIAL": "SMALLINT",
    "STRING": "STRING",
    "TEXT": "TEXT",
    "TIME": "TIME",
    "TIME WITH TIME ZONE": "TIME",
    "TIME WITHOUT TIME ZONE": "TIME",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "TIMESTAMPTZ": "TIMESTAMP",
    "TIMETZ": "TIMESTAMP",
    "TINYBLOB": "BLOB",
    "TINYINT": "TINYINT",
    "TINYTEXT": "TEXT",
    "TSQUERY": "TSQUERY",
    "TSRANGE": "DATETIMERANGE",
    "TSTZRANGE": "DATETIMERANGE",
    "TSVECTOR": "TSVECTOR",
    "TXID_SNAPSHOT": "TXID_SNAPSHOT",
    "UUID": "UUID",
    "VARBINARY": "VARBINARY",
    "VARCHAR": "VARCHAR",
    "VARCHAR2": "VARCHAR",
    "XML": "XML",
    "YEAR": "YEAR",
}

# Reflected SQLAlchemy classes whose name differs from any SQL spelling above (checked along
# the class's MRO, most specific first).
CLASS_TYPES: dict[type[Any], str] = {
    sa.types.ARRAY: "ARRAY",
    sa.types.Boolean: "BOOLEAN",
    sa.types.Date: "DATE",
    sa.types.DateTime: "DATETIME",
    sa.types.Enum: "ENUM",
    sa.types.Float: "FLOAT",
    sa.types.Interval: "INTERVAL",
    sa.types.JSON: "JSON",
    sa.types.LargeBinary: "BLOB",
    sa.types.BigInteger: "BIGINT",
    sa.types.SmallInteger: "SMALLINT",
    sa.types.Integer: "INT",
    sa.types.Numeric: "NUMERIC",
    sa.types.Text: "TEXT",
    sa.types.String: "VARCHAR",
    sa.types.Time: "TIME",
    sa.types.Uuid: "UUID",
    sa.types.NullType: "UNKNOWN",
}

# OpenMetadata's server requires a length on these four, and its client sends 1 when the
# source gives none; we do the same so both clients produce the same column.
LENGTH_REQUIRED = frozenset({"CHAR", "VARCHAR", "BINARY", "VARBINARY"})
PRECISION_TYPES = frozenset({"DECIMAL", "NUMERIC", "NUMBER", "DOUBLE", "FLOAT", "MONEY"})


@dataclass(frozen=True)
class MappedType:
    data_type: str
    display: str
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    array_type: str | None = None


def type_name(sql_type: Any, dialect: Dialect | None) -> str:
    """The type as the source spells it (``VARCHAR(64)``); the class name if it cannot compile."""
    if isinstance(sql_type, sa.types.NullType):
        return "UNKNOWN"
    try:
        return str(sql_type.compile(dialect=dialect))
    except Exception:  # noqa: BLE001 - a dialect that cannot render its own reflected type
        return type(sql_type).__name__.upper()


def map_type(sql_type: Any, dialect: Dialect | None = None) -> MappedType:
    # A collation or character set is not part of the type a person reads in the catalog.
    display = _CHARSET.split(type_name(sql_type, dialect), 1)[0]
    if isinstance(sql_type, sa.types.ARRAY) or display.endswith("[]"):
        data_type = "ARRAY"
    elif isinstance(sql_type, sa.types.NullType):
        # SQLite reflects a column without a type, or with one it does not know, as NullType.
        data_type = "UNKNOWN"
    else:
        data_type = _lookup(display) or _by_class(sql_type) or "UNKNOWN"
    length = None
    if data_type in LENGTH_REQUIRED or data_type in ("TEXT", "STRING", "MEDIUMTEXT", "BLOB"):
        raw = getattr(sql_type, "length", None)
        length = raw if isinstance(raw, int) else (1 if data_type in LENGTH_REQUIRED else None)
    precision = scale = None
    if data_type in PRECISION_TYPES:
        raw_precision = getattr(sql_type, "precision", None)
        raw_scale = getattr(sql_type, "scale", None)
        precision = raw_precision if isinstance(raw_precision, int) else None
        scale = raw_scale if isinstance(raw_scale, int) and precision is not None else None
    array_type = None
    if data_type == "ARRAY":
        item = getattr(sql_type, "item_type", None)
        array_type = map_type(item, dialect).data_type if item is not None else "UNKNOWN"
    return MappedType(data_type, display.lower(), length, precision, scale, array_type)


_CHARSET = re.compile(r"\s+(?:COLLATE|CHARACTER SET)\s+", re.IGNORECASE)
_PARAMS = re.compile(r"\(.*?\)|\[\]")


def _lookup(display: str) -> str | None:
    name = _PARAMS.sub("", display.upper()).split(" COLLATE ", 1)[0].split(" CHARACTER SET ", 1)[0]
    name = " ".join(name.split())
    if name in SOURCE_TYPES:
        return SOURCE_TYPES[name]
    first = name.split(" ", 1)[0] if name else ""
    return SOURCE_TYPES.get(first)


def _by_class(sql_type: Any) -> str | None:
    for klass in type(sql_type).__mro__:
        if klass in CLASS_TYPES:
            return CLASS_TYPES[klass]
    return None


def check_mapping() -> list[str]:
    """Mapped values that are not in OpenMetadata's DataType enum (should be none)."""
    allowed = set(contract.schema("table")["$defs"]["DataType"]["enum"])
    used = set(SOURCE_TYPES.values()) | set(CLASS_TYPES.values()) | {"UNKNOWN"}
    return sorted(used - allowed)
