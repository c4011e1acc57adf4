"""The SQLite database ``metadata ingest`` catalogs: a small shop using what the client maps.

Primary keys (single and composite), foreign keys (to a plain and to a text key), UNIQUE
(single-column and composite), NOT NULL, numeric precision and scale, varchar lengths, a view,
a table whose name contains a dot (so its FQN part is quoted), and one with non-ASCII letters,
a slash and a space in its names.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

SHOP = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(120) NOT NULL UNIQUE, name TEXT,"
    " balance NUMERIC(10,2), created_at DATETIME)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
    " customer_id INTEGER NOT NULL REFERENCES customers(id), total DECIMAL(12,4) NOT NULL,"
    " note VARCHAR(255))",
    "CREATE TABLE products (sku VARCHAR(32) PRIMARY KEY, title VARCHAR(200) NOT NULL, weight REAL,"
    " active BOOLEAN, launched DATE, picture BLOB, CONSTRAINT uq_products_title UNIQUE (title))",
    "CREATE TABLE line_items (order_id INTEGER NOT NULL REFERENCES orders(id), line_no INTEGER NOT NULL,"
    " sku VARCHAR(32) NOT NULL REFERENCES products(sku), quantity INTEGER NOT NULL DEFAULT 1,"
    " price NUMERIC(8,2), PRIMARY KEY (order_id, line_no), UNIQUE (order_id, sku))",
    'CREATE TABLE "audit.log" (id INTEGER PRIMARY KEY, logged_at TIMESTAMP, message TEXT,'
    " customer_id INTEGER REFERENCES customers(id))",
    "CREATE VIEW big_orders AS SELECT id, customer_id, total FROM orders WHERE total > 100",
    # Non-ASCII, a slash (%2F in the client's URLs) and a space.
    'CREATE TABLE "café/menü" (id INTEGER PRIMARY KEY, größe VARCHAR(10), "odd name" TEXT)',
)
# Between the second and the third run: one table goes, another arrives.
DROPPED = "line_items"
ADDED = "refunds"
CHANGE = (
    f"DROP TABLE {DROPPED}",
    f"CREATE TABLE {ADDED} (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id),"
    " amount NUMERIC(12,4) NOT NULL, reason VARCHAR(500))",
)

# What OpenMetadata 2.0.7's client sends for each SQLite declared type; tessera must echo it.
CLIENT_TYPES: dict[str, dict[str, object]] = {
    "INTEGER": {"dataType": "INT"},
    "TEXT": {"dataType": "TEXT"},
    "REAL": {"dataType": "FLOAT"},
    "BOOLEAN": {"dataType": "BOOLEAN"},
    "DATE": {"dataType": "DATE"},
    "DATETIME": {"dataType": "DATETIME"},
    "TIMESTAMP": {"dataType": "TIMESTAMP"},
    "BLOB": {"dataType": "BLOB"},
    "VARCHAR(10)": {"dataType": "VARCHAR", "dataLength": 10},
    "VARCHAR(32)": {"dataType": "VARCHAR", "dataLength": 32},
    "VARCHAR(120)": {"dataType": "VARCHAR", "dataLength": 120},
    "VARCHAR(200)": {"dataType": "VARCHAR", "dataLength": 200},
    "VARCHAR(255)": {"dataType": "VARCHAR", "dataLength": 255},
    "VARCHAR(500)": {"dataType": "VARCHAR", "dataLength": 500},
    "NUMERIC(8,2)": {"dataType": "NUMERIC", "precision": 8, "scale": 2},
    "NUMERIC(10,2)": {"dataType": "NUMERIC", "precision": 10, "scale": 2},
    "NUMERIC(12,4)": {"dataType": "NUMERIC", "precision": 12, "scale": 4},
    "DECIMAL(12,4)": {"dataType": "DECIMAL", "precision": 12, "scale": 4},
}


@dataclass(frozen=True)
class SourceColumn:
    name: str
    declared_type: str
    not_null: bool
    primary_key_position: int  # 0 = not part of the primary key


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    referred_column: str


@dataclass(frozen=True)
class SourceTable:
    name: str
    is_view: bool
    columns: tuple[SourceColumn, ...]
    foreign_keys: tuple[ForeignKey, ...]
    # UNIQUE constraints over more than one column, each as its column names.
    composite_unique: tuple[tuple[str, ...], ...]

    @property
    def primary_key(self) -> tuple[str, ...]:
        members = sorted((c.primary_key_position, c.name) for c in self.columns if c.primary_key_position)
        return tuple(name for _, name in members)


def create(path: Path, statements: tuple[str, ...] = SHOP) -> Path:
    execute(path, statements)
    return path


def execute(path: Path, statements: tuple[str, ...]) -> None:
    with _connection(path) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def introspect(path: Path) -> dict[str, SourceTable]:
    """What the source holds, read from SQLite itself: the truth the catalog must match."""
    with _connection(path) as conn:
        objects = conn.execute(
            "SELECT name, type FROM sqlite_master"
            " WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        tables: dict[str, SourceTable] = {}
        for name, kind in objects:
            rows = conn.execute('SELECT name, type, "notnull", pk FROM pragma_table_info(?)', (name,))
            columns = tuple(SourceColumn(c, t, bool(nn), pk) for c, t, nn, pk in rows.fetchall())
            keys = conn.execute('SELECT "from", "table", "to" FROM pragma_foreign_key_list(?)', (name,))
            foreign_keys = tuple(ForeignKey(*row) for row in keys.fetchall())
            unique: list[tuple[str, ...]] = []
            for (index,) in conn.execute(
                "SELECT name FROM pragma_index_list(?) WHERE origin = 'u'", (name,)
            ).fetchall():
                members = conn.execute("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,))
                names = tuple(row[0] for row in members.fetchall())
                if len(names) > 1:
                    unique.append(names)
            tables[name] = SourceTable(name, kind == "view", columns, foreign_keys, tuple(unique))
    return tables


def object_sql(path: Path) -> dict[str, str]:
    """The CREATE statement of every table and view, as SQLite keeps it."""
    with _connection(path) as conn:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'view')")
        return dict(rows.fetchall())


@contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path)) as conn:
        yield conn
