"""Roles and policies: who may do what to which kind of entity.

A policy is a list of rules ``{resources, operations, effect, condition}`` as in OpenMetadata,
in its vocabulary: resource names as OpenMetadata writes them (``Table``, ``table``, ``All``),
its operation names, and conditions in its documented function language (``isOwner()``,
``matchAnyTag('PII.Sensitive') && !isOwner()``), parsed by :mod:`tessera.auth.conditions` into
known functions and never evaluated as an expression: OpenMetadata evaluated SpEL here and got
remote code execution for it (CVE-2024-28254 and siblings).

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

import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tessera import contract
from tessera.auth import conditions
from tessera.auth.permissions import Operation, Scope
from tessera.auth.principal import Principal
from tessera.catalog.kinds import ALL as ALL_KINDS
from tessera.catalog.kinds import POLICY, ROLE
from tessera.catalog.service import CatalogService
from tessera.errors import BadRequest, Forbidden

Doc = dict[str, Any]

# Resources that are not entity kinds but still need a decision.
EXTRA_RESOURCES = ("All", "search", "audit", "personalAccessToken", "settings")
RESOURCES = frozenset({kind.type for kind in ALL_KINDS} | set(EXTRA_RESOURCES))
# OpenMetadata's resources tessera does not serve yet: a rule may name them (and matches nothing).
OTHER_OPENMETADATA_RESOURCES = frozenset(
    {
        "apiCollection",
        "apiEndpoint",
        "apiService",
        "app",
        "chart",
        "container",
        "dashboard",
        "dashboardDataModel",
        "dashboardService",
        "dataContract",
        "dataInsightChart",
        "dataProduct",
        "document",
        "domain",
        "eventsubscription",
        "feed",
        "kpi",
        "lineage",
        "messagingService",
        "metadataService",
        "metric",
        "mlmodel",
        "mlmodelService",
        "page",
        "persona",
        "pipeline",
        "pipelineService",
        "report",
        "searchIndex",
        "searchService",
        "storageService",
        "storedProcedure",
        "suggestion",
        "testCase",
        "testDefinition",
        "testSuite",
        "topic",
        "type",
        "webAnalyticEvent",
        "workflow",
    }
)
# What a rule's resource is called here, whatever its letter case ("Table" -> "table").
_CANONICAL = {name.lower(): name for name in RESOURCES | OTHER_OPENMETADATA_RESOURCES}


def canonical_resource(name: str) -> str | None:
    return _CANONICAL.get(name.lower())


# Kinds whose entities confer rights: ownership of one never grants anything.
GOVERNANCE = frozenset({"role", "policy", "bot", "team"})


def system_provided(resource: str, entity: Mapping[str, Any] | None) -> bool:
    """A role, policy or bot tessera installed: administrators alone change it."""
    return entity is not None and resource in GOVERNANCE and entity.get("provider") == "system"


@dataclass(frozen=True)
class Rule:
    name: str
    resources: frozenset[str]
    operations: frozenset[str]
    allow: bool
    condition: conditions.Node | None
    # A condition stored before it could be checked and that does not parse: fails closed.
    broken: bool = False

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
    """Refuse rules tessera cannot enforce exactly: a condition that does not parse or names an
    unknown function, a resource or an operation OpenMetadata does not have."""
    operations = _openmetadata_operations()
    for rule in rules:
        condition = rule.get("condition")
        if condition and condition.strip():
            try:
                conditions.parse(condition.strip())
            except BadRequest as exc:
                raise BadRequest(f"Rule {rule.get('name')!r}: {exc.message}") from None
        for resource in rule.get("resources") or []:
            if canonical_resource(str(resource)) is None:
                raise BadRequest(
                    f"Rule {rule.get('name')!r}: unknown resource {resource!r}; resources are entity types "
                    "such as table, databaseSchema, user, or All"
                )
        for operation in rule.get("operations") or []:
            if operation not in operations:
                raise BadRequest(f"Rule {rule.get('name')!r}: unknown operation {operation!r}")


@functools.cache
def _openmetadata_operations() -> frozenset[str]:
    """OpenMetadata's MetadataOperation names (a rule may grant one tessera does not check)."""
    names = contract.schema("createPolicy").get("$defs", {}).get("Operation", {}).get("enum") or []
    return frozenset(names) | {op.value for op in Operation}


def _rules(policy: Mapping[str, Any]) -> list[Rule]:
    if policy.get("enabled") is False:
        return []
    rules = []
    for rule in policy.get("rules") or []:
        text = (rule.get("condition") or "").strip()
        condition, broken = None, False
        if text:
            try:
                condition = conditions.parse(text)
            except BadRequest:
                broken = True
        resources = {canonical_resource(str(r)) for r in rule.get("resources") or []}
        rules.append(
            Rule(
                name=str(rule.get("name", "")),
                resources=frozenset(r for r in resources if r is not None),
                operations=frozenset(rule.get("operations") or []),
                allow=rule.get("effect") == "allow",
                condition=condition,
                broken=broken,
            )
        )
    return rules


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
        # A condition that does not parse (only possible in data written before validation)
        # never matches an allow rule and always matches a deny rule: fail closed.
        if rule.broken:
            return not rule.allow
        if rule.condition is None:
            return True
        if rule.allow and resource in GOVERNANCE and conditions.mentions_ownership(rule.condition):
            return False
        return None

    def _holds(
        self, rule: Rule, principal: Principal, entity: Mapping[str, Any] | None, resource: str
    ) -> bool:
        always = self._static(rule, resource)
        if always is not None or rule.condition is None:
            return bool(always)
        return conditions.evaluate(rule.condition, principal, entity, resource)

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
    # Says what would be needed, in the words of roles and policies (which people can change),
    # and who was refused: never which check of ours said no.
    if _is_protected(operation, resource, entity):
        name = (entity or {}).get("name")
        return (
            f"The {resource} {name} is provided by the system: only administrators can change it; "
            f"{principal.display} is not an administrator"
        )
    return (
        f"You need the {operation.value} permission on {_plural(resource)} (from a role or policy), "
        f"or to be an administrator; {principal.display} has neither"
    )


def _plural(resource: str) -> str:
    return f"{resource[:-1]}ies" if resource.endswith("y") else f"{resource}s"


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
