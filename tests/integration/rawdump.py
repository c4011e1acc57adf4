"""Everything a database holds, as text: for tests that prove a secret is stored nowhere.

Every column of every table, and for SQLite the database files themselves (main file, WAL and
journal), since a value can linger in pages a SELECT no longer returns.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa


def raw_database_text(database_url: str, *, files: bool = True) -> str:
    """``files=False``: what the tables hold now, without what lingers in SQLite's free pages."""
    engine = sa.create_engine(database_url)
    parts: list[str] = []
    try:
        with engine.connect() as conn:
            quote = engine.dialect.identifier_preparer.quote
            for table in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f"SELECT * FROM {quote(table)}")):
                    parts.extend(_text(value) for value in row)
    finally:
        engine.dispose()
    if files and database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-journal")):
            if file.exists():
                parts.append(file.read_bytes().decode("latin-1"))
    return "\n".join(parts)


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)
