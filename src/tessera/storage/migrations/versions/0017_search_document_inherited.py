"""search_document.inherited: the fields a document takes from its parent (a table's service,
database and schema), kept on the document for search_term_count instead of as search_term rows,
and found through the parent (tessera.storage.search_inherited). Documents written before keep
their rows (the column is NULL) and are found by them until they are written again.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("search_document", sa.Column("inherited", sa.Text(), nullable=True))


def downgrade() -> None:
    # A document without rows for its inherited fields would no longer be found by them: give
    # them back their rows before the column goes.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT entity_id, entity_type, deleted, inherited FROM search_document WHERE inherited IS NOT NULL"
        )
    ).all()
    term = sa.table(
        "search_term",
        sa.column("field"),
        sa.column("value"),
        sa.column("entity_id"),
        sa.column("entity_type"),
        sa.column("deleted"),
    )
    for row in rows:
        pairs = json.loads(row.inherited)
        if pairs:
            op.bulk_insert(
                term,
                [
                    {
                        "field": field,
                        "value": value,
                        "entity_id": row.entity_id,
                        "entity_type": row.entity_type,
                        "deleted": bool(row.deleted),
                    }
                    for field, value in pairs
                ],
            )
    # Not a batch (copy) on SQLite: the FTS5 index is keyed on the table's rowids.
    op.execute("ALTER TABLE search_document DROP COLUMN inherited")
