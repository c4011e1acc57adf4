"""Entra app roles and groups become tessera's administrator flag, roles and teams, at every
sign-in of a person and every new token of a bot.

Memberships the identity provider grants are marked (``idp_membership``) and are added and
removed by the identity provider alone; what an administrator granted by hand carries no mark
and is never touched, even when the identity provider grants the same thing too. DataHub's
sync overwrote manual memberships (``datahub-project/datahub#4380``); OpenMetadata ignored
groups and kept revoked roles (``open-metadata/OpenMetadata#32960``).

Only tokens from the catalog's own tenant are mapped: in a multi-tenant setup another
tenant's administrators assign their own users to the app's roles in their own tenant.

A person with more than 200 groups has them read from Microsoft Graph; when Graph cannot be
asked, sign-in goes on with the memberships groups granted before (app roles still apply) and
the audit log says so. Every change is audited.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from tessera.audit.service import AuditLog
from tessera.auth import mappings
from tessera.auth import sign_in_store as marks
from tessera.auth.graph import GraphGroups, GraphUnavailable
from tessera.auth.mappings import Grant
from tessera.catalog.changes import to_tenths
from tessera.catalog.documents import reference
from tessera.catalog.kinds import ROLE, TEAM, USER
from tessera.catalog.service import Actor, CatalogService
from tessera.errors import NotFound, PreconditionFailed
from tessera.sign_in_settings import ProviderMapping
from tessera.storage.db import write_transaction

log = logging.getLogger(__name__)

Doc = dict[str, Any]
# Who the catalog records as having written an identity provider's change (updatedBy).
IDP_ACTOR = Actor(name="entra-id", is_bot=True)
_ATTEMPTS = 3
_FIELDS = {"role": "roles", "team": "teams"}


@dataclass(frozen=True)
class Sighting:
    """What one token says about its holder."""

    tenant_id: str
    object_id: str
    app_roles: list[str]
    groups: list[str] | None
    """None: past the overage (ask Graph)."""


class MembershipSync:
    def __init__(
        self,
        catalog: CatalogService,
        engine: Engine,
        mapping_rules: Sequence[ProviderMapping],
        audit: AuditLog,
        graph: GraphGroups | None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._catalog = catalog
        self._engine = engine
        self.rules = tuple(mapping_rules)
        self._audit = audit
        self._graph = graph
        self._clock = clock

    def apply(self, user: Doc, seen: Sighting) -> Doc:
        """``user`` with the memberships the token grants added and those it no longer grants
        removed; returns the user as stored afterwards."""
        if not self.rules:
            return user
        groups = seen.groups
        if groups is None:
            groups = self._groups_from_graph(user, seen)
        wanted = mappings.granted(self.rules, seen.app_roles, groups)
        for _attempt in range(_ATTEMPTS):
            fresh = self._catalog.get(USER, user["id"])
            try:
                return self._reconcile(fresh, wanted, groups_known=groups is not None)
            except PreconditionFailed:
                continue  # an administrator changed the user in between: start from theirs
        return self._catalog.get(USER, user["id"])

    def _groups_from_graph(self, user: Doc, seen: Sighting) -> list[str] | None:
        if self._graph is None:
            reason = "Microsoft Graph is not configured"
        else:
            try:
                return self._graph.groups_of(seen.tenant_id, seen.object_id)
            except GraphUnavailable as exc:
                reason = str(exc)
        log.warning(
            "groups of %s are past the overage and cannot be read (%s); keeping the memberships groups "
            "granted before",
            user["name"],
            reason,
        )
        self._audit.record(
            IDP_ACTOR.name,
            "idp-groups-unavailable",
            target_type="user",
            target=user["name"],
            outcome="failure",
            detail={"reason": reason, "kept": "the memberships groups granted at the last sign-in"},
        )
        return None

    def _reconcile(self, user: Doc, wanted: dict[Grant, frozenset[str]], *, groups_known: bool) -> Doc:
        with self._engine.connect() as conn:
            held = {(m.kind, m.target_id): m for m in marks.memberships_of(conn, user["id"])}
        is_bot = bool(user.get("isBot"))
        lists = {kind: list(user.get(field) or []) for kind, field in _FIELDS.items()}
        admin = bool(user.get("isAdmin"))
        now = int(self._clock() * 1000)
        added: list[marks.IdpMembership] = []
        kept: list[marks.IdpMembership] = []
        for grant, sources in sorted(wanted.items()):
            if grant.kind == "admin" and is_bot:
                continue  # bots are never administrators; their roles say what they may do
            target = self._target(grant)
            if target is None:
                continue
            target_id, target_ref = target
            mark = held.pop((grant.kind, target_id), None)
            present = admin if grant.kind == "admin" else any(r["id"] == target_id for r in lists[grant.kind])
            if mark is None and present:
                continue  # granted by hand: never the identity provider's to take back
            record = marks.IdpMembership(user["id"], grant.kind, target_id, grant.name, tuple(sources), now)
            if mark is None or not present:
                added.append(record)
                if grant.kind == "admin":
                    admin = True
                else:
                    lists[grant.kind].append(target_ref)
            elif set(mark.sources) != sources:
                kept.append(record)
        removed: list[marks.IdpMembership] = []
        for mark in held.values():
            if not groups_known and any(mappings.is_group_source(s) for s in mark.sources):
                continue  # the groups are unknown: what groups granted stays until Graph answers
            removed.append(mark)
            if mark.kind == "admin":
                admin = False
            else:
                lists[mark.kind] = [r for r in lists[mark.kind] if r["id"] != mark.target_id]
        if not (added or kept or removed):
            return user
        with write_transaction(self._engine) as conn:
            for record in (*added, *kept):
                marks.put_membership(conn, record)
        operations: list[Doc] = [
            {"op": "add", "path": f"/{field}", "value": lists[kind]} for kind, field in _FIELDS.items()
        ]
        operations.append({"op": "add", "path": "/isAdmin", "value": admin})
        stored = user
        if added or removed:
            stored = self._catalog.patch(
                USER, user["id"], operations, IDP_ACTOR, expected_versions={_tenths(user)}
            )
        with write_transaction(self._engine) as conn:
            for mark in removed:
                marks.delete_membership(conn, mark.user_id, mark.kind, mark.target_id)
        self._record(user, added, "idp-membership-granted")
        self._record(user, removed, "idp-membership-revoked")
        return stored

    def _target(self, grant: Grant) -> tuple[str, Doc] | None:
        if grant.kind == "admin":
            return "", {}
        kind = ROLE if grant.kind == "role" else TEAM
        try:
            doc = self._catalog.get_by_name(kind, grant.name)
        except NotFound:
            log.warning(
                "authorizerConfiguration.providerMappings names the %s %r, which does not exist; create it "
                "or correct the mapping",
                grant.kind,
                grant.name,
            )
            return None
        return doc["id"], reference(doc, kind.type)

    def _record(self, user: Doc, records: Sequence[marks.IdpMembership], action: str) -> None:
        for record in records:
            self._audit.record(
                IDP_ACTOR.name,
                action,
                target_type="user",
                target=user["name"],
                detail={
                    "membership": record.kind,
                    "name": record.target_name or "administrator",
                    "sources": [mappings.describe_source(s) for s in record.sources],
                },
            )

    def sources_of(self, user_id: str) -> list[Doc]:
        """Where each of a user's identity-provider memberships came from (for the UI)."""
        with self._engine.connect() as conn:
            found = marks.memberships_of(conn, user_id)
        return [
            {
                "kind": m.kind,
                "id": m.target_id or None,
                "name": m.target_name or "administrator",
                "sources": [mappings.describe_source(s) for s in m.sources],
                "grantedAt": m.granted_at,
            }
            for m in found
        ]


def _tenths(user: Doc) -> int:
    return to_tenths(user["version"])
