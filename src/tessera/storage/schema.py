"""The relational layout: entities as JSON documents plus the columns we index on.

Every entity kind shares one ``entity`` table. The document is the entity exactly as the API
serves it (minus ``href``, which depends on the caller's base URL); the columns beside it exist
to find, page and lock rows without parsing JSON. Every version of every entity is kept in
``entity_version`` for the versions API.

Migrations (``storage/migrations``) create these tables; this module is the reference the
repository code is written against, and the migration tests compare the two.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# MySQL's TEXT stops at 64 KiB; a table with hundreds of columns is larger than that.
Document = sa.Text().with_variant(mysql.LONGTEXT(), "mysql")
# Names are compared and ordered byte-wise on every backend so that cursors mean the same
# thing everywhere and "Orders" and "orders" stay two entities, as in OpenMetadata.
Name = (
    sa.String(256)
    .with_variant(sa.String(256, collation="utf8mb4_bin"), "mysql")
    .with_variant(postgresql.VARCHAR(256, collation="C"), "postgresql")
)
Id = sa.String(36)

entity = sa.Table(
    "entity",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("name", Name, nullable=False),
    sa.Column("fqn", sa.Text(), nullable=False),
    sa.Column("fqn_hash", sa.String(64), nullable=False),
    sa.Column("parent_id", Id, nullable=True),
    sa.Column("deleted", sa.Boolean(), nullable=False, default=False),
    # Versions are kept in tenths (0.1 -> 1) so that arithmetic on them is exact.
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.BigInteger(), nullable=False),
    sa.Column("source_hash", sa.String(128), nullable=True),
    sa.Column("doc", Document, nullable=False),
    # A second lookup key (a user's lower-cased email) and a kind-specific class (bot/user),
    # added by migration 0002.
    sa.Column("alt_key", sa.String(320), nullable=True),
    sa.Column("subtype", sa.String(32), nullable=True),
    sa.UniqueConstraint("entity_type", "fqn_hash"),
    sa.Index("ix_entity_list_by_parent", "entity_type", "parent_id", "deleted", "name", "id"),
    sa.Index("ix_entity_list", "entity_type", "deleted", "name", "id"),
    sa.Index("ix_entity_alt_key", "entity_type", "alt_key"),
    # include=all merges the first rows of each deleted flag from these two (migration 0020
    # dropped the (type, [parent,] name, id) indexes that it walked before).
)

# How many entities of a type each parent holds, live and deleted: list responses carry a
# `paging.total`, and counting the rows for it cost more than the page itself once a type has
# tens of thousands of entities. The repository keeps it in step with `entity` in the same
# transaction (migration 0003). Top-level entities count under parent_id ''.
entity_count = sa.Table(
    "entity_count",
    metadata,
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("parent_id", Id, primary_key=True),
    sa.Column("deleted", sa.Boolean(), primary_key=True),
    sa.Column("n", sa.BigInteger(), nullable=False),
)

entity_version = sa.Table(
    "entity_version",
    metadata,
    sa.Column("entity_id", Id, primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.BigInteger(), nullable=False),
    sa.Column("doc", Document, nullable=False),
)

# Time-ordered records that hang off an entity: ingestion pipeline statuses, progress and logs.
entity_record = sa.Table(
    "entity_record",
    metadata,
    sa.Column("entity_id", Id, primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("record_key", sa.String(128), primary_key=True),
    sa.Column("timestamp", sa.BigInteger(), nullable=False),
    sa.Column("doc", Document, nullable=False),
    sa.Index("ix_entity_record_recent", "entity_id", "kind", "timestamp"),
)

# What search sees of each entity. The full-text index over `body` is dialect specific
# (SQLite FTS5 table, PostgreSQL tsvector + GIN, MySQL FULLTEXT) and made by the migration.
# Sort keys are compared byte-wise like names, and cut at 512 characters so that MySQL can
# index them (3,072 bytes per key).
SortKey = (
    sa.String(512)
    .with_variant(sa.String(512, collation="utf8mb4_bin"), "mysql")
    .with_variant(postgresql.VARCHAR(512, collation="C"), "postgresql")
)

search_document = sa.Table(
    "search_document",
    metadata,
    sa.Column("entity_id", Id, primary_key=True),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("service", sa.String(256), nullable=True),
    sa.Column("deleted", sa.Boolean(), nullable=False),
    sa.Column("name", Name, nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    # What search sorts on besides the name and the rank (migration 0013).
    sa.Column("fqn", SortKey, nullable=False, server_default=""),
    sa.Column("display_name", SortKey, nullable=False, server_default=""),
    sa.Column("updated_at", sa.BigInteger(), nullable=False, server_default="0"),
    # The fields the document takes from its parent, as JSON [[field, value], ...]: not rows of
    # search_term but found through the parent (storage.search_inherited, migration 0017). NULL
    # for a document that keeps all its fields as rows.
    sa.Column("inherited", sa.Text(), nullable=True),
    # On SQLite, the tokens of the fields with about one value per document (name, FQN...),
    # indexed by the FTS5 table search_key instead of rows of search_term (storage.search_keys,
    # migration 0018). NULL elsewhere.
    sa.Column("key_tokens", sa.Text(), nullable=True),
    # Each sort order is an index walk, whatever the catalog's size, within one kind or all; a
    # kind's indexes also answer a filter on its kind and deleted flag (migration 0016).
    sa.Index("ix_search_document_kind_name", "entity_type", "deleted", "name", "entity_id"),
    sa.Index("ix_search_document_kind_fqn", "entity_type", "deleted", "fqn", "entity_id"),
    sa.Index("ix_search_document_kind_updated", "entity_type", "deleted", "updated_at", "entity_id"),
)

# The field values of each search document that filters and facets read (migration 0013):
# `tags.tagFQN = 'Tier.Tier1'` is an index lookup on (field, value), a facet a grouped count
# over it. FQNs are also kept reversed (field `fullyQualifiedName.reversed`), for wildcards that
# start with `*`. On SQLite the rows are the key's b-tree itself (WITHOUT ROWID): one b-tree
# fewer to write.
search_term = sa.Table(
    "search_term",
    metadata,
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("value", SortKey, primary_key=True),
    sa.Column("entity_id", Id, primary_key=True),
    # The document's kind and deleted flag again: a term's count (search_term_count) is kept by
    # (field, kind, deleted, value) without a join with search_document. Facets of whole kinds read
    # those counts, so no index orders the rows by kind (migration 0015 dropped it: it doubled the
    # pages a new entity's terms write).
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("deleted", sa.Boolean(), nullable=False),
    sa.Index("ix_search_term_entity", "entity_id", "field"),
    sqlite_with_rowid=False,
)

# How many documents have each (field, value), per kind and deleted flag (migration 0014), kept in
# step with search_term by every write, as deltas applied in key order just before commit (like
# entity_count). A facet of whole kinds, or the total of one term, reads a row per distinct value
# here instead of an index entry per entity there. Field "entityType" counts the documents
# themselves (its value is the kind). Fields with about one value per entity are not counted
# (search_query.UNCOUNTED_FIELDS): this table would be as large as search_term.
search_term_count = sa.Table(
    "search_term_count",
    metadata,
    sa.Column("field", sa.String(64), primary_key=True),
    sa.Column("entity_type", sa.String(64), primary_key=True),
    sa.Column("deleted", sa.Boolean(), primary_key=True),
    sa.Column("value", SortKey, primary_key=True),
    sa.Column("n", sa.BigInteger(), nullable=False),
)


# -- security ----------------------------------------------------------------------------------

# Every token tessera issues is recorded by the SHA-256 of its text: a token that is not here,
# or is revoked, is refused. Refresh tokens are opaque; their family ties rotations together.
auth_token = sa.Table(
    "auth_token",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("token_type", sa.String(32), nullable=False),
    sa.Column("token_id", Id, nullable=False),
    sa.Column("user_id", Id, nullable=False),
    sa.Column("name", sa.String(256), nullable=True),
    sa.Column("family_id", Id, nullable=True),
    sa.Column("created_at", sa.BigInteger(), nullable=False),
    sa.Column("expires_at", sa.BigInteger(), nullable=True),
    sa.Column("used_at", sa.BigInteger(), nullable=True),
    sa.Column("revoked_at", sa.BigInteger(), nullable=True),
    sa.Column("secret", sa.Text(), nullable=True),
    sa.Index("ix_auth_token_user", "user_id", "token_type"),
    sa.Index("ix_auth_token_family", "family_id"),
    sa.UniqueConstraint("token_id"),
)

# Append-only: what each process must forget from its caches (revoked tokens, changed users).
# Processes poll it by id, at most once a second.
auth_event = sa.Table(
    "auth_event",
    metadata,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("at", sa.BigInteger(), nullable=False),
)

credential = sa.Table(
    "credential",
    metadata,
    sa.Column("user_id", Id, primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("set_at", sa.BigInteger(), nullable=False),
    sa.Column("must_change", sa.Boolean(), nullable=False),
)

login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("login", sa.String(320), primary_key=True),
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("blocked_until", sa.BigInteger(), nullable=False),
    sa.Column("updated_at", sa.BigInteger(), nullable=False),
)

# An IdP identity (e.g. Entra tid + oid) bound to a tessera user at first sign-in; at most one
# per user and provider, so an email match can never hand a bound user to a second identity.
user_identity = sa.Table(
    "user_identity",
    metadata,
    sa.Column("provider", sa.String(32), primary_key=True),
    sa.Column("tenant_id", sa.String(64), primary_key=True),
    sa.Column("object_id", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, nullable=False),
    sa.Column("created_at", sa.BigInteger(), nullable=False),
    sa.Index("uq_user_identity_user", "user_id", "provider", unique=True),
)

system_setting = sa.Table(
    "system_setting",
    metadata,
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("updated_at", sa.BigInteger(), nullable=False),
)

audit_event = sa.Table(
    "audit_event",
    metadata,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("at", sa.BigInteger(), nullable=False),
    sa.Column("actor", sa.String(320), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(64), nullable=True),
    sa.Column("target", sa.String(512), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("detail", sa.Text(), nullable=True),
    # The request it came from, if any (migration 0009).
    sa.Column("source_ip", sa.String(64), nullable=True),
    sa.Column("user_agent", sa.String(512), nullable=True),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Index("ix_audit_event_at", "at"),
)

# -- sign-in beyond the guide (migration 0007) --------------------------------------------------

# Memberships the identity provider granted (an Entra app role or group mapped by
# authorizerConfiguration.providerMappings): the admin flag (target_id ''), a role or a team of
# a user. Only these are ever removed by a sign-in; what an administrator granted by hand has no
# row here and is never touched. `sources` is a JSON list of what granted it ("appRole:X",
# "group:<id>").
idp_membership = sa.Table(
    "idp_membership",
    metadata,
    sa.Column("user_id", Id, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("target_id", sa.String(64), primary_key=True),
    sa.Column("target_name", sa.String(256), nullable=False),
    sa.Column("sources", sa.Text(), nullable=False),
    sa.Column("granted_at", sa.BigInteger(), nullable=False),
)

# A browser's session with the confidential client: the cookie's SHA-256, the person, and the
# identity provider's refresh token (sealed), which never leaves the server.
web_session = sa.Table(
    "web_session",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, nullable=False),
    sa.Column("created_at", sa.BigInteger(), nullable=False),
    sa.Column("expires_at", sa.BigInteger(), nullable=False),
    sa.Column("refresh_due_at", sa.BigInteger(), nullable=False),
    sa.Column("refresh_token", sa.Text(), nullable=True),
    sa.Column("login_hint", sa.String(320), nullable=True),
    sa.Column("revoked_at", sa.BigInteger(), nullable=True),
    sa.Index("ix_web_session_user", "user_id"),
)

# -- deployment (migration 0008) ------------------------------------------------------------------

# tessera's JWT signing keys, so that every replica signs and verifies with the same ones without
# a shared disk. `private_key` is the PKCS#8 PEM sealed with the Fernet key; the signing key is
# the newest row with no `retired_at`. Retired rows stay (the rotation history); their public
# halves are published until every token they signed has expired.
signing_key = sa.Table(
    "signing_key",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("private_key", sa.Text(), nullable=False),
    sa.Column("created_at", sa.BigInteger(), nullable=False),
    sa.Column("retired_at", sa.BigInteger(), nullable=True),
    sa.Column("origin", sa.String(512), nullable=False),
)

# -- tag labels (migration 0011) -------------------------------------------------------------------

# Which entities carry which tag or glossary term as a label (on the entity or one of its
# columns), kept in step with the documents by the writes that change them: a tag's usage count,
# and the entities to rewrite when a tag is renamed or deleted, are index lookups rather than a
# scan of every document. Soft-deleted entities have no rows here.
tag_usage = sa.Table(
    "tag_usage",
    metadata,
    sa.Column("entity_id", Id, primary_key=True),
    sa.Column("tag_fqn_hash", sa.String(64), primary_key=True),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("tag_fqn", sa.Text(), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Index("ix_tag_usage_tag", "tag_fqn_hash"),
)

# -- relationships (migration 0010) --------------------------------------------------------------

# Who follows or voted on an entity: relations kept beside the entity rather than in its document,
# because following or voting is not a change of the entity (no new version), as in OpenMetadata's
# entity_relationship. `relation` is "follows", "upVoted" or "downVoted"; a user has at most one vote
# per entity.
entity_relation = sa.Table(
    "entity_relation",
    metadata,
    sa.Column("to_id", Id, primary_key=True),
    sa.Column("relation", sa.String(16), primary_key=True),
    sa.Column("from_id", Id, primary_key=True),
    sa.Column("created_at", sa.BigInteger(), nullable=False),
    sa.Index("ix_entity_relation_from", "from_id", "relation"),
)

# -- lineage and table data (migration 0012) ----------------------------------------------------

# One lineage edge per (upstream, downstream) pair, as OpenMetadata keeps one UPSTREAM
# relationship per pair; `details` is its lineageDetails. The primary key serves walks
# downstream (from -> to), the second index walks upstream (to -> from).
lineage_edge = sa.Table(
    "lineage_edge",
    metadata,
    sa.Column("from_id", Id, primary_key=True),
    sa.Column("to_id", Id, primary_key=True),
    sa.Column("from_type", sa.String(64), nullable=False),
    sa.Column("to_type", sa.String(64), nullable=False),
    sa.Column("details", Document, nullable=False),
    sa.Column("updated_at", sa.BigInteger(), nullable=False),
    sa.Index("ix_lineage_edge_upstream", "to_id", "from_id"),
)

# Time series that hang off an entity: table, column and system profiles. `series_key` tells
# the series of one entity apart (a column's name for column profiles, '' for the table's own).
entity_series = sa.Table(
    "entity_series",
    metadata,
    sa.Column("entity_id", Id, primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("series_key", sa.String(64), primary_key=True),
    sa.Column("timestamp", sa.BigInteger(), primary_key=True),
    sa.Column("doc", Document, nullable=False),
    sa.Index("ix_entity_series_latest", "entity_id", "kind", "timestamp"),
)

# Daily usage counts with their 7- and 30-day sums, as OpenMetadata's entity_usage; percentile
# ranks are counted against the other entities of the type on the same day (the index).
entity_usage = sa.Table(
    "entity_usage",
    metadata,
    sa.Column("entity_id", Id, primary_key=True),
    sa.Column("usage_date", sa.String(10), primary_key=True),
    sa.Column("entity_type", sa.String(64), nullable=False),
    sa.Column("count1", sa.BigInteger(), nullable=False),
    sa.Column("count7", sa.BigInteger(), nullable=False),
    sa.Column("count30", sa.BigInteger(), nullable=False),
    sa.Index("ix_entity_usage_rank", "entity_type", "usage_date", "count1"),
)
