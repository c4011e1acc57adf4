"""Where metadata comes from: a :class:`~tessera.ingest.sources.base.Source` per kind of database."""
