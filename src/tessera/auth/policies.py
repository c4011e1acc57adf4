"""Roles and policies: who may do what to which kind of entity.

A policy is a list of rules ``{resources, operations, effect, condition}`` as in OpenMetadata.
A condition is one of a fixed set of names (``isOwner()``, ``noOwner()`` and their negations),
looked up in a table, never evaluated as an expression: OpenMetadata evaluated SpEL here and
got remote code execution for it (CVE-2024-28254 and siblings).

Deny wins: any matching deny rule refuses, and every operation asked for needs a matching
allow rule. Administrators (``isAdmin`` or listed in ``adminPrincipals``) are not evaluated.

Two limits hold whatever the policies say, because without them anyone could make themselves
an administrator:

* Ownership grants nothing on the kinds that confer rights (:data:`GOVERNANCE`: roles,
  policies, bots and teams, whose default roles flow to their members). Otherwise anyone could
  claim an unowned policy (OrganizationPolicy lets people claim what has no owner) and, as its
  owner, add a rule allowing everything. On ``user`` resources ``isOwner()`` means the user
  themselves, and a user is never unowned.
* Roles, policies and bots tessera provides (``provider: system``) change only by an
  administrator, whoever else may edit roles and policies.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tessera.auth.permissions import Operation, Scope
from tessera.auth.principal import Principal
from tessera.catalog.kinds import ALL as ALL_KINDS
from tessera.catalog.kinds import POLICY, ROLE
from tessera.catalog.service import CatalogService
from tessera.errors import BadRequest, Forbidden

Doc = dict[str, Any]

# Resources that are not entity kinds but still need a decision.
EXTRA_RESOURCES = ("All", "search", "audit", "personalAccessToken")
RESOURCES = frozenset({kind.type for kind in ALL_KINDS} | set(EXTRA_RESOURCES))


# Kinds whose entities confer rights: ownership of one never grants anything.
GOVERNANCE = frozenset({"role", "policy", "bot", "team"})

Condition = Callable[[Principal, Mapping[str, Any] | None, str], bool]


def _owned_by(principal: Principal, entity: Mapping[str, Any] | None, resource: str) -> bool:
    if entity is None:
        return False
    if resource == "user":
        # A user owns their own record; what they may change in it is the user service's call.
        return principal.user_id is not None and entity.get("id") == principal.user_id
    mine = {principal.user_id, *principal.team_ids} - {None}
    return any(owner.get("id") in mine for owner in entity.get("owners") or [])


def _has_no_owner(principal: Principal, entity: Mapping[str, Any] | None, resource: str) -> bool:
    # A user is their own owner: nobody claims one.
    return entity is not None and resource != "user" and not entity.get("owners")


CONDITIONS: dict[str, Condition] = {
    "isOwner()": _owned_by,
    "!isOwner()": lambda p, e, r: not _owned_by(p, e, r),
    "noOwner()": _has_no_owner,
    "!noOwner()": lambda p, e, r: not _has_no_owner(p, e, r),
}
# Conditions about ownership (today, all of them): an allow rule with one never matches a
# GOVERNANCE resource. A new kind of condition must decide where it stands here.
OWNERSHIP_CONDITIONS = frozenset({"isOwner()", "!isOwner()", "noOwner()", "!noOwner()"})


def system_provided(resource: str, entity: Mapping[str, Any] | None) -> bool:
    """A role, policy or bot tessera installed: administrators alone change it."""
    return entity is not None and resource in GOVERNANCE and entity.get("provider") == "system"


@dataclass(frozen=True)
class Rule:
    name: str
    resources: frozenset[str]
    operations: frozenset[str]
    allow: bool
    condition: str | None

    def matches(self, operation: Operation, resource: str) -> bool:
        return ("All" in self.resources or resource in self.resources) and _covers(self.operations, operation)


def _covers(granted: frozenset[str], operation: Operation) -> bool:
    if "All" in granted or operation.value in granted:
        return True
    # EditAll covers every Edit*, ViewAll every View*, as in OpenMetadata.
    if operation.value.startswith("Edit") and "EditAll" in granted:
        return True
    return operation.value.startswith("View") and "ViewAll" in granted


def validate_rules(rules: Sequence[Mapping[str, Any]]) -> None:
    """Refuse rules tessera cannot enforce exactly (bad condition, resource or operation)."""
    operations = {op.value for op in Operation}
    for rule in rules:
        condition = rule.get("condition")
        if condition and condition.strip() not in CONDITIONS:
            raise BadRequest(
                f"Rule {rule.get('name')!r}: condition {condition!r} is not supported; tessera supports "
                f"{', '.join(CONDITIONS)} (conditions are names, never evaluated expressions)"
            )
        for resource in rule.get("resources") or []:
            if resource not in RESOURCES:
                raise BadRequest(f"Rule {rule.get('name')!r}: unknown resource {resource!r}")
        for operation in rule.get("operations") or []:
            if operation not in operations:
                raise BadRequest(f"Rule {rule.get('name')!r}: unknown operation {operation!r}")


def _rules(policy: Mapping[str, Any]) -> list[Rule]:
    if policy.get("enabled") is False:
        return []
    return [
        Rule(
            name=str(rule.get("name", "")),
            resources=frozenset(rule.get("resources") or []),
            operations=frozenset(rule.get("operations") or []),
            allow=rule.get("effect") == "allow",
            condition=(rule.get("condition") or "").strip() or None,
        )
        for rule in policy.get("rules") or []
    ]


class PolicyAuthorizer:
    """Evaluates the caller's roles; role and policy definitions are re-read every few seconds."""

    def __init__(
        self,
        catalog: CatalogService,
        *,
        everyone_policies: Sequence[str] = ("OrganizationPolicy",),
        ttl_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._catalog = catalog
        self._everyone = tuple(everyone_policies)
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._role_rules: dict[str, list[Rule]] = {}
        self._policy_rules: dict[str, list[Rule]] = {}

    def check(
        self,
        principal: Principal,
        operations: Sequence[Operation],
        resource: str,
        entity: dict[str, Any] | None = None,
    ) -> None:
        if principal.is_admin:
            return
        rules = self.rules_for(principal)
        for operation in operations:
            if not self._allowed(rules, operation, resource, principal, entity):
                raise Forbidden(_refusal(principal, operation, resource, entity))

    def allows(
        self, principal: Principal, operation: Operation, resource: str, entity: Doc | None = None
    ) -> bool:
        """:meth:`check` without the exception, for filtering (search hits)."""
        if principal.is_admin:
            return True
        return self._allowed(self.rules_for(principal), operation, resource, principal, entity)

    def scope(self, principal: Principal, operation: Operation, resource: str) -> Scope:
        """Whether ``operation`` is allowed on every entity of ``resource``, on none, or only on
        some (``each``: ask :meth:`allows` per entity). Lets search filter by kind in SQL and look
        at documents only where a conditional rule makes them differ.
        """
        if principal.is_admin:
            return "all"
        matching = [rule for rule in self.rules_for(principal) if rule.matches(operation, resource)]
        holds = [(rule, self._static(rule, resource)) for rule in matching]
        denies = [always for rule, always in holds if not rule.allow and always is not False]
        allows = [always for rule, always in holds if rule.allow and always is not False]
        if True in denies or not allows:
            return "none"
        if denies or True not in allows:
            return "each"
        if not operation.value.startswith("View") and resource in GOVERNANCE:
            return "each"  # built-in roles, policies and bots are administrators' alone
        return "all"

    def rules_for(self, principal: Principal) -> list[Rule]:
        self._maybe_load()
        rules: list[Rule] = []
        for role in principal.roles:
            rules.extend(self._role_rules.get(role, []))
        if not principal.is_bot:
            for name in self._everyone:
                rules.extend(self._policy_rules.get(name, []))
        return rules

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def _allowed(
        self,
        rules: list[Rule],
        operation: Operation,
        resource: str,
        principal: Principal,
        entity: Mapping[str, Any] | None,
    ) -> bool:
        if _is_protected(operation, resource, entity):
            return False
        matching = [
            rule
            for rule in rules
            if rule.matches(operation, resource) and self._holds(rule, principal, entity, resource)
        ]
        if any(not rule.allow for rule in matching):
            return False
        return any(rule.allow for rule in matching)

    @staticmethod
    def _static(rule: Rule, resource: str) -> bool | None:
        """Whether a rule holds whatever the entity (True), never (False), or depends (None)."""
        if rule.condition is None:
            return True
        if rule.allow and rule.condition in OWNERSHIP_CONDITIONS and resource in GOVERNANCE:
            return False
        # An unknown condition (only possible in data written before validation) never matches
        # an allow rule and always matches a deny rule: fail closed.
        if rule.condition not in CONDITIONS:
            return not rule.allow
        return None

    def _holds(
        self, rule: Rule, principal: Principal, entity: Mapping[str, Any] | None, resource: str
    ) -> bool:
        always = self._static(rule, resource)
        if always is not None:
            return always
        return CONDITIONS[rule.condition or ""](principal, entity, resource)

    def _maybe_load(self) -> None:
        now = self._clock()
        if now - self._loaded_at < self._ttl:
            return
        with self._lock:
            if now - self._loaded_at < self._ttl:
                return
            policies = {doc["id"]: doc for doc in _all(self._catalog, POLICY)}
            self._policy_rules = {doc["name"]: _rules(doc) for doc in policies.values()}
            role_rules: dict[str, list[Rule]] = {}
            for role in _all(self._catalog, ROLE):
                collected: list[Rule] = []
                for ref in role.get("policies") or []:
                    policy = policies.get(ref.get("id"))
                    if policy is not None:
                        collected.extend(_rules(policy))
                role_rules[role["name"]] = collected
            self._role_rules = role_rules
            self._loaded_at = now


def _refusal(
    principal: Principal, operation: Operation, resource: str, entity: Mapping[str, Any] | None
) -> str:
    refusal = f"Principal: {principal.display} operations [{operation.value}] not allowed on {resource}"
    if _is_protected(operation, resource, entity):
        name = (entity or {}).get("name")
        refusal += f" {name}: it is provided by the system; only administrators change it"
    return refusal


def _is_protected(operation: Operation, resource: str, entity: Mapping[str, Any] | None) -> bool:
    return not operation.value.startswith("View") and system_provided(resource, entity)


def _all(catalog: CatalogService, kind: Any) -> list[Doc]:
    docs: list[Doc] = []
    after = None
    while True:
        page = catalog.page(kind, limit=500, after=after)
        docs.extend(row.doc for row in page.rows)
        if page.after is None:
            return docs
        after = page.after


# -- the roles and policies every catalog starts with --------------------------------------------

_CATALOG = ["databaseService", "database", "databaseSchema", "table", "storedProcedure"]

BUILTIN_POLICIES: list[Doc] = [
    {
        "name": "OrganizationPolicy",
        "description": "Applies to every person: owners may do anything to what they own; anyone may claim "
        "ownership of what has no owner. Ownership opens nothing on roles, policies, bots and teams.",
        "rules": [
            {
                "name": "OrganizationPolicy-Owner-Rule",
                "resources": ["All"],
                "operations": ["All"],
                "effect": "allow",
                "condition": "isOwner()",
            },
            {
                "name": "OrganizationPolicy-NoOwner-Rule",
                "resources": ["All"],
                "operations": ["EditOwners"],
                "effect": "allow",
                "condition": "noOwner()",
            },
        ],
    },
    {
        "name": "DataConsumerPolicy",
        "description": "Read the catalog and improve descriptions and tags.",
        "rules": [
            {
                "name": "DataConsumerPolicy-ViewAll-Rule",
                "resources": ["All"],
                "operations": ["ViewAll"],
                "effect": "allow",
            },
            {
                "name": "DataConsumerPolicy-EditRule",
                "resources": _CATALOG,
                "operations": ["EditDescription", "EditTags"],
                "effect": "allow",
            },
        ],
    },
    {
        "name": "DataStewardPolicy",
        "description": "A data consumer who also curates display names and owners.",
        "rules": [
            {
                "name": "DataStewardPolicy-ViewAll-Rule",
                "resources": ["All"],
                "operations": ["ViewAll"],
                "effect": "allow",
            },
            {
                "name": "DataStewardPolicy-EditRule",
                "resources": _CATALOG,
                "operations": ["EditDescription", "EditDisplayName", "EditTags", "EditOwners"],
                "effect": "allow",
            },
        ],
    },
    {
        "name": "IngestionBotPolicy",
        "description": "What ingestion needs and no more: write the catalog's services, databases, schemas, "
        "tables and stored procedures, and report pipeline runs. No users, bots, roles or policies.",
        "rules": [
            {
                "name": "IngestionBotPolicy-Catalog-Rule",
                "resources": [*_CATALOG, "ingestionPipeline"],
                "operations": [
                    "ViewAll",
                    "Create",
                    "EditAll",
                    "Delete",
                    "EditIngestionPipelineStatus",
                    "Deploy",
                ],
                "effect": "allow",
            },
            {
                "name": "IngestionBotPolicy-Read-Rule",
                "resources": ["testConnectionDefinition", "search"],
                "operations": ["ViewAll"],
                "effect": "allow",
            },
        ],
    },
    {
        "name": "DefaultBotPolicy",
        "description": "Bots never manage identities or permissions.",
        "rules": [
            {
                "name": "DefaultBotPolicy-Deny-Rule",
                "resources": ["bot", "user", "role", "policy", "team"],
                "operations": ["Create", "Delete", "EditAll", "GenerateToken"],
                "effect": "deny",
            }
        ],
    },
]

BUILTIN_ROLES: list[tuple[str, str, list[str]]] = [
    (
        "DataConsumer",
        "Reads the catalog; edits descriptions and tags. Every new user has it.",
        ["DataConsumerPolicy"],
    ),
    (
        "DataSteward",
        "Curates the catalog: descriptions, display names, tags and owners.",
        ["DataStewardPolicy"],
    ),
    ("IngestionBotRole", "The ingestion bot's role.", ["IngestionBotPolicy", "DefaultBotPolicy"]),
]
