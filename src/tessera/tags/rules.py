"""What OpenMetadata checks and fills in when an entity is written with tag labels, and the rules of
glossary terms.

Labels (``tagLabel.json``) anywhere in a document (the entity's ``tags``, its columns') must name
a tag or glossary term that exists; a label newly put on an entity may not name a deleted or
disabled one (a label it already carried stays, so a re-ingestion does not fail on it). Each
label is filled in from what it names (``name``, ``displayName``, ``description``, ``style``) as
OpenMetadata's ``TagLabelUtil.applyTagCommonFields`` does, a repeated label is dropped, and two
labels whose tags share a mutually exclusive container (a classification or parent tag with
``mutuallyExclusive: true``; a glossary or parent term) are refused with OpenMetadata's words.

A certification (``certification.tagLabel``) must be a tag of the classification the
``assetCertificationSettings`` allow; the server dates it: ``appliedDate`` now, ``expiryDate``
after the settings' ``validityPeriod``, kept while the same tag stays.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from tessera.catalog import documents, labels
from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import CLASSIFICATION, GLOSSARY, GLOSSARY_TERM, TAG, Kind, by_type
from tessera.catalog.service import CatalogService
from tessera.errors import BadRequest, NotFound

Doc = dict[str, Any]
_DURATION = TypeAdapter(datetime.timedelta)
# OpenMetadata's words (CatalogExceptionMessage.disabledTag, mutuallyExclusiveLabels).
_DISABLED = "Tag label {} is disabled and can't be assigned to a data asset."
_EXCLUSIVE = "Tag labels {} and {} are mutually exclusive and can't be assigned together"


class LabelRules:
    def __init__(
        self,
        catalog: CatalogService,
        certification_settings: Callable[[], Mapping[str, Any]],
        *,
        clock: Callable[[], float],
    ) -> None:
        self._catalog = catalog
        self._certification_settings = certification_settings
        self._clock = clock

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None:
        if doc.get("deleted"):
            return
        lists = list(labels.label_lists(doc))
        certified = labels.certification_label(doc)
        if not any(found for _where, found in lists) and certified is None:
            return
        before = labels.carried(existing) if existing is not None else {}
        every = [label for _where, found in lists for label in found]
        if certified is not None:
            every.append(certified)
        names = _Names(self._catalog, every)
        for where, found in lists:
            found[:] = names.checked(where, found, before)
        if certified is not None:
            self._certify(doc, existing, names)

    def _certify(self, doc: Doc, existing: Doc | None, names: _Names) -> None:
        certification = doc["certification"]
        label = names.checked("certification", [certification["tagLabel"]], labels.carried(existing or {}))[0]
        if label.get("source") != labels.CLASSIFICATION:
            raise BadRequest("certification: the label must be a tag (source Classification)")
        settings = self._certification_settings()
        allowed = str(settings.get("allowedClassification") or "Certification")
        if fqns.split(label["tagFQN"])[0] != allowed:
            raise BadRequest(
                f"certification: {label['tagFQN']} is not a tag of the {allowed} classification, the one "
                "assetCertificationSettings.allowedClassification allows for certifications"
            )
        previous = (existing or {}).get("certification") or {}
        previous_label = previous.get("tagLabel") or {}
        if previous_label.get("tagFQN") == label["tagFQN"] and "appliedDate" in previous:
            applied, expiry = previous["appliedDate"], previous.get("expiryDate")
        else:
            applied = int(self._clock() * 1000)
            expiry = applied + _period_ms(settings.get("validityPeriod"))
        doc["certification"] = {"tagLabel": label, "appliedDate": applied, "expiryDate": expiry}


def _period_ms(period: Any) -> int:
    try:
        return int(_DURATION.validate_python(period or "P30D").total_seconds() * 1000)
    except ValidationError:
        raise BadRequest(
            f"assetCertificationSettings.validityPeriod {period!r} is not an ISO 8601 duration such as P30D"
        ) from None


class _Names:
    """The tags and terms a document's labels name, and their containers, looked up at once."""

    def __init__(self, catalog: CatalogService, every: list[Any]) -> None:
        self._catalog = catalog
        wanted: dict[str, set[str]] = {source: set() for source in labels.SOURCE_KIND}
        for label in every:
            if not isinstance(label, dict) or not isinstance(label.get("tagFQN"), str):
                raise BadRequest("A tag label needs a tagFQN")
            source = str(label.get("source") or labels.CLASSIFICATION)
            if source not in wanted:
                raise BadRequest(f"Tag label {label['tagFQN']}: source must be Classification or Glossary")
            label["tagFQN"] = _canonical(label["tagFQN"])
            wanted[source].add(label["tagFQN"])
        self.found: dict[str, dict[str, Doc]] = {
            source: catalog.get_many_by_name(by_type(labels.SOURCE_KIND[source]), sorted(names))
            for source, names in wanted.items()
        }
        # What holds each one (its parent tag or term, else its classification or glossary):
        # whether it is mutually exclusive, and (classifications) whether it is disabled.
        containers: dict[str, set[str]] = {kind: set() for kind in ("tag", "glossaryTerm", *_TOPS)}
        for source, docs in self.found.items():
            for doc in docs.values():
                for field, target in _holders(source):
                    ref = doc.get(field)
                    if isinstance(ref, dict) and ref.get("fullyQualifiedName"):
                        containers[target].add(str(ref["fullyQualifiedName"]))
        self.containers: dict[str, Doc] = {}
        for kind_type, names in containers.items():
            self.containers.update(catalog.get_many_by_name(by_type(kind_type), sorted(names)))

    def checked(self, where: str, found: list[Any], before: Mapping[str, str]) -> list[Doc]:
        out: list[Doc] = []
        seen: set[str] = set()
        holders: dict[str, str] = {}
        for label in found:
            tag_fqn = label["tagFQN"]
            if tag_fqn in seen:
                continue
            seen.add(tag_fqn)
            source = str(label.get("source") or labels.CLASSIFICATION)
            kind_type = labels.SOURCE_KIND[source]
            tag = self.found[source].get(tag_fqn)
            if tag is None:
                raise BadRequest(
                    f"Invalid tag label in {where}: {kind_type} instance for {tag_fqn} not found"
                )
            top = self._top(source, tag)
            if tag_fqn not in before:
                if tag.get("deleted"):
                    raise BadRequest(f"Tag label {tag_fqn} is deleted and can't be assigned to a data asset.")
                if tag.get("disabled") or (top or {}).get("disabled"):
                    raise BadRequest(
                        f"Tag label {tag_fqn} is disabled and can't be assigned to a data asset."
                    )
            normalized = {
                **label,
                "source": source,
                "name": tag["name"],
                "description": tag.get("description"),
            }
            for key in ("displayName", "style"):
                if tag.get(key) is not None:
                    normalized[key] = tag[key]
                else:
                    normalized.pop(key, None)
            if normalized["description"] is None:
                normalized.pop("description")
            holder = self._holder(source, tag)
            if holder is not None:
                other = holders.get(holder["fullyQualifiedName"])
                if other is not None and holder.get("mutuallyExclusive"):
                    raise BadRequest(_EXCLUSIVE.format(tag_fqn, other))
                holders[holder["fullyQualifiedName"]] = tag_fqn
            out.append(normalized)
        return out

    def _holder(self, source: str, tag: Doc) -> Doc | None:
        for field, _target in _holders(source):
            ref = tag.get(field)
            if isinstance(ref, dict) and ref.get("fullyQualifiedName") in self.containers:
                return self.containers[str(ref["fullyQualifiedName"])]
        return None

    def _top(self, source: str, tag: Doc) -> Doc | None:
        field, _target = _holders(source)[-1]
        ref = tag.get(field) or {}
        return self.containers.get(str(ref.get("fullyQualifiedName")))


_TOPS = ("classification", "glossary")


def _holders(source: str) -> tuple[tuple[str, str], ...]:
    """The fields of a tag (term) naming what holds it, nearest first."""
    if source == labels.CLASSIFICATION:
        return (("parent", "tag"), ("classification", "classification"))
    return (("parent", "glossaryTerm"), ("glossary", "glossary"))


def _canonical(tag_fqn: str) -> str:
    parts = fqns.split(tag_fqn)
    if len(parts) < 2:
        raise BadRequest(f"Invalid tag label {tag_fqn!r}: a tagFQN names a classification and a tag")
    return fqns.build(*parts)


class GlossaryRules:
    """Glossary terms: related terms named by FQN in the request, and the status a new term
    starts with (OpenMetadata 2.0: Approved when nobody reviews it, else Draft until reviewed)."""

    def __init__(self, catalog: CatalogService) -> None:
        self._catalog = catalog

    def before_store(
        self, kind: Kind, doc: Doc, existing: Doc | None, request: Mapping[str, Any] | None
    ) -> None:
        if kind.type != GLOSSARY_TERM.type or doc.get("deleted"):
            return
        if request is not None and request.get("relatedTerms") is not None:
            doc["relatedTerms"] = self._related(doc, request["relatedTerms"])
        elif request is None and existing is not None:
            # A PATCH names related terms by reference ({id, type}); stored as sent they would
            # lack the names the UI and clients show, and could name a term that does not exist.
            doc["relatedTerms"] = self._patched_relations(doc, existing)
        if existing is None and not doc.get("entityStatus"):
            doc["entityStatus"] = "Draft" if self._reviewed(doc) else "Approved"

    def _related(self, doc: Doc, names: Any) -> list[Doc]:
        if not isinstance(names, list):
            raise BadRequest("relatedTerms must be a list of glossary term FQNs")
        wanted = [_canonical(str(name)) for name in names]
        found = self._catalog.get_many_by_name(GLOSSARY_TERM, wanted)
        related: list[Doc] = []
        for name in dict.fromkeys(wanted):
            term = found.get(name)
            if term is None or term.get("deleted"):
                raise NotFound(f"relatedTerms: glossaryTerm instance for {name} not found")
            if name == doc.get("fullyQualifiedName"):
                raise BadRequest(f"relatedTerms: glossary term {name} cannot be related to itself")
            related.append({"term": documents.reference(term, "glossaryTerm"), "relationType": "relatedTo"})
        return related

    def _patched_relations(self, doc: Doc, existing: Doc) -> list[Doc]:
        """The TermRelations a PATCH leaves: the ones the term had stay as stored, each new one
        resolved to the live term's whole reference, as OpenMetadata populates them; a reference
        to no live glossary term is refused with OpenMetadata's words."""
        relations = doc.get("relatedTerms") or []
        stored = {
            (item.get("term") or {}).get("id"): item
            for item in existing.get("relatedTerms") or []
            if isinstance(item, dict)
        }
        resolved: list[Doc] = []
        seen: set[str] = set()
        for relation in relations:
            ref = relation.get("term") or {}
            term_id = str(ref.get("id"))
            if term_id in seen:
                continue
            seen.add(term_id)
            kept = stored.get(term_id)
            relation_type = relation.get("relationType") or "relatedTo"
            if kept is not None and (kept.get("relationType") or "relatedTo") == relation_type:
                resolved.append(kept)
                continue
            if ref.get("type") != GLOSSARY_TERM.type:
                raise BadRequest(f"relatedTerms: {term_id} is a {ref.get('type')}, not a glossaryTerm")
            if term_id == doc["id"]:
                raise BadRequest(
                    f"relatedTerms: glossary term {doc['fullyQualifiedName']} cannot be related to itself"
                )
            try:
                term = self._catalog.get(GLOSSARY_TERM, term_id)
            except NotFound:
                raise NotFound(f"relatedTerms: glossaryTerm instance for {term_id} not found") from None
            resolved.append(
                {
                    "term": documents.reference(term, GLOSSARY_TERM.type),
                    "relationType": relation_type,
                }
            )
        return resolved

    def _reviewed(self, doc: Doc) -> bool:
        """Reviewers of the term, or inherited from its parent terms or its glossary."""
        if doc.get("reviewers"):
            return True
        parent = doc.get("parent")
        if isinstance(parent, dict) and parent.get("fullyQualifiedName"):
            term = self._catalog.find_by_name(GLOSSARY_TERM, str(parent["fullyQualifiedName"]))
            if term is not None:
                return self._reviewed(term)
        glossary = doc.get("glossary")
        if isinstance(glossary, dict) and glossary.get("fullyQualifiedName"):
            found = self._catalog.find_by_name(GLOSSARY, str(glossary["fullyQualifiedName"]))
            return bool(found and found.get("reviewers"))
        return False


GOVERNANCE_KINDS = (CLASSIFICATION, TAG, GLOSSARY, GLOSSARY_TERM)
