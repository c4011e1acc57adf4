"""Policy conditions in OpenMetadata's documented function language, parsed by a grammar of our own.

OpenMetadata evaluates a rule's ``condition`` as a SpEL expression, and SpEL evaluation was remote
code execution (CVE-2024-28254). Here a condition is parsed into a tree of known functions and
the operators ``&&``, ``||``, ``!`` and parentheses; nothing else exists in the language, so there
is nothing to evaluate but those functions. An unknown function, a wrong number of arguments or
any other syntax is refused when the policy is written, with a message that names it.

    condition := or
    or        := and ("||" and)*
    and       := unary ("&&" unary)*
    unary     := "!" unary | "(" or ")" | call
    call      := name "(" [string ("," string)*] ")"
    string    := '...' | "..."
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tessera.auth.principal import Principal
from tessera.errors import BadRequest

Entity = Mapping[str, Any] | None
MAX_LENGTH = 2_000
MAX_DEPTH = 32

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<op>&&|\|\||!|\(|\)|,)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


Node = Call | Not | And | Or


@dataclass(frozen=True)
class Function:
    evaluate: Callable[[Principal, Entity, str, tuple[str, ...]], bool]
    # Whether it takes arguments (one or more names) or none.
    takes_args: bool
    # True when it decides by who owns the entity: such a condition never grants anything on the
    # kinds that confer rights (see policies.GOVERNANCE).
    ownership: bool = False


def _owned_by(principal: Principal, entity: Entity, resource: str, _args: tuple[str, ...]) -> bool:
    if entity is None:
        return False
    if resource == "user":
        # A user owns their own record; what they may change in it is the user service's call.
        return principal.user_id is not None and entity.get("id") == principal.user_id
    mine = {principal.user_id, *principal.team_ids} - {None}
    return any(owner.get("id") in mine for owner in entity.get("owners") or [])


def _has_no_owner(principal: Principal, entity: Entity, resource: str, _args: tuple[str, ...]) -> bool:
    # A user is their own owner: nobody claims one.
    return entity is not None and resource != "user" and not entity.get("owners")


def _tag_fqns(entity: Entity) -> set[str]:
    return {str(label.get("tagFQN")) for label in (entity or {}).get("tags") or [] if isinstance(label, dict)}


def _match_all_tags(_p: Principal, entity: Entity, _r: str, args: tuple[str, ...]) -> bool:
    return set(args) <= _tag_fqns(entity)


def _match_any_tag(_p: Principal, entity: Entity, _r: str, args: tuple[str, ...]) -> bool:
    return bool(set(args) & _tag_fqns(entity))


def _match_any_certification(_p: Principal, entity: Entity, _r: str, args: tuple[str, ...]) -> bool:
    certification = (entity or {}).get("certification") or {}
    label = certification.get("tagLabel") or {} if isinstance(certification, dict) else {}
    return isinstance(label, dict) and label.get("tagFQN") in args


def _match_team(principal: Principal, entity: Entity, _r: str, _args: tuple[str, ...]) -> bool:
    """The entity is owned by a team the caller belongs to."""
    owners = (entity or {}).get("owners") or []
    return any(o.get("type") == "team" and o.get("id") in principal.team_ids for o in owners)


def _in_any_team(principal: Principal, _e: Entity, _r: str, args: tuple[str, ...]) -> bool:
    return bool(set(args) & principal.team_names)


def _has_any_role(principal: Principal, _e: Entity, _r: str, args: tuple[str, ...]) -> bool:
    return bool(set(args) & principal.roles)


def _has_domain(_p: Principal, entity: Entity, _r: str, _args: tuple[str, ...]) -> bool:
    """The caller shares a domain with the entity, or the entity is in none (tessera gives people
    no domains yet, so only entities outside every domain pass)."""
    return not (entity or {}).get("domains")


def _is_reviewer(principal: Principal, entity: Entity, _r: str, _args: tuple[str, ...]) -> bool:
    mine = {principal.user_id, *principal.team_ids} - {None}
    return any(reviewer.get("id") in mine for reviewer in (entity or {}).get("reviewers") or [])


FUNCTIONS: dict[str, Function] = {
    "isOwner": Function(_owned_by, takes_args=False, ownership=True),
    "noOwner": Function(_has_no_owner, takes_args=False, ownership=True),
    "matchAllTags": Function(_match_all_tags, takes_args=True),
    "matchAnyTag": Function(_match_any_tag, takes_args=True),
    "matchAnyCertification": Function(_match_any_certification, takes_args=True),
    "matchTeam": Function(_match_team, takes_args=False),
    "inAnyTeam": Function(_in_any_team, takes_args=True),
    "hasAnyRole": Function(_has_any_role, takes_args=True),
    "hasDomain": Function(_has_domain, takes_args=False),
    "isReviewer": Function(_is_reviewer, takes_args=False),
}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize(text)
        self.position = 0

    def _tokenize(self, text: str) -> list[tuple[str, str, int]]:
        tokens: list[tuple[str, str, int]] = []
        index = 0
        while index < len(text):
            if text[index:].strip() == "":
                break
            match = _TOKEN.match(text, index)
            if match is None or match.end() == index:
                offset = len(text) - len(text[index:].lstrip())
                raise _invalid(text, f"unexpected {text[offset : offset + 12]!r} at position {offset + 1}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind), match.start(kind)))
            index = match.end()
        return tokens

    def parse(self) -> Node:
        if not self.tokens:
            raise _invalid(self.text, "it is empty")
        node = self._or(0)
        if self.position < len(self.tokens):
            _kind, value, at = self.tokens[self.position]
            raise _invalid(self.text, f"unexpected {value!r} at position {at + 1}")
        return node

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, value: str) -> bool:
        token = self._peek()
        if token is not None and token[0] == "op" and token[1] == value:
            self.position += 1
            return True
        return False

    def _expect(self, value: str) -> None:
        if not self._take(value):
            token = self._peek()
            found = f"{token[1]!r} at position {token[2] + 1}" if token else "the end"
            raise _invalid(self.text, f"expected {value!r} but found {found}")

    def _or(self, depth: int) -> Node:
        node = self._and(depth)
        while self._take("||"):
            node = Or(node, self._and(depth))
        return node

    def _and(self, depth: int) -> Node:
        node = self._unary(depth)
        while self._take("&&"):
            node = And(node, self._unary(depth))
        return node

    def _unary(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise _invalid(self.text, f"it nests deeper than {MAX_DEPTH} levels")
        if self._take("!"):
            return Not(self._unary(depth + 1))
        if self._take("("):
            node = self._or(depth + 1)
            self._expect(")")
            return node
        return self._call()

    def _call(self) -> Call:
        token = self._peek()
        if token is None or token[0] != "name":
            found = f"{token[1]!r} at position {token[2] + 1}" if token else "the end"
            raise _invalid(self.text, f"expected a function such as isOwner() but found {found}")
        self.position += 1
        name = token[1]
        function = FUNCTIONS.get(name)
        if function is None:
            raise BadRequest(
                f"Condition {self.text!r}: unknown function {name!r}; tessera supports "
                f"{', '.join(f'{known}()' for known in FUNCTIONS)}"
            )
        self._expect("(")
        args: list[str] = []
        if not self._take(")"):
            while True:
                arg = self._peek()
                if arg is None:
                    raise _invalid(self.text, "expected ')' but found the end")
                if arg[0] != "string":
                    found = f"{arg[1]!r}" if arg else "the end"
                    raise _invalid(self.text, f"{name}() takes quoted names, not {found}")
                self.position += 1
                args.append(_unquote(arg[1]))
                if self._take(")"):
                    break
                self._expect(",")
        if function.takes_args and not args:
            raise _invalid(self.text, f"{name}() needs at least one name, e.g. {name}('PII.Sensitive')")
        if not function.takes_args and args:
            raise _invalid(self.text, f"{name}() takes no arguments")
        return Call(name, tuple(args))


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _invalid(text: str, why: str) -> BadRequest:
    return BadRequest(f"Condition {text!r} is not valid: {why}")


@functools.lru_cache(maxsize=1024)
def parse(condition: str) -> Node:
    """The tree of ``condition``; BadRequest naming what is wrong with it."""
    if len(condition) > MAX_LENGTH:
        raise BadRequest(f"Condition is longer than {MAX_LENGTH} characters")
    return _Parser(condition.strip()).parse()


def evaluate(node: Node, principal: Principal, entity: Entity, resource: str) -> bool:
    if isinstance(node, Call):
        return FUNCTIONS[node.name].evaluate(principal, entity, resource, node.args)
    if isinstance(node, Not):
        return not evaluate(node.operand, principal, entity, resource)
    if isinstance(node, And):
        return evaluate(node.left, principal, entity, resource) and evaluate(
            node.right, principal, entity, resource
        )
    return evaluate(node.left, principal, entity, resource) or evaluate(
        node.right, principal, entity, resource
    )


def mentions_ownership(node: Node) -> bool:
    if isinstance(node, Call):
        return FUNCTIONS[node.name].ownership
    if isinstance(node, Not):
        return mentions_ownership(node.operand)
    return mentions_ownership(node.left) or mentions_ownership(node.right)
