"""The bundled sample database: a small shop with its analytics, generated here (no binary ships).

It uses what ``tessera ingest`` maps into the catalog: single and composite primary keys,
foreign keys (many-to-one and one-to-one), UNIQUE and NOT NULL constraints, defaults, numeric
precision and scale, varchar lengths, and views with their definitions. SQLite has no table or
column comments, so the catalog's descriptions start empty.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

SERVICE = "sample_shop"
DATABASE = "shop"

SCHEMA = (
    """CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        email VARCHAR(120) NOT NULL UNIQUE,
        full_name VARCHAR(100) NOT NULL,
        country CHAR(2),
        created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    )""",
    """CREATE TABLE products (
        sku VARCHAR(32) PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        category VARCHAR(40) NOT NULL,
        unit_price NUMERIC(10,2) NOT NULL,
        active BOOLEAN NOT NULL DEFAULT 1
    )""",
    """CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        ordered_at TIMESTAMP NOT NULL,
        status VARCHAR(16) NOT NULL DEFAULT 'placed'
    )""",
    """CREATE TABLE order_items (
        order_id INTEGER NOT NULL REFERENCES orders(id),
        line_no INTEGER NOT NULL,
        sku VARCHAR(32) NOT NULL REFERENCES products(sku),
        quantity INTEGER NOT NULL DEFAULT 1,
        unit_price NUMERIC(10,2) NOT NULL,
        PRIMARY KEY (order_id, line_no)
    )""",
    """CREATE TABLE payments (
        id INTEGER PRIMARY KEY,
        order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
        amount NUMERIC(12,2) NOT NULL,
        method VARCHAR(20) NOT NULL,
        paid_at TIMESTAMP
    )""",
    """CREATE TABLE web_sessions (
        session_id VARCHAR(36) PRIMARY KEY,
        customer_id INTEGER REFERENCES customers(id),
        started_at TIMESTAMP NOT NULL,
        landing_page VARCHAR(255),
        device VARCHAR(20)
    )""",
    """CREATE VIEW daily_revenue AS
        SELECT date(o.ordered_at) AS day, COUNT(DISTINCT o.id) AS orders,
               SUM(i.quantity * i.unit_price) AS revenue
        FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE o.status <> 'cancelled'
        GROUP BY date(o.ordered_at)""",
    """CREATE VIEW customer_lifetime_value AS
        SELECT c.id AS customer_id, c.email, COALESCE(SUM(p.amount), 0) AS lifetime_value
        FROM customers c
        LEFT JOIN orders o ON o.customer_id = c.id
        LEFT JOIN payments p ON p.order_id = o.id
        GROUP BY c.id, c.email""",
)

ROWS: dict[str, list[tuple[object, ...]]] = {
    "customers": [
        (1, "ada@example.com", "Ada Lovelace", "GB", "2024-01-05 09:12:00"),
        (2, "grace@example.com", "Grace Hopper", "US", "2024-02-11 14:30:00"),
        (3, "alan@example.com", "Alan Turing", "GB", "2024-03-02 08:45:00"),
    ],
    "products": [
        ("BK-001", "The Analytical Engine", "books", 24.50, 1),
        ("BK-002", "Compilers, Illustrated", "books", 39.00, 1),
        ("MG-010", "Enigma mug", "merch", 12.00, 1),
        ("MG-011", "Punch card coasters", "merch", 8.75, 0),
    ],
    "orders": [
        (100, 1, "2024-04-01 10:00:00", "shipped"),
        (101, 2, "2024-04-01 16:20:00", "shipped"),
        (102, 3, "2024-04-02 11:05:00", "cancelled"),
        (103, 1, "2024-04-03 09:40:00", "placed"),
    ],
    "order_items": [
        (100, 1, "BK-001", 1, 24.50),
        (100, 2, "MG-010", 2, 12.00),
        (101, 1, "BK-002", 1, 39.00),
        (102, 1, "MG-011", 4, 8.75),
        (103, 1, "BK-002", 2, 39.00),
    ],
    "payments": [
        (1, 100, 48.50, "card", "2024-04-01 10:01:00"),
        (2, 101, 39.00, "paypal", "2024-04-01 16:21:00"),
        (3, 103, 78.00, "card", None),
    ],
    "web_sessions": [
        ("6f1c2a9e-0000-4000-8000-000000000001", 1, "2024-04-01 09:55:00", "/books", "desktop"),
        ("6f1c2a9e-0000-4000-8000-000000000002", None, "2024-04-01 12:00:00", "/", "mobile"),
        ("6f1c2a9e-0000-4000-8000-000000000003", 2, "2024-04-01 16:10:00", "/books/BK-002", "mobile"),
    ],
}


@dataclass(frozen=True)
class Sample:
    path: Path
    tables: tuple[str, ...]
    views: tuple[str, ...]
    created: bool


def ensure_sample(path: Path) -> Sample:
    """Create the sample database at ``path`` unless it is there already (reruns reuse it, so
    the ingestion finds nothing changed)."""
    tables = tuple(ROWS)
    views = ("daily_revenue", "customer_lifetime_value")
    if path.exists():
        return Sample(path, tables, views, created=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed, so an interrupted run never leaves half a database behind.
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with closing(sqlite3.connect(tmp)) as db:
        for statement in SCHEMA:
            db.execute(statement)
        for table, rows in ROWS.items():
            marks = ", ".join("?" * len(rows[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608  (constant names)
        db.commit()
    tmp.replace(path)
    return Sample(path, tables, views, created=True)
