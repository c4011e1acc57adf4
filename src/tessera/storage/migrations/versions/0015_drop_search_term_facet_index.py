"""Drop ix_search_term_facet: whole-kind facets read search_term_count (0014), and every other
read of search_term goes by its key (field, value, entity_id) or by entity. The index doubled
what a new entity's terms write (on SQLite, the pages of a bulk PUT's search_term rows).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_search_term_facet", table_name="search_term")


def downgrade() -> None:
    op.create_index("ix_search_term_facet", "search_term", ["field", "entity_type", "deleted", "value"])
