"""Drop ix_entity_list_all and ix_entity_list_all_by_parent ((type, [parent,] name, id), migration
0013): a list with ``include=all`` now merges the first rows of each deleted flag from the
indexes that have the flag (ix_entity_list, ix_entity_list_by_parent), so these two only cost
every new entity two more b-trees to write.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_entity_list_all", table_name="entity")
    op.drop_index("ix_entity_list_all_by_parent", table_name="entity")


def downgrade() -> None:
    op.create_index("ix_entity_list_all", "entity", ["entity_type", "name", "id"])
    op.create_index("ix_entity_list_all_by_parent", "entity", ["entity_type", "parent_id", "name", "id"])
