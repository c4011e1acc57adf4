"""The classifications and tags OpenMetadata creates at its first start, created at tessera's.

Names, descriptions, styles and mutual exclusion are OpenMetadata's own seed data
(``openmetadata-service/src/main/resources/json/data/tags``: ``tierTags.json``, ``piiTags.json``,
``personalDataTags.json``, ``certification.json``): clients and policies name these tags
(``Tier.Tier1``, ``PII.Sensitive``) and expect them to exist. Each is created once; what an
administrator changes or deletes afterwards stays as they left it.
"""

from __future__ import annotations

from typing import Any

from tessera.catalog import fqn as fqns
from tessera.catalog.kinds import CLASSIFICATION, TAG
from tessera.catalog.service import Actor, CatalogService

SYSTEM_ACTOR = Actor(name="tessera", is_bot=True)

_TIER = (
    "Tags related to tiering of the data. Tiers capture the business importance of data. When a data "
    "asset is tagged with `Tier` tag, all the upstream data assets used for producing it will also be "
    "labeled with the same tag. This will help upstream data asset owners to understand the critical "
    "purposes their data is being used."
)
_TIERS = {
    "Tier1": "**Critical Source of Truth business data assets of an organization**\n\n"
    "- Used in critical metrics and dashboards to drive business and product decisions\n\n"
    "- Used in critical compliance reporting to regulators, govt entities, and third party\n\n"
    "- Used in brand or revenue impacting online user-facing experiences (search results, "
    "advertisement, promotions, and experimentation)\n\n"
    "- Other high impact use, such as ML models and fraud detection\n\n"
    "- Source used to derive other critical Tier-1 datasets",
    "Tier2": "**Important business datasets for your company (not as critical as Tier 1)**\n\n"
    "- Used in important business metrics, product metrics, and dashboards to drive internal decisions\n\n"
    "- Used in important compliance reporting to major regulators, govt entities, and third party\n\n"
    "- Used for less critical online user-facing experiences (user activity, user behavior)\n\n"
    "- Source used to derive other critical Tier-2 datasets",
    "Tier3": "**Department/group level datasets that are typically non-business and general internal "
    "system**\n\n"
    "- Used in product metrics, and dashboards to drive product decisions\n\n"
    "- Used to track operational metrics of internal systems\n\n"
    "- Source used to derive other critical Tier-3 datasets",
    "Tier4": "**Team level datasets that are typically non-business and general internal system**\n\n"
    "- Used in product metrics, and dashboards to drive team decisions\n\n"
    "- Used to track operational metrics of internal systems owned by the team\n\n"
    "- Source used to derive other critical Tier-4 datasets",
    "Tier5": "**Private/Unused data assets - No impact beyond individual users**\n\n"
    "- Data assets without any ownership with no usage in the last 60 days\n\n"
    "- Data assets owned by individuals without team ownership\n\n",
}
_LEGAL = (
    "<br/><br/>_Note to Legal - This tag category is provided as a starting point. Please review and "
    "update the tags based on your company policy. Also, add a reference to your {} policy document "
    "in this description._"
)

CLASSIFICATIONS: list[dict[str, Any]] = [
    {
        "name": "Tier",
        "description": _TIER,
        "tags": [{"name": name, "description": text} for name, text in _TIERS.items()],
    },
    {
        "name": "PII",
        "description": "Personally Identifiable Information information that, when used alone or with other "
        "relevant data, can identify an individual." + _LEGAL.format("PII"),
        "tags": [
            {"name": "None", "description": "Non PII"},
            {
                "name": "NonSensitive",
                "description": "PII which is easily accessible from public sources and can include zip code, "
                "race, gender, and date of birth.",
            },
            {
                "name": "Sensitive",
                "description": "PII which if lost, compromised, or disclosed without authorization, could "
                "result in substantial harm, embarrassment, inconvenience, or unfairness to an individual.",
            },
        ],
    },
    {
        "name": "PersonalData",
        "description": "Tags related classifying **Personal data** as defined by **GDPR.**"
        + _LEGAL.format("GDPR"),
        "tags": [
            {
                "name": "Personal",
                "description": "Data that can be used to directly or indirectly identify a person.",
            },
            {
                "name": "SpecialCategory",
                "description": "GDPR special category data is personal information of data subjects that is "
                "especially sensitive, the exposure of which could significantly impact the rights and "
                "freedoms of data subjects and potentially be used against them for unlawful discrimination.",
            },
        ],
    },
    {
        "name": "Certification",
        "description": "Certifying Data Asset will provide the users with a clear idea of how reliable a "
        "Data Asset is.",
        "tags": [
            {"name": "Bronze", "description": "Bronze certified Data Asset.", "style": {"color": "#CD7F32"}},
            {"name": "Silver", "description": "Silver certified Data Asset.", "style": {"color": "#C0C0C0"}},
            {"name": "Gold", "description": "Gold certified Data Asset.", "style": {"color": "#FFD700"}},
        ],
    },
]


def install(catalog: CatalogService) -> None:
    """Create the built-in classifications and tags that do not exist yet (soft-deleted ones
    count as existing: an administrator deleted them, and may restore them)."""
    names = [fqns.quote(c["name"]) for c in CLASSIFICATIONS]
    tag_names = [fqns.build(c["name"], t["name"]) for c in CLASSIFICATIONS for t in c["tags"]]
    have = set(catalog.get_many_by_name(CLASSIFICATION, names)) | set(
        catalog.get_many_by_name(TAG, tag_names)
    )
    for classification in CLASSIFICATIONS:
        if fqns.quote(classification["name"]) not in have:
            request = {
                "name": classification["name"],
                "description": classification["description"],
                "provider": "system",
                "mutuallyExclusive": True,
            }
            catalog.create_or_update(CLASSIFICATION, request, SYSTEM_ACTOR)
        for tag in classification["tags"]:
            if fqns.build(classification["name"], tag["name"]) not in have:
                request = {**tag, "classification": classification["name"], "provider": "system"}
                catalog.create_or_update(TAG, request, SYSTEM_ACTOR)
