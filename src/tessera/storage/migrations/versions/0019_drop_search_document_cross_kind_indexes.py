"""Drop ix_search_document_all_name and ix_search_document_all_fqn (deleted, name|fqn, entity_id):
a search of several kinds sorted by name or FQN now merges the first rows of each kind's own sort
index (storage.search_walk.merged_page), so these two only cost every new search document two more b-trees
to write.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_search_document_all_name", table_name="search_document")
    op.drop_index("ix_search_document_all_fqn", table_name="search_document")


def downgrade() -> None:
    op.create_index("ix_search_document_all_name", "search_document", ["deleted", "name", "entity_id"])
    op.create_index("ix_search_document_all_fqn", "search_document", ["deleted", "fqn", "entity_id"])
