"""Which database errors a write may retry, decided by the error's code, never by its text.

A retry is right only where running the same transaction again can succeed: the database chose
it as the victim of a conflict (serialization failure, deadlock), a lock or the database was
busy, or the connection was lost before anything was committed (a failover). Everything else is
a bug or bad data, and retrying it only hides it for longer.

Codes by backend:

- PostgreSQL: SQLSTATE (``psycopg.Error.sqlstate``): 40001 serialization_failure, 40P01
  deadlock_detected, 55P03 lock_not_available (``lock_timeout``), 57P01/57P02/57P03 the server
  shutting down or starting, 53300 too_many_connections, class 08 connection exceptions;
  23505 unique_violation.
- MySQL/MariaDB: the error number (``pymysql`` ``args[0]``): 1213 ER_LOCK_DEADLOCK, 1205
  ER_LOCK_WAIT_TIMEOUT, 1040 too many connections, 2006/2013 server gone or connection lost,
  1927 connection killed (MariaDB), 4031 disconnected for inactivity (MySQL 8); 1062
  ER_DUP_ENTRY.
- SQLite: the primary result code (``sqlite3.Error.sqlite_errorcode & 0xff``): 5 SQLITE_BUSY,
  6 SQLITE_LOCKED; 2067 SQLITE_CONSTRAINT_UNIQUE and 1555 SQLITE_CONSTRAINT_PRIMARYKEY.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


class Transient(StrEnum):
    CONFLICT = "conflict"  # chosen as the victim of a serialization failure or a deadlock
    BUSY = "busy"  # a lock wait timed out, the database is busy or full of connections
    DISCONNECTED = "disconnected"  # the connection or the server went away (restart, failover)


_PG_CONFLICT = frozenset({"40001", "40P01"})
_PG_BUSY = frozenset({"55P03", "53300", "57P03"})
_PG_GONE = frozenset({"57P01", "57P02"})
_MYSQL_CONFLICT = frozenset({1213})
_MYSQL_BUSY = frozenset({1205, 1040})
_MYSQL_GONE = frozenset({2006, 2013, 1927, 4031})
_SQLITE_BUSY = frozenset({5, 6})

_PG_UNIQUE = "23505"
_MYSQL_DUP_ENTRY = 1062
_SQLITE_UNIQUE = frozenset({2067, 1555})


def transient(exc: BaseException) -> Transient | None:
    """What kind of transient failure ``exc`` is, or None when retrying cannot help."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    if exc.connection_invalidated:
        # SQLAlchemy recognised a dropped connection; the pool replaces it.
        return Transient.DISCONNECTED
    orig = exc.orig
    sqlstate = _sqlstate(orig)
    if sqlstate is not None:
        if sqlstate in _PG_CONFLICT:
            return Transient.CONFLICT
        if sqlstate in _PG_BUSY:
            return Transient.BUSY
        if sqlstate in _PG_GONE or sqlstate.startswith("08"):
            return Transient.DISCONNECTED
        return None
    errno = _mysql_errno(orig)
    if errno is not None:
        if errno in _MYSQL_CONFLICT:
            return Transient.CONFLICT
        if errno in _MYSQL_BUSY:
            return Transient.BUSY
        if errno in _MYSQL_GONE:
            return Transient.DISCONNECTED
        return None
    code = _sqlite_code(orig)
    if code is not None and code & 0xFF in _SQLITE_BUSY:
        return Transient.BUSY
    return None


def unique_violation(exc: BaseException) -> bool:
    """Whether ``exc`` is a unique (or primary) key violation: another writer inserted the same
    key first. Only the caller knows whether that is a race worth retrying."""
    if not isinstance(exc, sa.exc.IntegrityError):
        return False
    orig = exc.orig
    sqlstate = _sqlstate(orig)
    if sqlstate is not None:
        return sqlstate == _PG_UNIQUE
    errno = _mysql_errno(orig)
    if errno is not None:
        return errno == _MYSQL_DUP_ENTRY
    code = _sqlite_code(orig)
    return code is not None and code in _SQLITE_UNIQUE


def _sqlstate(orig: BaseException | None) -> str | None:
    # psycopg 3 errors carry the SQLSTATE the server sent (None for client-side failures).
    # pymysql's have a sqlstate attribute too, but their error number is what MySQL documents.
    if orig is None or not type(orig).__module__.startswith("psycopg"):
        return None
    value = getattr(orig, "sqlstate", None)
    return value if isinstance(value, str) else None


def _mysql_errno(orig: BaseException | None) -> int | None:
    # pymysql raises its errors as (errno, message).
    if orig is None or not type(orig).__module__.startswith("pymysql"):
        return None
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _sqlite_code(orig: BaseException | None) -> int | None:
    value = getattr(orig, "sqlite_errorcode", None)
    return value if isinstance(value, int) else None
