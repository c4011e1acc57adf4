"""search_document.key_tokens and, on SQLite, the FTS5 table search_key: the fields with about one value
per document (name, its words, the FQN and its reversal) as tokens instead of search_term rows
(tessera.storage.search_keys). On SQLite the documents there are get their tokens from their rows,
which then go; elsewhere the column stays empty and the rows stay.

A token is the field's code and the value's UTF-8 bytes in hex. The codes are written out here:
a migration does not follow later code.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_CODES = {
    "name": "na",
    "name.keyword": "nk",
    "fullyQualifiedName": "fq",
    "fullyQualifiedName.reversed": "fr",
}
_FIELDS = ", ".join(f"'{field}'" for field in _CODES)
_CODE = "CASE t.field " + " ".join(f"WHEN '{f}' THEN '{c}'" for f, c in _CODES.items()) + " END"
# 0001's trigger, which keeps the words' index (search_fts) in step with search_document.
_BODY_TRIGGER = (
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.rowid, old.body); "
    "INSERT INTO search_fts(rowid, body) VALUES (new.rowid, new.body); END"
)


def upgrade() -> None:
    op.add_column("search_document", sa.Column("key_tokens", sa.Text(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        return
    # Filling the column is not a change of the words: without their trigger for the while, the
    # words' index is not rewritten for every document.
    op.execute("DROP TRIGGER search_document_au")
    op.execute(
        "UPDATE search_document SET key_tokens = ("
        f"SELECT group_concat({_CODE} || lower(hex(t.value)), ' ') FROM search_term t "
        f"WHERE t.entity_id = search_document.entity_id AND t.field IN ({_FIELDS}))"
    )
    op.execute(_BODY_TRIGGER)
    op.execute(
        "CREATE VIRTUAL TABLE search_key USING fts5("
        "key_tokens, content='search_document', content_rowid='rowid', detail=none)"
    )
    op.execute("INSERT INTO search_key(search_key) VALUES ('rebuild')")
    op.execute(
        "CREATE TRIGGER search_document_keys_ai AFTER INSERT ON search_document "
        "WHEN new.key_tokens IS NOT NULL BEGIN "
        "INSERT INTO search_key(rowid, key_tokens) VALUES (new.rowid, new.key_tokens); END"
    )
    op.execute(
        "CREATE TRIGGER search_document_keys_ad AFTER DELETE ON search_document "
        "WHEN old.key_tokens IS NOT NULL BEGIN "
        "INSERT INTO search_key(search_key, rowid, key_tokens) VALUES ('delete', old.rowid, old.key_tokens); END"
    )
    op.execute(
        "CREATE TRIGGER search_document_keys_au AFTER UPDATE OF key_tokens ON search_document BEGIN "
        "INSERT INTO search_key(search_key, rowid, key_tokens) "
        "SELECT 'delete', old.rowid, old.key_tokens WHERE old.key_tokens IS NOT NULL; "
        "INSERT INTO search_key(rowid, key_tokens) SELECT new.rowid, new.key_tokens WHERE new.key_tokens IS NOT NULL; END"
    )
    op.execute(f"DELETE FROM search_term WHERE field IN ({_FIELDS})")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        fields = {code: field for field, code in _CODES.items()}
        documents = bind.execute(
            sa.text("SELECT entity_id, entity_type, deleted, key_tokens FROM search_document WHERE key_tokens IS NOT NULL")
        ).all()
        term = sa.table(
            "search_term",
            sa.column("field"),
            sa.column("value"),
            sa.column("entity_id"),
            sa.column("entity_type"),
            sa.column("deleted"),
        )
        for document in documents:
            rows = {
                (fields[token[:2]], bytes.fromhex(token[2:]).decode()): None for token in document.key_tokens.split()
            }
            if rows:
                op.bulk_insert(
                    term,
                    [
                        {
                            "field": field,
                            "value": value,
                            "entity_id": document.entity_id,
                            "entity_type": document.entity_type,
                            "deleted": bool(document.deleted),
                        }
                        for field, value in rows
                    ],
                )
        for trigger in ("search_document_keys_ai", "search_document_keys_ad", "search_document_keys_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE search_key")
    # Not a batch (copy) on SQLite: the FTS5 indexes are keyed on the table's rowids.
    op.execute("ALTER TABLE search_document DROP COLUMN key_tokens")
