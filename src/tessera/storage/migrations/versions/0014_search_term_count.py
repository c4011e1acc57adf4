"""search_term_count: how many documents have each field value, per kind and deleted flag, so
that whole-kind facets and the total of one term read a row per distinct value instead of an
index entry per entity. Filled here from the rows there are; from here on every write keeps it
in step (tessera.storage.search).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SortKey = (
    sa.String(512)
    .with_variant(sa.String(512, collation="utf8mb4_bin"), "mysql")
    .with_variant(postgresql.VARCHAR(512, collation="C"), "postgresql")
)
# As tessera.storage.search_query has them when this was written: a migration does not change
# with the code that runs after it.
_UNCOUNTED = (
    "name",
    "name.keyword",
    "displayName",
    "displayName.keyword",
    "fullyQualifiedName",
    "fullyQualifiedName.reversed",
    "email",
)


def upgrade() -> None:
    op.create_table(
        "search_term_count",
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("value", SortKey, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("field", "entity_type", "deleted", "value", name="pk_search_term_count"),
    )
    uncounted = ", ".join(f"'{field}'" for field in _UNCOUNTED)
    op.execute(
        "INSERT INTO search_term_count (field, entity_type, deleted, value, n) "
        "SELECT field, entity_type, deleted, value, COUNT(*) FROM search_term "
        f"WHERE field NOT IN ({uncounted}) GROUP BY field, entity_type, deleted, value"
    )
    # The documents themselves, under field "entityType" with their kind as the value.
    op.execute(
        "INSERT INTO search_term_count (field, entity_type, deleted, value, n) "
        "SELECT 'entityType', entity_type, deleted, entity_type, COUNT(*) FROM search_document "
        "GROUP BY entity_type, deleted"
    )


def downgrade() -> None:
    op.drop_table("search_term_count")
