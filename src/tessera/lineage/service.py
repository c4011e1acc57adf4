"""Lineage as OpenMetadata's LineageRepository serves it: ``addLineage`` stores an UPSTREAM edge
from one entity to another with its lineageDetails; a read walks the edges breadth first from
an entity, up to ``upstreamDepth`` levels one way and ``downstreamDepth`` the other, and answers
``{entity, nodes, upstreamEdges, downstreamEdges}`` (entityLineage.json).

Each level of a walk is one query for the whole frontier (``store.level``), so a walk costs a
query per level however wide the graph is, never one per node. Soft-deleted entities drop out
of walks in that query; hard-deleted ones take their edges with them (:class:`EdgeCleanup`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jsonpatch
from sqlalchemy.engine import Connection, Engine

from tessera import contract
from tessera.catalog import documents
from tessera.catalog.kinds import BY_TYPE, Kind
from tessera.errors import BadRequest, NotFound
from tessera.lineage import store
from tessera.lineage.store import Direction, Edge, Node
from tessera.storage.db import read_once, write_transaction

Doc = dict[str, Any]
# OpenMetadata's client asks for at most 3 levels each way ("min=0, max=3").
MAX_DEPTH = 3
# Refuses an edge whose ends the caller may not link: (from entity, to entity).
AuthorizeEdge = Callable[[Node, Node], None]
# Whether the caller may see an entity that a walk reaches.
Visible = Callable[[Node], bool]


class LineageService:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock

    # -- reads --------------------------------------------------------------------------------

    def entity(self, entity_type: str, entity_id: str) -> Node:
        """A live entity of ``entity_type`` by id (404 otherwise)."""
        kind = _kind(entity_type, "entity type")
        with read_once(self.engine) as conn:
            node = store.nodes(conn, [entity_id]).get(entity_id)
        if node is None or node.deleted or node.entity_type != kind.type:
            raise NotFound(f"{entity_type} instance for {entity_id} not found")
        return node

    def ends(self, from_id: str, to_id: str) -> list[Node]:
        """Both live ends of an edge by id (404 otherwise)."""
        with read_once(self.engine) as conn:
            found = store.nodes(conn, [from_id, to_id])
        ends = [found.get(from_id), found.get(to_id)]
        live = [node for node in ends if node is not None and not node.deleted]
        if len(live) != 2:
            raise NotFound(f"Lineage edge from {from_id} to {to_id} not found")
        return live

    def lineage(self, root: Node, upstream: int, downstream: int, visible: Visible) -> Doc:
        for name, depth in (("upstreamDepth", upstream), ("downstreamDepth", downstream)):
            if not 0 <= depth <= MAX_DEPTH:
                raise BadRequest(f"{name} must be between 0 and {MAX_DEPTH}, not {depth}")
        nodes: dict[str, Node] = {}
        with read_once(self.engine) as conn:
            up = self._walk(conn, root, "upstream", upstream, visible, nodes)
            down = self._walk(conn, root, "downstream", downstream, visible, nodes)
        return {
            "entity": documents.reference(root.doc, root.entity_type),
            "nodes": [documents.reference(node.doc, node.entity_type) for node in nodes.values()],
            "upstreamEdges": [_edge(edge) for edge in up],
            "downstreamEdges": [_edge(edge) for edge in down],
        }

    def edge(self, from_id: str, to_id: str) -> Doc:
        """OpenMetadata's ``getLineageEdge``: ``{"edge": lineageDetails}`` of one stored edge."""
        with read_once(self.engine) as conn:
            found = store.get(conn, from_id, to_id)
        if found is None:
            raise NotFound(f"Lineage edge from {from_id} to {to_id} not found")
        return {"edge": {"fromEntity": from_id, "toEntity": to_id, **found.details}}

    # -- writes -------------------------------------------------------------------------------

    def add(self, requests: Sequence[Any], actor: str, authorize: AuthorizeEdge) -> list[Edge]:
        """Store the edge of each addLineage request (all or none), replacing the details of
        an edge that exists; the caller's ``authorize`` decides on both ends of each."""
        edges = [_edge_request(request, index, len(requests)) for index, request in enumerate(requests)]
        now = int(self._clock() * 1000)
        with write_transaction(self.engine) as conn:
            ids = [e["fromEntity"]["id"] for e in edges] + [e["toEntity"]["id"] for e in edges]
            pipelines = [e["lineageDetails"]["pipeline"]["id"] for e in edges if _pipeline(e)]
            found = store.nodes(conn, ids + pipelines)
            stored = store.existing(conn, [(e["fromEntity"]["id"], e["toEntity"]["id"]) for e in edges])
            written: list[Edge] = []
            for index, request in enumerate(edges):
                where = f"edge {index}: " if len(edges) > 1 else ""
                source = _live(found, request["fromEntity"], f"{where}fromEntity")
                target = _live(found, request["toEntity"], f"{where}toEntity")
                if source.id == target.id:
                    raise BadRequest(f"{where}an entity cannot be upstream of itself ({source.id})")
                authorize(source, target)
                details = _details(request, source, target, found, where)
                previous = stored.get((source.id, target.id))
                details["createdAt"] = (previous or {}).get("createdAt", now)
                details["createdBy"] = (previous or {}).get("createdBy", actor)
                details["updatedAt"], details["updatedBy"] = now, actor
                written.append(Edge(source.id, target.id, source.entity_type, target.entity_type, details))
            store.put_many(conn, written, now)
        return written

    def patch(
        self, from_node: Node, to_node: Node, operations: Any, actor: str, authorize: AuthorizeEdge
    ) -> Doc:
        """A JSON Patch (RFC 6902) of an edge's lineageDetails, as the client sends it."""
        if not isinstance(operations, list):
            raise BadRequest("A JSON Patch body must be an array of operations (RFC 6902)")
        authorize(from_node, to_node)
        with write_transaction(self.engine) as conn:
            current = store.get(conn, from_node.id, to_node.id)
            if current is None:
                raise NotFound(f"Lineage edge from {from_node.id} to {to_node.id} not found")
            try:
                patched = jsonpatch.apply_patch(current.details, operations)
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
                raise BadRequest(f"Invalid JSON Patch: {exc}") from None
            request = {
                "fromEntity": {"id": from_node.id, "type": from_node.entity_type},
                "toEntity": {"id": to_node.id, "type": to_node.entity_type},
                "lineageDetails": _without_server_fields(patched),
            }
            _validate({"edge": request}, "")
            pipeline_id = (_pipeline(request) or {}).get("id")
            found = {from_node.id: from_node, to_node.id: to_node}
            if pipeline_id:
                found |= store.nodes(conn, [pipeline_id])
            details = _details(request, from_node, to_node, found, "")
            now = int(self._clock() * 1000)
            details |= {k: current.details[k] for k in ("createdAt", "createdBy") if k in current.details}
            details["updatedAt"], details["updatedBy"] = now, actor
            store.put_many(
                conn,
                [Edge(from_node.id, to_node.id, from_node.entity_type, to_node.entity_type, details)],
                now,
            )
        return details

    def delete(self, from_node: Node, to_node: Node, authorize: AuthorizeEdge) -> None:
        authorize(from_node, to_node)
        with write_transaction(self.engine) as conn:
            if not store.delete(conn, from_node.id, to_node.id):
                raise NotFound(
                    f"Lineage edge from {from_node.entity_type} {from_node.id} "
                    f"to {to_node.entity_type} {to_node.id} not found"
                )

    def delete_by_source(self, node: Node, source: str) -> int:
        allowed = _source_values()
        if source not in allowed:
            raise BadRequest(f"source must be one of {', '.join(sorted(allowed))}, not {source!r}")
        with write_transaction(self.engine) as conn:
            return store.delete_by_source(conn, node.id, source)

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def _walk(
        conn: Connection,
        root: Node,
        direction: Direction,
        depth: int,
        visible: Visible,
        nodes: dict[str, Node],
    ) -> list[Edge]:
        """Breadth first, one query per level; an entity reached twice is expanded once."""
        edges: list[Edge] = []
        seen = {root.id}
        frontier = [root.id]
        for _ in range(depth):
            if not frontier:
                break
            following: list[str] = []
            for edge, far in store.level(conn, frontier, direction):
                if not visible(far):
                    continue
                edges.append(edge)
                if far.id not in seen:
                    seen.add(far.id)
                    nodes.setdefault(far.id, far)
                    following.append(far.id)
            frontier = following
        return edges


class EdgeCleanup:
    """A catalog write listener: a hard-deleted entity takes its lineage edges with it."""

    def written(self, conn: Connection, kind: Kind, doc: Doc, previous: Doc | None) -> None:
        return None

    def removed(self, conn: Connection, kind: Kind, docs: Sequence[Doc], actor: str) -> None:
        store.delete_touching(conn, [doc["id"] for doc in docs])


def _edge(edge: Edge) -> Doc:
    return {"fromEntity": edge.from_id, "toEntity": edge.to_id, "lineageDetails": edge.details}


def _kind(entity_type: str, what: str) -> Kind:
    kind = BY_TYPE.get(entity_type)
    if kind is None:
        served = ", ".join(sorted(BY_TYPE))
        raise BadRequest(f"{what} {entity_type!r} is not an entity type tessera serves; one of {served}")
    return kind


def _validate(body: Any, where: str) -> None:
    problems = contract.errors("addLineage", body)
    if problems:
        raise BadRequest(f"{where}invalid lineage request: {'; '.join(problems[:5])}")


def _edge_request(body: Any, index: int, total: int) -> Doc:
    where = f"edge {index}: " if total > 1 else ""
    if not isinstance(body, Mapping):
        raise BadRequest(f"{where}an addLineage request must be a JSON object with an edge")
    _validate(body, where)
    edge: Doc = copy.deepcopy(dict(body["edge"]))
    for end in ("fromEntity", "toEntity"):
        _kind(str(edge[end]["type"]), f"{where}edge.{end}.type")
    details = edge.get("lineageDetails") or {}
    if edge.get("description") and not details.get("description"):
        details["description"] = edge["description"]
    edge["lineageDetails"] = details
    return edge


def _pipeline(edge: Mapping[str, Any]) -> Doc | None:
    pipeline: Doc | None = (edge.get("lineageDetails") or {}).get("pipeline")
    return pipeline


def _live(found: Mapping[str, Node], ref: Mapping[str, Any], field: str) -> Node:
    node = found.get(str(ref["id"]))
    if node is None or node.deleted or node.entity_type != ref["type"]:
        raise NotFound(f"{field}: {ref['type']} instance for {ref['id']} not found")
    return node


def _details(
    request: Mapping[str, Any], source: Node, target: Node, found: Mapping[str, Node], where: str
) -> Doc:
    details: Doc = _without_server_fields(request.get("lineageDetails") or {})
    details.setdefault("source", "Manual")
    pipeline = details.get("pipeline")
    if pipeline:
        node = _live(found, pipeline, f"{where}lineageDetails.pipeline")
        details["pipeline"] = documents.reference(node.doc, node.entity_type)
    for position, column in enumerate(details.get("columnsLineage") or []):
        field = f"{where}lineageDetails.columnsLineage[{position}]"
        for name in column.get("fromColumns") or []:
            _column_of(source, name, f"{field}.fromColumns")
        if column.get("toColumn"):
            _column_of(target, column["toColumn"], f"{field}.toColumn")
    return details


def _column_of(node: Node, column_fqn: str, field: str) -> None:
    """Column lineage names columns of the edge's own ends (OpenMetadata: "Invalid column name")."""
    if node.entity_type != "table":
        raise BadRequest(f"{field}: column lineage needs a table at this end, not a {node.entity_type}")
    if column_fqn not in set(_column_fqns(node.doc.get("columns") or [])):
        raise BadRequest(
            f"{field}: invalid column name {column_fqn}: not a column of {node.doc['fullyQualifiedName']}"
        )


def _column_fqns(columns: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    for column in columns:
        if column.get("fullyQualifiedName"):
            yield column["fullyQualifiedName"]
        yield from _column_fqns(column.get("children") or [])


def _without_server_fields(details: Mapping[str, Any]) -> Doc:
    server = ("createdAt", "createdBy", "updatedAt", "updatedBy")
    return {
        key: copy.deepcopy(value) for key, value in details.items() if key not in server and value is not None
    }


def _source_values() -> frozenset[str]:
    source = contract.schema("addLineage").get("$defs", {}).get("Source", {})
    return frozenset(source.get("enum") or [])
