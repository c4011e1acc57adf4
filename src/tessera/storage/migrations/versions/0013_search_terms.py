"""Search as OpenMetadata's client and UI use it: sort keys on search_document (FQN, display
name, update time) with an index per sort order, and search_term, the field values filters and
facets read through an index instead of parsing documents. Lists with include=all get indexes
of their own.

Existing documents are indexed again here, by the document builder of the code being installed
(as OpenMetadata's reindex does), in batches of 500.

Revision ID: 0013
Revises: 0007
Create Date: 2026-12-03
"""

import orjson
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
# Another branch's migrations come between; the lead re-chains this at merge.
down_revision = "0012"
branch_labels = None
depends_on = None

SortKey = (
    sa.String(512)
    .with_variant(sa.String(512, collation="utf8mb4_bin"), "mysql")
    .with_variant(postgresql.VARCHAR(512, collation="C"), "postgresql")
)
_BATCH = 500


def upgrade() -> None:
    # A downgrade on SQLite leaves these columns (see downgrade).
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("search_document")}
    with op.batch_alter_table("search_document") as batch:
        for column in (
            sa.Column("fqn", SortKey, nullable=False, server_default=""),
            sa.Column("display_name", SortKey, nullable=False, server_default=""),
            sa.Column("updated_at", sa.BigInteger(), nullable=False, server_default="0"),
        ):
            if column.name not in present:
                batch.add_column(column)
    for name, columns in (
        ("ix_search_document_kind_name", ["entity_type", "deleted", "name", "entity_id"]),
        ("ix_search_document_kind_fqn", ["entity_type", "deleted", "fqn", "entity_id"]),
        ("ix_search_document_kind_updated", ["entity_type", "deleted", "updated_at", "entity_id"]),
        ("ix_search_document_all_name", ["deleted", "name", "entity_id"]),
        ("ix_search_document_all_fqn", ["deleted", "fqn", "entity_id"]),
    ):
        op.create_index(name, "search_document", columns)
    # Lists with include=all walk these instead of sorting every entity of the type.
    op.create_index("ix_entity_list_all", "entity", ["entity_type", "name", "id"])
    op.create_index("ix_entity_list_all_by_parent", "entity", ["entity_type", "parent_id", "name", "id"])
    op.create_table(
        "search_term",
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("value", SortKey, nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("field", "value", "entity_id", name="pk_search_term"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_term_entity", "search_term", ["entity_id", "field"])
    op.create_index("ix_search_term_facet", "search_term", ["field", "entity_type", "deleted", "value"])
    _reindex()


def _reindex() -> None:
    # Imported here, not at the top: alembic loads every revision to build its history.
    from tessera.catalog.kinds import by_type
    from tessera.catalog.search_documents import search_document

    conn = op.get_bind()
    entity = sa.table(
        "entity",
        sa.column("id"),
        sa.column("entity_type"),
        sa.column("name"),
        sa.column("deleted"),
        sa.column("doc"),
    )
    document = sa.table(
        "search_document",
        sa.column("entity_id"),
        sa.column("fqn"),
        sa.column("display_name"),
        sa.column("updated_at"),
    )
    term = sa.table(
        "search_term",
        sa.column("field"),
        sa.column("value"),
        sa.column("entity_id"),
        sa.column("entity_type"),
        sa.column("deleted"),
    )
    indexed: sa.Select[tuple[str]] = sa.select(sa.literal_column("entity_id")).select_from(sa.table("search_document"))
    last = ""
    while True:
        rows = conn.execute(
            sa.select(entity.c.id, entity.c.entity_type, entity.c.name, entity.c.deleted, entity.c.doc)
            .where(entity.c.id > last, entity.c.id.in_(indexed))
            .order_by(entity.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        terms: list[dict[str, object]] = []
        for row in rows:
            values = search_document(by_type(row.entity_type), row.id, row.name, bool(row.deleted), orjson.loads(row.doc))
            if values is None:
                continue
            conn.execute(
                sa.update(document)
                .where(document.c.entity_id == row.id)
                .values(fqn=values["fqn"], display_name=values["display_name"], updated_at=values["updated_at"])
            )
            owner = {"entity_id": row.id, "entity_type": row.entity_type, "deleted": bool(row.deleted)}
            terms.extend({**t, **owner} for t in values["terms"])
        if terms:
            conn.execute(sa.insert(term), terms)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_entity_list_all_by_parent", table_name="entity")
    op.drop_index("ix_entity_list_all", table_name="entity")
    op.drop_index("ix_search_term_facet", table_name="search_term")
    op.drop_index("ix_search_term_entity", table_name="search_term")
    op.drop_table("search_term")
    for name in (
        "ix_search_document_all_fqn",
        "ix_search_document_all_name",
        "ix_search_document_kind_updated",
        "ix_search_document_kind_fqn",
        "ix_search_document_kind_name",
    ):
        op.drop_index(name, table_name="search_document")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a column by copying the table, which would lose the FTS5 index's
        # triggers and rowids; the unused columns stay.
        return
    with op.batch_alter_table("search_document") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("display_name")
        batch.drop_column("fqn")
