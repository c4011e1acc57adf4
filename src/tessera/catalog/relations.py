"""Followers and votes, and the fields computed from relations: ``followers``, ``votes``, a
user's ``follows``, a team's ``children``, ``childrenCount`` and ``userCount``.

Following or voting does not change the entity, as in OpenMetadata (``EntityRepository.
addFollower``, ``updateVote``): no new version; the caller gets a ChangeEvent describing the
change. The relations live in ``entity_relation`` and are read for a whole page at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tessera.catalog import documents, shapes
from tessera.catalog.kinds import TEAM, USER, Kind
from tessera.errors import BadRequest, NotFound
from tessera.storage import relations as store
from tessera.storage import repository as repo
from tessera.storage import search as search_store
from tessera.storage.db import write_transaction
from tessera.storage.unit_of_work import is_uuid

Doc = dict[str, Any]
# voteRequest.json's updatedVoteType -> the relation it leaves.
_VOTE_TYPES = {"votedUp": store.UP_VOTED, "votedDown": store.DOWN_VOTED, "unVoted": None}


class Relations:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock

    # -- writes -------------------------------------------------------------------------------

    def follow(self, kind: Kind, entity_id: str, user_id: str, actor: str) -> Doc:
        """``user_id`` follows the entity (PUT /{collection}/{id}/followers)."""
        self._supports(kind, "followers")
        try:
            with write_transaction(self.engine) as conn:
                target = self._live(conn, kind, entity_id)
                user = self._live(conn, USER, user_id)
                added = store.add(conn, user["id"], target["id"], store.FOLLOWS, self._now())
        except IntegrityError:
            # The same follow, committed by another request between our look and our insert.
            added = False
        change = {"fieldsAdded": [_field("followers", [documents.reference(user, "user")])]} if added else {}
        return self._event(kind, target, actor, change)

    def unfollow(self, kind: Kind, entity_id: str, user_id: str, actor: str) -> Doc:
        """``user_id`` stops following (DELETE /{collection}/{id}/followers/{userId})."""
        self._supports(kind, "followers")
        with write_transaction(self.engine) as conn:
            target = self._live(conn, kind, entity_id)
            user = self._any(conn, USER, user_id)
            removed = store.remove(conn, user["id"], target["id"], [store.FOLLOWS])
        change = (
            {"fieldsDeleted": [_field("followers", [documents.reference(user, "user")])]} if removed else {}
        )
        return self._event(kind, target, actor, change)

    def vote(self, kind: Kind, entity_id: str, user_id: str | None, request: Any, actor: str) -> Doc:
        """The caller's vote (PUT /{collection}/{id}/vote with a voteRequest)."""
        self._supports(kind, "votes")
        if not isinstance(request, Mapping) or set(request) - {"updatedVoteType"}:
            raise BadRequest(
                'The vote request must be {"updatedVoteType": "votedUp" | "votedDown" | "unVoted"}'
            )
        vote_type = request.get("updatedVoteType", "unVoted")
        if vote_type not in _VOTE_TYPES:
            raise BadRequest(f"updatedVoteType must be one of votedUp, votedDown, unVoted; not {vote_type!r}")
        if user_id is None:
            raise BadRequest("Only a signed-in user can vote; this caller is not a user of the catalog")
        for attempt in range(2):
            try:
                target, before, after = self._set_vote(kind, entity_id, user_id, _VOTE_TYPES[vote_type])
                break
            except IntegrityError:
                # The same user's other vote landed first: vote again over it.
                if attempt:
                    raise
        change = {"fieldsUpdated": [_field("votes", after, before)]} if after != before else {}
        return self._event(kind, target, actor, change)

    def _set_vote(
        self, kind: Kind, entity_id: str, user_id: str, relation: str | None
    ) -> tuple[Doc, Doc, Doc]:
        with write_transaction(self.engine) as conn:
            target = self._live(conn, kind, entity_id)
            before = self._votes(conn, [target["id"]])[target["id"]]
            store.remove(conn, user_id, target["id"], store.VOTES)
            if relation is not None:
                store.add(conn, user_id, target["id"], relation, self._now())
            after = self._votes(conn, [target["id"]])[target["id"]]
        return target, before, after

    # -- reads --------------------------------------------------------------------------------

    def decorate(self, kind: Kind, docs: Sequence[Doc], fields: frozenset[str] | None) -> list[Doc]:
        """``docs`` with the relation fields ``fields`` asks for (``*``: all), a page at a time."""
        wanted = _wanted(kind, fields)
        if not wanted or not docs:
            return list(docs)
        ids = [doc["id"] for doc in docs]
        out = [dict(doc) for doc in docs]
        with self.engine.connect() as conn:
            if "followers" in wanted:
                followers = self._followers(conn, ids)
                for doc in out:
                    doc["followers"] = followers.get(doc["id"], [])
            if "votes" in wanted:
                votes = self._votes(conn, ids)
                for doc in out:
                    doc["votes"] = votes[doc["id"]]
            if "follows" in wanted:
                follows = self._related(conn, {doc["id"]: [doc["id"]] for doc in out}, store.FOLLOWS)
                for doc in out:
                    doc["follows"] = follows[doc["id"]]
            if "owns" in wanted:
                owns = self._related(conn, {doc["id"]: _owner_keys(kind, doc) for doc in out}, store.OWNS)
                for doc in out:
                    doc["owns"] = sorted(
                        owns[doc["id"]], key=lambda ref: (ref["type"], ref["fullyQualifiedName"])
                    )
            if wanted & {"children", "childrenCount", "userCount"}:
                for doc in out:
                    self._team_fields(conn, doc, wanted)
        return out

    def _followers(self, conn: Any, ids: Sequence[str]) -> dict[str, list[Doc]]:
        found = store.to_entities(conn, ids, [store.FOLLOWS])
        users = search_store.documents(conn, sorted({user for _to, _rel, user in found}))
        out: dict[str, list[Doc]] = {}
        for to_id, _relation, user_id in found:
            if user_id in users:
                out.setdefault(to_id, []).append(documents.reference(users[user_id][1], "user"))
        return out

    def _votes(self, conn: Any, ids: Sequence[str]) -> dict[str, Doc]:
        found = store.to_entities(conn, ids, store.VOTES)
        users = search_store.documents(conn, sorted({user for _to, _rel, user in found}))
        out = {entity_id: shapes.new_votes() for entity_id in ids}
        for to_id, relation, user_id in found:
            if user_id not in users:
                continue
            votes = out[to_id]
            side = "up" if relation == store.UP_VOTED else "down"
            votes[f"{side}Votes"] += 1
            votes[f"{side}Voters"].append(documents.reference(users[user_id][1], "user"))
        return out

    def _related(self, conn: Any, sources: Mapping[str, list[str]], relation: str) -> dict[str, list[Doc]]:
        """For each entity, references to the live entities its sources have ``relation`` to:
        two queries for a whole page."""
        pairs = store.from_entities(conn, sorted({s for ids in sources.values() for s in ids}), relation)
        targets = search_store.documents(conn, sorted({to_id for _from, to_id in pairs}))
        by_source: dict[str, list[str]] = {}
        for from_id, to_id in pairs:
            by_source.setdefault(from_id, []).append(to_id)
        out: dict[str, list[Doc]] = {}
        for entity_id, ids in sources.items():
            seen = dict.fromkeys(to_id for source in ids for to_id in by_source.get(source, []))
            out[entity_id] = [
                documents.reference(targets[to_id][1], targets[to_id][0])
                for to_id in seen
                if to_id in targets and not targets[to_id][1].get("deleted")
            ]
        return out

    def _team_fields(self, conn: Any, team: Doc, wanted: frozenset[str]) -> None:
        """OpenMetadata's TeamRepository: ``childrenCount`` counts the child teams, ``userCount``
        the distinct users of the team and of every team under it."""
        children = self._child_teams(conn, team)
        if "children" in wanted:
            team["children"] = children
        if "childrenCount" in wanted:
            team["childrenCount"] = len(children)
        if "userCount" in wanted:
            users: set[str] = set()
            seen = {team["id"]}
            pending = [team]
            while pending:
                current = pending.pop()
                users.update(
                    row.id
                    for row in repo.referencing(conn, USER.type, current["id"])
                    if any(ref.get("id") == current["id"] for ref in row.doc.get("teams") or [])
                )
                for ref in self._child_teams(conn, current) if current is not team else children:
                    row = repo.get_by_id(conn, ref["id"], entity_type=TEAM.type)
                    if row is not None and not row.deleted and row.id not in seen:
                        seen.add(row.id)
                        pending.append(row.doc)
            team["userCount"] = len(users)

    def _child_teams(self, conn: Any, team: Doc) -> list[Doc]:
        """The teams naming ``team`` among their parents, and any it was created with."""
        team_id = team["id"]
        found: dict[str, Doc] = {
            ref["id"]: dict(ref) for ref in team.get("children") or [] if isinstance(ref, Mapping)
        }
        for row in repo.referencing(conn, TEAM.type, team_id):
            if any(ref.get("id") == team_id for ref in row.doc.get("parents") or []):
                found[row.id] = documents.reference(row.doc, "team")
        return sorted(found.values(), key=lambda ref: (ref.get("name", ""), ref["id"]))

    # -- internals ----------------------------------------------------------------------------

    def _supports(self, kind: Kind, field: str) -> None:
        if field not in kind.optional_fields or field not in kind.entity_fields:
            raise BadRequest(f"{kind.type} entities have no {field}")

    def _live(self, conn: Any, kind: Kind, entity_id: str) -> Doc:
        doc = self._any(conn, kind, entity_id)
        if doc.get("deleted"):
            raise NotFound(f"{kind.type} instance for {entity_id} not found")
        return doc

    def _any(self, conn: Any, kind: Kind, entity_id: str) -> Doc:
        row = repo.get_by_id(conn, entity_id, entity_type=kind.type) if is_uuid(entity_id) else None
        if row is None:
            raise NotFound(f"{kind.type} instance for {entity_id} not found")
        return row.doc

    def _event(self, kind: Kind, target: Doc, actor: str, change: Mapping[str, Any]) -> Doc:
        """OpenMetadata's ChangeEvent for a relation change: the entity's version is unchanged."""
        version = target.get("version")
        return {
            "eventType": "entityUpdated" if change else "entityNoChange",
            "entityType": kind.type,
            "entityId": target["id"],
            "entityFullyQualifiedName": target.get("fullyQualifiedName"),
            "userName": actor,
            "timestamp": self._now(),
            "previousVersion": version,
            "currentVersion": version,
            "changeDescription": {
                "fieldsAdded": list(change.get("fieldsAdded", [])),
                "fieldsUpdated": list(change.get("fieldsUpdated", [])),
                "fieldsDeleted": list(change.get("fieldsDeleted", [])),
                "previousVersion": version,
            },
        }

    def _now(self) -> int:
        return int(self._clock() * 1000)


class OwnershipIndex:
    """Keeps the ``owns`` relations in step with each entity's own owners, in the writing
    transaction (a write listener): what a user or team owns is then one indexed read."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def written(self, conn: Any, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        now = _owner_ids(doc)
        if previous is None and not now:
            return  # a new entity (a new id): no relation names it yet, and it has no owners
        if previous is not None and now == _owner_ids(previous):
            return
        store.set_sources(conn, doc["id"], store.OWNS, now, int(self._clock() * 1000))

    def removed(self, conn: Any, kind: Kind, docs: Sequence[Doc], actor: str) -> None:
        """Hard deletes: the repository drops their relations with their rows."""


def _owner_keys(kind: Kind, owner: Mapping[str, Any]) -> list[str]:
    """Whose ownership counts as ``owner``'s: its own, and for a user its teams' (getOwns)."""
    keys = [str(owner["id"])]
    if kind.type == "user":
        keys += [str(ref["id"]) for ref in owner.get("teams") or [] if isinstance(ref, Mapping)]
    return keys


def _owner_ids(doc: Mapping[str, Any]) -> list[str]:
    return [
        str(o["id"]) for o in doc.get("owners") or [] if isinstance(o, Mapping) and not o.get("inherited")
    ]


def _wanted(kind: Kind, fields: frozenset[str] | None) -> frozenset[str]:
    computed = {"followers", "votes", "owns"} | ({"follows"} if kind.type == "user" else set())
    if kind.type == "team":
        computed |= {"children", "childrenCount", "userCount"}
    available = computed & set(kind.optional_fields) & kind.entity_fields
    if not fields:
        return frozenset()
    return frozenset(available if "*" in fields else available & fields)


def _field(name: str, new: Any, old: Any = None) -> Doc:
    # OpenMetadata's FieldChange carries values as JSON text.
    out: Doc = {"name": name, "newValue": json.dumps(new)}
    if old is not None:
        out["oldValue"] = json.dumps(old)
    return out
