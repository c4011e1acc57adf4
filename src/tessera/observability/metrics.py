"""Prometheus metrics of one tessera server, safe with ``tessera serve --workers N``.

Each worker is a process of its own, so each keeps its own numbers; prometheus-client's
multiprocess mode has every process write its values to memory-mapped files in one directory
(``PROMETHEUS_MULTIPROC_DIR``) and whichever worker answers ``/metrics`` adds them all up
(https://prometheus.github.io/client_python/multiprocess/). ``tessera serve`` makes a fresh
directory for each start (:func:`use_fresh_directory`): numbers left by an earlier run would
otherwise be added to this one's. Without that directory (an app built in-process, as the tests
do) the metrics live in a registry of this object's own.

The names follow Prometheus' conventions (https://prometheus.io/docs/practices/naming/): a
``tessera_`` prefix, base units, ``_total`` on counters (added by the client).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from tessera.catalog.documents import Doc
from tessera.catalog.kinds import Kind

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; from a cached GET (a millisecond) to a large bulk ingestion request.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_PENDING_WRITES = "tessera.metrics.pending_writes"


@contextmanager
def use_fresh_directory() -> Iterator[str]:
    """A new, empty multiprocess directory for this server start, removed when it stops.

    Set before any worker exists (they inherit the environment) and before prometheus-client
    is first imported, since it chooses how to store values on import; an operator's own
    ``PROMETHEUS_MULTIPROC_DIR`` is used as the parent of the fresh one.
    """
    parent = os.environ.get(MULTIPROCESS_ENV) or None
    if parent is not None:
        os.makedirs(parent, exist_ok=True)
    directory = tempfile.mkdtemp(prefix="tessera-metrics-", dir=parent)
    from prometheus_client import values

    value_class = values.ValueClass
    os.environ[MULTIPROCESS_ENV] = directory
    # In case prometheus-client was imported before the variable was set.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    try:
        yield directory
    finally:
        # As it was: a process that goes on (a test) must not write to a removed directory.
        values.ValueClass = value_class
        if parent is None:
            os.environ.pop(MULTIPROCESS_ENV, None)
        else:
            os.environ[MULTIPROCESS_ENV] = parent
        shutil.rmtree(directory, ignore_errors=True)


class Metrics:
    """The metrics tessera records; one object per app, injected where numbers are taken."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess_dir = os.environ.get(MULTIPROCESS_ENV) or None
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "tessera_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "tessera_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by method and route template.",
            ["method", "route"],
            buckets=_DURATION_BUCKETS,
            registry=registry,
        )
        self.in_progress = Gauge(
            "tessera_http_requests_in_progress",
            "HTTP requests being served now.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.auth_refusals = Counter(
            "tessera_auth_refusals",
            "Requests refused with 401, by reason.",
            ["reason"],
            registry=registry,
        )
        self.token_cache = Counter(
            "tessera_token_cache_lookups",
            "Token cache lookups, by result (hit: no signature check and no database query).",
            ["result"],
            registry=registry,
        )
        self.jwks_fetches = Counter(
            "tessera_jwks_fetches",
            "Fetches of the identity provider's signing keys (JWKS), by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.pool_checked_out = Gauge(
            "tessera_db_pool_checked_out",
            "Database connections in use, summed over the server's processes.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "tessera_db_pool_size",
            "Database connections each pool keeps open, summed over the server's processes.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.entity_writes = Counter(
            "tessera_entity_writes",
            "Catalog entities written and committed, by entity type and action (created, updated).",
            ["entity", "action"],
            registry=registry,
        )

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        # A registry per scrape: the collector reads every process's files as they are now.
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST

    def process_exiting(self) -> None:
        """Drop this process's live gauges (in progress, pool) from the sums."""
        if self.multiprocess_dir is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid(), path=self.multiprocess_dir)  # type: ignore[no-untyped-call]

    # Hooks given to the services that know nothing of Prometheus.

    def auth_refused(self, reason: str) -> None:
        self.auth_refusals.labels(reason).inc()

    def token_cache_lookup(self, hit: bool) -> None:
        self.token_cache.labels("hit" if hit else "miss").inc()

    def jwks_fetched(self, ok: bool) -> None:
        self.jwks_fetches.labels("ok" if ok else "failed").inc()

    def watch_pool(self, engine: Engine) -> None:
        """Connections checked out of ``engine``'s pool, and its size, as gauges."""
        size = getattr(engine.pool, "size", None)
        self.pool_size.inc(size() if callable(size) else 1)
        checked_out = self.pool_checked_out
        event.listen(engine, "checkout", lambda *_: checked_out.inc())
        event.listen(engine, "checkin", lambda *_: checked_out.dec())

    def watch_commits(self, engine: Engine) -> None:
        """Count entity writes when their transaction commits, not when they are attempted: a
        write retried after a deadlock must count once, a rolled back one not at all."""

        def commit(conn: Connection) -> None:
            for entity, action in conn.info.pop(_PENDING_WRITES, ()):
                self.entity_writes.labels(entity, action).inc()

        def rollback(conn: Connection) -> None:
            conn.info.pop(_PENDING_WRITES, None)

        event.listen(engine, "commit", commit)
        event.listen(engine, "rollback", rollback)


class EntityWriteCounter:
    """A catalog write listener (``catalog.models.WriteListener``) feeding
    ``tessera_entity_writes`` once the transaction commits."""

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        if previous is None:
            action = "created"
        elif previous.get("version") != doc.get("version"):
            action = "updated"
        else:
            return
        conn.info.setdefault(_PENDING_WRITES, []).append((kind.type, action))

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None:
        return None
