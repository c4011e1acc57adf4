"""entity_relation: who follows an entity, who voted on it and who owns it (the owners stay in the
entity's document; the ``owns`` rows let "what does this user own" be one indexed read).

Existing data is brought along: an ``owns`` row for each entity's own owners, teams found by
their e-mail (``alt_key``, as users are) and users and teams found by e-mail in search.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-03
"""

import json
import re
import time

import sqlalchemy as sa
from alembic import op

revision = "0010"
# Another branch's migrations may come between; the lead re-chains at merge.
down_revision = "0009"
branch_labels = None
depends_on = None

_WORD = re.compile(r"[0-9A-Za-z\u00C0-\uFFFF]+")


def upgrade() -> None:
    op.create_table(
        "entity_relation",
        sa.Column("to_id", sa.String(36), primary_key=True),
        sa.Column("relation", sa.String(16), primary_key=True),
        sa.Column("from_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_entity_relation_from", "entity_relation", ["from_id", "relation"])
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    now = int(time.time() * 1000)
    entity = sa.table(
        "entity",
        sa.column("id"),
        sa.column("entity_type"),
        sa.column("doc", sa.Text()),
        sa.column("alt_key"),
    )
    relation = sa.table(
        "entity_relation", sa.column("to_id"), sa.column("relation"), sa.column("from_id"), sa.column("created_at")
    )
    search = sa.table("search_document", sa.column("entity_id"), sa.column("body", sa.Text()))
    owned = conn.execute(sa.select(entity.c.id, entity.c.doc).where(entity.c.doc.like('%"owners"%')))
    rows = []
    for entity_id, text in owned:
        owners = {str(o["id"]) for o in json.loads(text).get("owners") or [] if isinstance(o, dict) and "id" in o}
        rows += [{"to_id": entity_id, "relation": "owns", "from_id": o, "created_at": now} for o in sorted(owners)]
    if rows:
        conn.execute(sa.insert(relation), rows)
    people = conn.execute(
        sa.select(entity.c.id, entity.c.entity_type, entity.c.doc).where(
            entity.c.entity_type.in_(["user", "team"]), entity.c.doc.like('%"email"%')
        )
    )
    for entity_id, entity_type, text in people.all():
        email = json.loads(text).get("email")
        if not isinstance(email, str) or not email:
            continue
        if entity_type == "team":
            conn.execute(sa.update(entity).where(entity.c.id == entity_id).values(alt_key=email.lower()))
        words = " ".join([email, *_WORD.findall(email)])
        conn.execute(
            sa.update(search)
            .where(search.c.entity_id == entity_id)
            .values(body=search.c.body + sa.literal(" " + words))
        )


def downgrade() -> None:
    op.drop_index("ix_entity_relation_from", table_name="entity_relation")
    op.drop_table("entity_relation")
