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

from collections.abc import Mapping, Sequence
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


class PreparedInsert:
    """An INSERT of many rows at once, its rows passed to the driver as they are.

    ``Connection.execute`` of an INSERT with a list of rows runs every row through SQLAlchemy's
    parameter processing before the driver's executemany: a bulk PUT of tables inserts hundreds
    of search terms, and that processing cost more than SQLite took to insert them. Only for
    columns whose values the driver takes as they are (strings, integers, booleans). Compiled
    once per dialect and set of columns (those of the first row; every row has the same).

    With ``multi_row``, on SQLite the rows go in as one multi-row INSERT per chunk: an
    executemany runs the statement once per row, and a row whose trigger adds to the FTS5 index
    made FTS5 write its pending words to disk when the next row's statement began (one index
    segment per row, merged later); in one statement they are written once, at commit.
    """

    # SQLite's bound on variables per statement before 3.32 (32,766 since): safe everywhere.
    _SQLITE_VARIABLES = 999

    def __init__(self, statement: Executable, *, multi_row: bool = False) -> None:
        self._statement = statement
        self._multi_row = multi_row
        self._compiled: dict[tuple[Dialect, tuple[str, ...]], tuple[str, tuple[str, ...] | None]] = {}

    def insert(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        columns = tuple(rows[0])
        compiled = self._compiled.get((conn.dialect, columns))
        if compiled is None:
            compiled = self._compiled[(conn.dialect, columns)] = self._compile(conn.dialect, columns)
        sql, positions = compiled
        if positions is None:
            conn.exec_driver_sql(sql, list(rows))
            return
        if not (self._multi_row and conn.dialect.name == "sqlite") or len(rows) == 1:
            conn.exec_driver_sql(sql, [tuple([row[name] for name in positions]) for row in rows])
            return
        head, values, group = sql.rpartition(" VALUES ")
        per_statement = max(1, self._SQLITE_VARIABLES // len(positions))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            flat = tuple([row[name] for row in chunk for name in positions])
            conn.exec_driver_sql(f"{head}{values}{', '.join([group] * len(chunk))}", flat)

    def _compile(self, dialect: Dialect, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...] | None]:
        compiled = self._statement.compile(dialect=dialect, column_keys=list(columns))  # type: ignore[attr-defined]
        positions = tuple(compiled.positiontup) if compiled.positional else None
        return str(compiled.string), positions
