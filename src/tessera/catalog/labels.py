"""Tag labels as OpenMetadata's ``tagLabel.json`` defines them, wherever a document carries them.

A label names a tag (``source: Classification``, ``tagFQN`` ``Classification.Tag`` or
``Classification.Parent.Child``) or a glossary term (``source: Glossary``, ``Glossary.Term``).
Entities carry them in ``tags``, a table's columns (nested ones too) in their own ``tags``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.catalog import fqn as fqns

Doc = dict[str, Any]
CLASSIFICATION = "Classification"
GLOSSARY = "Glossary"
TIER = "Tier"
# The kind a label's source names, and the kind that contains that kind's top level.
SOURCE_KIND = {CLASSIFICATION: "tag", GLOSSARY: "glossaryTerm"}
CONTAINER_KIND = {CLASSIFICATION: "classification", GLOSSARY: "glossary"}


def label_lists(doc: Mapping[str, Any]) -> list[tuple[str, list[Doc]]]:
    """Every list of labels in a document, with where it is (``tags``, ``columns.<fqn>``)."""
    found: list[tuple[str, list[Doc]]] = []
    tags = doc.get("tags")
    if isinstance(tags, list):
        found.append(("tags", tags))
    columns = doc.get("columns")
    if columns:
        # A list filled by plain recursion, not nested generators: every write of a table walks
        # its columns here (tag rules, tag usage, search words), most of them with no labels.
        _column_lists(columns, found)
    return found


def _column_lists(columns: Any, found: list[tuple[str, list[Doc]]]) -> None:
    if not isinstance(columns, list):
        return
    for column in columns:
        if not isinstance(column, dict):
            continue
        tags = column.get("tags")
        if isinstance(tags, list):
            where = column.get("fullyQualifiedName") or column.get("name")
            found.append((f"columns.{where}.tags", tags))
        children = column.get("children")
        if children:
            _column_lists(children, found)


def carried(doc: Mapping[str, Any]) -> dict[str, str]:
    """The tags and terms a document carries anywhere, FQN -> source."""
    found: dict[str, str] = {}
    for _where, labels in label_lists(doc):
        for label in labels:
            if isinstance(label, dict) and isinstance(label.get("tagFQN"), str):
                found.setdefault(label["tagFQN"], str(label.get("source") or CLASSIFICATION))
    certified = certification_label(doc)
    if certified is not None:
        found.setdefault(str(certified["tagFQN"]), CLASSIFICATION)
    return found


def certification_label(doc: Mapping[str, Any]) -> Doc | None:
    certification = doc.get("certification")
    if isinstance(certification, dict) and isinstance(certification.get("tagLabel"), dict):
        label: Doc = certification["tagLabel"]
        return label
    return None


def tier(doc: Mapping[str, Any]) -> Doc | None:
    """The entity's Tier label (OpenMetadata keeps it in ``tags``; search documents show it as
    ``tier``)."""
    for label in doc.get("tags") or []:
        if isinstance(label, dict) and str(label.get("tagFQN", "")).startswith(TIER + "."):
            return label
    return None


def container_fqn(tag_fqn: str) -> str:
    """What holds a tag: its classification or its parent tag (glossary, parent term)."""
    parent = fqns.parent(tag_fqn)
    if parent is None:
        raise ValueError(tag_fqn)
    return parent


def renamed(value: str, old: str, new: str) -> str | None:
    """``value`` with the FQN prefix ``old`` replaced by ``new``; None when it is not under it."""
    if value == old:
        return new
    if value.startswith(old + "."):
        return new + value[len(old) :]
    return None


def words(doc: Mapping[str, Any]) -> str:
    """The labels as search words: a tag's FQN finds the entities that carry it."""
    return " ".join(carried(doc))
