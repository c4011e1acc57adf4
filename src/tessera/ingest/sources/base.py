"""The contract between a source database and the pipeline.

A source lists schemas and tables cheaply, then describes the tables the filters kept, in
bulk. It reports what it found as plain records; mapping them to OpenMetadata requests is
``tessera.ingest.requests``'s job, so a new kind of source only has to fill these records.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from tessera.ingest.types import MappedType

TableKind = Literal["table", "view", "materialized_view"]


@dataclass(frozen=True)
class ColumnMeta:
    name: str
    type: MappedType
    nullable: bool = True
    default: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class ForeignKeyMeta:
    columns: tuple[str, ...]
    referred_schema: str
    referred_table: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableMeta:
    schema: str
    name: str
    kind: TableKind
    columns: tuple[ColumnMeta, ...]
    comment: str | None = None
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKeyMeta, ...] = ()
    view_definition: str | None = None
    warnings: tuple[str, ...] = field(default=())

    def is_unique(self, columns: Sequence[str]) -> bool:
        """Whether ``columns`` (as a set) is the primary key or a unique key of this table."""
        wanted = frozenset(columns)
        return bool(wanted) and (
            wanted == frozenset(self.primary_key) or any(wanted == frozenset(u) for u in self.unique)
        )


class Source(Protocol):
    """A database to catalog. Methods raise :class:`~tessera.ingest.errors.SourceError`."""

    @property
    def service_type(self) -> str:
        """OpenMetadata's serviceType: ``SQLite``, ``Postgres``, ``Mysql``."""

    @property
    def database_name(self) -> str:
        """The name of the one database this source catalogs."""

    def test_connection(self) -> None:
        """Connect and read the catalog once; a clear SourceError if that fails."""

    def schema_names(self) -> list[str]: ...

    def table_names(self, schema: str) -> list[tuple[str, TableKind]]: ...

    def digests(self, schema: str, tables: Sequence[tuple[str, TableKind]]) -> dict[str, str]:
        """For the ``tables`` whose definition the source can read cheaply as a whole: a digest
        that changes whenever :meth:`describe` would describe the table differently (the keys of
        the tables its foreign keys name included). A run skips describing a table whose digest
        the catalog already has; tables left out are described and fingerprinted each run."""

    def describe(self, schema: str, tables: Sequence[tuple[str, TableKind]]) -> Iterator[TableMeta]:
        """Full metadata of ``tables`` of ``schema``, in the order given."""

    def unique_keys(self, schema: str, table: str) -> tuple[tuple[str, ...], ...]:
        """Primary and unique keys of a table not described in this run (for FK cardinality)."""

    def close(self) -> None: ...
