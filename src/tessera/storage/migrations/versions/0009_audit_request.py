"""Audit records name the request they came from: source address, user agent and correlation id
(the same id as the response's X-Correlation-Id and the server's log lines).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
# 0008 is another branch's; when both are merged this revises 0008 instead.
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("source_ip", sa.String(64), nullable=True))
        batch.add_column(sa.Column("user_agent", sa.String(512), nullable=True))
        batch.add_column(sa.Column("correlation_id", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("correlation_id")
        batch.drop_column("user_agent")
        batch.drop_column("source_ip")
