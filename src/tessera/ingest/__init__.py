"""tessera ingest: OpenMetadata workflows run against a catalog over its HTTP API alone."""
