"""Policies in OpenMetadata's own vocabulary: resource names as it writes them, its operations,
and conditions in its function language, with tag-based rules deciding on the labels entities
carry."""

from __future__ import annotations

from typing import Any

from tests.integration.catalog.helpers import SCHEMA, make_hierarchy
from tests.integration.security.conftest import Session

STRONG = "Str0ng!Passw0rd-for-tests"


def _rule(condition: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "r",
        "resources": ["Table"],
        "operations": ["ViewAll"],
        "effect": "deny",
        "condition": condition,
        **extra,
    }


def test_openmetadatas_vocabulary_is_accepted_and_the_rest_refused_by_name(session: Session) -> None:
    admin = session.as_(session.admin_token())
    accepted = session.client.put(
        "/api/v1/policies",
        json={
            "name": "OwnersOrUnowned",
            "rules": [
                {
                    "name": "edit",
                    "resources": ["Table", "databaseSchema"],
                    "operations": ["EditDescription", "EditLineage"],
                    "effect": "allow",
                    "condition": "noOwner() || isOwner()",
                }
            ],
        },
        headers=admin,
    )
    assert accepted.status_code == 201, accepted.text
    unknown = session.client.put(
        "/api/v1/policies", json={"name": "bad", "rules": [_rule("isAdmin()")]}, headers=admin
    )
    assert unknown.status_code == 400
    assert "unknown function 'isAdmin'" in unknown.json()["message"]
    spel = session.client.put(
        "/api/v1/policies",
        json={"name": "bad", "rules": [_rule("T(java.lang.Runtime).getRuntime()")]},
        headers=admin,
    )
    assert spel.status_code == 400
    nowhere = session.client.put(
        "/api/v1/policies",
        json={"name": "bad", "rules": [{**_rule("isOwner()"), "resources": ["Tables"]}]},
        headers=admin,
    )
    assert nowhere.status_code == 400
    assert "unknown resource 'Tables'" in nowhere.json()["message"]


def test_a_tag_based_deny_hides_sensitive_tables_from_all_but_their_owners(session: Session) -> None:
    admin_token = session.admin_token()
    admin = session.as_(admin_token)
    make_hierarchy(_AuthorizedClient(session.client, admin))
    policy = session.client.put(
        "/api/v1/policies",
        json={"name": "NoPII", "rules": [_rule("matchAnyTag('PII.Sensitive') && !isOwner()")]},
        headers=admin,
    ).json()
    role = session.client.put(
        "/api/v1/roles", json={"name": "Restricted", "policies": [policy["name"]]}, headers=admin
    ).json()
    consumer = session.client.get("/api/v1/roles/name/DataConsumer", headers=admin).json()
    eve = session.create_user(admin_token, "eve", password=STRONG, roles=[consumer["id"], role["id"]])
    as_eve = session.as_(session.token_for("eve", STRONG))
    pii = [
        {"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}
    ]
    columns = [{"name": "id", "dataType": "INT"}]
    for name, extra in (
        ("plain", {}),
        ("secret", {"tags": pii}),
        ("evesown", {"tags": pii, "owners": [{"id": eve["id"], "type": "user"}]}),
    ):
        created = session.client.put(
            "/api/v1/tables",
            json={"name": name, "databaseSchema": SCHEMA, "columns": columns, **extra},
            headers=admin,
        )
        assert created.status_code == 201, created.text
    assert session.client.get(f"/api/v1/tables/name/{SCHEMA}.plain", headers=as_eve).status_code == 200
    refused = session.client.get(f"/api/v1/tables/name/{SCHEMA}.secret", headers=as_eve)
    assert refused.status_code == 403, refused.text
    assert session.client.get(f"/api/v1/tables/name/{SCHEMA}.evesown", headers=as_eve).status_code == 200
    hits = session.client.get(
        "/api/v1/search/query?q=*&index=table_search_index&size=50", headers=as_eve
    ).json()
    names = {hit["_source"]["name"] for hit in hits["hits"]["hits"]}
    assert names == {"plain", "evesown"}


class _AuthorizedClient:
    """The TestClient with the admin's headers, for the catalog helpers that take a client."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self._client, self._headers = client, headers

    def put(self, url: str, **kwargs: Any) -> Any:
        return self._client.put(url, headers=self._headers, **kwargs)


def test_lists_leave_out_what_a_conditional_rule_hides(session: Session) -> None:
    test_a_tag_based_deny_hides_sensitive_tables_from_all_but_their_owners(session)
    as_eve = session.as_(session.token_for("eve", STRONG))
    listed = session.client.get("/api/v1/tables?limit=50", headers=as_eve).json()["data"]
    assert {table["name"] for table in listed} == {"plain", "evesown"}


def test_a_label_patched_on_later_is_a_real_label_the_rule_sees(session: Session) -> None:
    test_a_tag_based_deny_hides_sensitive_tables_from_all_but_their_owners(session)
    admin = session.as_(session.admin_token())
    as_eve = session.as_(session.token_for("eve", STRONG))
    plain = session.client.get(f"/api/v1/tables/name/{SCHEMA}.plain", headers=admin).json()
    pii = {"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}
    patched = session.client.patch(
        f"/api/v1/tables/{plain['id']}", json=[{"op": "add", "path": "/tags", "value": [pii]}], headers=admin
    )
    assert patched.status_code == 200, patched.text
    # The label was filled in from the built-in tag: it names a tag that exists.
    assert patched.json()["tags"][0]["name"] == "Sensitive"
    assert session.client.get(f"/api/v1/tables/{plain['id']}", headers=as_eve).status_code == 403


def test_a_condition_is_validated_before_the_policy_is_saved(session: Session) -> None:
    # OpenMetadata's GET /policies/validation/condition/{expression}: 204, or 400 with the reason.
    frank = session.create_user(session.admin_token(), "frank", password=STRONG)
    me = session.as_(session.token_for(frank["name"], STRONG))
    good = session.client.get(
        "/api/v1/policies/validation/condition/isOwner() && !matchAnyTag('PII.Sensitive', 'a/b')", headers=me
    )
    assert good.status_code == 204, good.text
    assert good.content == b""
    bad = session.client.get("/api/v1/policies/validation/condition/isOwnr()", headers=me)
    assert bad.status_code == 400
    assert "isOwnr" in bad.json()["message"]
    spel = session.client.get("/api/v1/policies/validation/condition/T(java.lang.Runtime)", headers=me)
    assert spel.status_code == 400
    assert session.client.get("/api/v1/policies/validation/condition/isOwner()").status_code == 401
