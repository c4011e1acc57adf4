"""Catalog: entities, their versions, records, and the search index.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Document = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")
Name = (
    sa.String(256)
    .with_variant(sa.String(256, collation="utf8mb4_bin"), "mysql")
    .with_variant(postgresql.VARCHAR(256, collation="C"), "postgresql")
)


def upgrade() -> None:
    op.create_table(
        "entity",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("name", Name, nullable=False),
        sa.Column("fqn", sa.Text(), nullable=False),
        sa.Column("fqn_hash", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("source_hash", sa.String(128), nullable=True),
        sa.Column("doc", Document, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entity"),
        sa.UniqueConstraint("entity_type", "fqn_hash", name="uq_entity_entity_type_fqn_hash"),
    )
    op.create_index("ix_entity_list_by_parent", "entity", ["entity_type", "parent_id", "deleted", "name", "id"])
    op.create_index("ix_entity_list", "entity", ["entity_type", "deleted", "name", "id"])
    op.create_table(
        "entity_version",
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("doc", Document, nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "version", name="pk_entity_version"),
    )
    op.create_table(
        "entity_record",
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("record_key", sa.String(128), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("doc", Document, nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "kind", "record_key", name="pk_entity_record"),
    )
    op.create_index("ix_entity_record_recent", "entity_record", ["entity_id", "kind", "timestamp"])
    op.create_table(
        "search_document",
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("service", sa.String(256), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("name", Name, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name="pk_search_document"),
    )
    op.create_index("ix_search_document_type", "search_document", ["entity_type", "deleted"])
    _create_full_text_index(op.get_bind().dialect.name)


def _create_full_text_index(dialect: str) -> None:
    if dialect == "sqlite":
        # External-content FTS5 table kept in step by triggers, so writers stay dialect-agnostic.
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "body, content='search_document', content_rowid='rowid', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
            "INSERT INTO search_fts(rowid, body) VALUES (new.rowid, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.rowid, old.body); "
            "INSERT INTO search_fts(rowid, body) VALUES (new.rowid, new.body); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE search_document ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED"
        )
        op.execute("CREATE INDEX ix_search_document_tsv ON search_document USING GIN (tsv)")
    else:
        op.execute("ALTER TABLE search_document ADD FULLTEXT INDEX ft_search_document_body (body)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_document")
    op.drop_table("entity_record")
    op.drop_table("entity_version")
    op.drop_table("entity")
