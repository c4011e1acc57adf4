"""Drop ix_search_document_type (entity_type, deleted): each of the kind's sort indexes
(ix_search_document_kind_name and the others, migration 0013) begins with the same two columns
and answers whatever it did, so it only cost every new search document one more b-tree to write.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_search_document_type", table_name="search_document")


def downgrade() -> None:
    op.create_index("ix_search_document_type", "search_document", ["entity_type", "deleted"])
