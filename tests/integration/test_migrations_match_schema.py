"""The migrations build the tables, columns and indexes that ``tessera.storage.schema`` declares:
the code reads and writes by the schema, while a catalog is built (and upgraded) by the migrations,
so a change made to one and not the other shows here."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.storage.db import create_engine
from tessera.storage.schema import metadata

# Full-text machinery the migrations add per dialect, outside the portable schema.
DIALECT_COLUMNS = {"search_document": {"tsv"}}
DIALECT_INDEXES = {"search_document": {"ix_search_document_tsv"}}


def test_migrated_tables_columns_and_indexes_are_the_schemas(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            present = set(inspector.get_table_names())
            for table in metadata.sorted_tables:
                assert table.name in present, f"no migration creates {table.name}"
                columns = {column["name"] for column in inspector.get_columns(table.name)}
                declared_columns = {column.name for column in table.columns}
                assert columns - DIALECT_COLUMNS.get(table.name, set()) == declared_columns, table.name
                indexes = {index["name"] for index in inspector.get_indexes(table.name)}
                declared = {index.name for index in table.indexes}
                # MySQL names the index behind a foreign key after the constraint; only tessera's own count.
                own = {name for name in indexes if name and name.startswith("ix_")}
                assert own - DIALECT_INDEXES.get(table.name, set()) == {
                    name for name in declared if name and name.startswith("ix_")
                }, table.name
    finally:
        engine.dispose()
