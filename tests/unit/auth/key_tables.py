"""A SQLite file with just the signing-key table: the key ring's unit tests need no migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from tessera.storage.db import create_engine
from tessera.storage.schema import signing_key


def key_database(directory: Path) -> Engine:
    engine = create_engine(f"sqlite:///{directory / 'keys.db'}")
    signing_key.create(engine)
    return engine
