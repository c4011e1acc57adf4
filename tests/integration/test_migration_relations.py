"""Migration 0010 brings existing catalogs along: owners get their ``owns`` rows, teams are found
by e-mail, users and teams are found by e-mail in search."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from tessera.storage import migrate
from tessera.storage import relations as relation_store
from tessera.storage.db import create_engine
from tessera.storage.schema import entity, search_document
from tests.integration.conftest import _create_server_database, _drop_server_database

USER_ID, TEAM_ID, TABLE_ID = (
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    ("00000000-0000-4000-8000-00000000000c"),
)


def _row(entity_id: str, entity_type: str, name: str, doc: dict[str, object]) -> dict[str, object]:
    return {
        "id": entity_id,
        "entity_type": entity_type,
        "name": name,
        "fqn": name,
        "fqn_hash": entity_id.replace("-", ""),
        "parent_id": None,
        "deleted": False,
        "version": 1,
        "updated_at": 1,
        "source_hash": None,
        "doc": json.dumps({"id": entity_id, "name": name, **doc}),
        "alt_key": None,
        "subtype": None,
    }


def test_migration_0010_indexes_owners_and_emails_of_existing_entities(backend: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}" if backend == "sqlite" else _create_server_database(backend)
    engine = create_engine(url)
    try:
        migrate.upgrade(engine, "0007")
        owner = {"id": USER_ID, "type": "user", "name": "uma"}
        rows = [
            _row(USER_ID, "user", "uma", {"email": "uma@example.com"}),
            _row(TEAM_ID, "team", "ops", {"email": "Ops.Team@example.com", "teamType": "Group"}),
            _row(TABLE_ID, "table", "t", {"owners": [owner], "columns": []}),
        ]
        with engine.begin() as conn:
            conn.execute(sa.insert(entity), rows)
            conn.execute(
                sa.insert(search_document),
                [
                    {
                        "entity_id": r["id"],
                        "entity_type": r["entity_type"],
                        "service": None,
                        "deleted": False,
                        "name": r["name"],
                        "body": r["name"],
                    }
                    for r in rows
                ],
            )
        migrate.upgrade(engine, "0010")
        with engine.connect() as conn:
            assert relation_store.from_entity(conn, USER_ID, relation_store.OWNS) == [TABLE_ID]
            alt_key = conn.execute(sa.select(entity.c.alt_key).where(entity.c.id == TEAM_ID)).scalar_one()
            assert alt_key == "ops.team@example.com"
            # Their e-mails' words are searchable: the body search reads (later migrations rebuild it).
            for entity_id, words in ((USER_ID, {"uma", "example"}), (TEAM_ID, {"ops", "team", "example"})):
                body = conn.execute(
                    sa.select(search_document.c.body).where(search_document.c.entity_id == entity_id)
                ).scalar_one()
                assert words <= set(body.lower().split())
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0007")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
        if backend != "sqlite":
            _drop_server_database(backend, url)
