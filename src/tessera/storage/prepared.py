"""Hot reads as the driver's own SQL, compiled once per database dialect.

SQLAlchemy's ``Connection.execute`` of even a cached statement looks it up by cache key,
processes every bound parameter and sets up result processing: on a GET by name that machinery
cost more than SQLite took to answer. A :class:`Prepared` statement is compiled once per dialect
(with the dialect's own placeholders) and run with ``Connection.exec_driver_sql``, which skips
all that and still runs the engine's events (the connection's options, the metrics). Only for
statements whose columns need no result processing: plain strings and integers (a boolean comes
back as the driver gives it, 0/1 on SQLite and MySQL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.expression import Executable


class Prepared:
    def __init__(self, statement: Executable) -> None:
        self._statement = statement
        self._compiled: dict[Dialect, tuple[str, tuple[str, ...] | None]] = {}

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> CursorResult[Any]:
        compiled = self._compiled.get(conn.dialect)
        if compiled is None:
            compiled = self._compiled[conn.dialect] = self._compile(conn.dialect)
        sql, positions = compiled
        if positions is None:
            return conn.exec_driver_sql(sql, dict(params))
        return conn.exec_driver_sql(sql, tuple(params[name] for name in positions))

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        compiled = self._statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        positions = tuple(compiled.positiontup) if compiled.positional else None
        return str(compiled.string), positions
