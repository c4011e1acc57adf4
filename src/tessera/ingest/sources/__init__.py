"""Where metadata comes from: a :class:`~tessera.ingest.sources.base.Source` per kind of database."""

from __future__ import annotations

from tessera.ingest.sources.base import Source
from tessera.ingest.workflow import Source as SourceConfig


def open_source(config: SourceConfig) -> Source:
    """The source a workflow's ``source`` section names (nothing is connected yet)."""
    from tessera.ingest.sources.mysql import MysqlSource
    from tessera.ingest.sources.postgres import PostgresSource
    from tessera.ingest.sources.sqlite import SqliteSource

    kinds = {"sqlite": SqliteSource, "postgres": PostgresSource, "mysql": MysqlSource}
    return kinds[config.type](config)
