"""The catalog as people work in it (basic authentication, one server for the module): a table's
description (Markdown, rendered safely), owners (inherited ones marked), tier, tags and glossary
terms edited in place, on the table and on a column, each a JSON Patch with If-Match; a conflict
and a refusal explained; the lineage graph, sample data (masked), profile chart and queries tabs;
glossary and classification pages (read for everyone, add for administrators); the keyboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, Api, Ui, unique
from tests.browser.firefox import Firefox
from tests.browser.test_admin_ui import USER_PASSWORD, login
from tests.integration.servers import tessera_server

pytestmark = pytest.mark.browser

ROOT_PASSWORD = "Str0ng!Root-passw0rd"
ORDERS = "shop.main.main.orders"
TOTALS = "shop.main.main.order_totals"
DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01


@dataclass
class Site:
    base: str
    api: Api
    ids: dict[str, str]


def sign_in(ui: Ui, site: Site, name: str = "root", password: str = ROOT_PASSWORD, path: str = "/") -> None:
    ui.goto(f"{site.base}{path}")
    ui.page.fill("#email", name)
    ui.page.fill("#password", password)
    ui.page.click("#sign-in")
    ui.page.wait_for_function("() => !location.pathname.startsWith('/signin')")
    ui.settled()
    ui.page.wait_for_selector("#main .page")


def shot(locator: Any, name: str) -> None:
    """A small screenshot of one part of the page, for docs/ui.md (copied from artifacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"docs-{name}.png"))


def label(fqn: str, source: str = "Classification") -> dict[str, str]:
    return {"tagFQN": fqn, "source": source, "labelType": "Manual", "state": "Confirmed"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("catalog-ui")
    with tessera_server(
        home, f"sqlite:///{home / 'tessera.db'}", env={"AUTHENTICATION_PROVIDER": "basic"}
    ) as base:
        api = Api(base, login(base, "admin", (home / "initial-admin-password").read_text().strip()))
        ids = {}
        for name, admin in (("root", True), ("frank", False), ("alice", False), ("dora", False)):
            password = ROOT_PASSWORD if admin else USER_PASSWORD
            user = api.ok(
                "PUT",
                "/api/v1/users",
                json={"name": name, "email": f"{name}@example.com", "password": password, "isAdmin": admin},
            )
            ids[name] = user["id"]
        api.token = login(base, "root", ROOT_PASSWORD)
        seed(api, ids)
        yield Site(base, api, ids)
        api.close()


def seed(api: Api, ids: dict[str, str]) -> None:
    """orders (a PII.Sensitive column, sample data, a profile, a query) feeding order_totals,
    both in a schema alice owns; a glossary with a term."""
    api.ok("PUT", "/api/v1/services/databaseServices", json={"name": "shop", "serviceType": "SQLite"})
    api.ok("PUT", "/api/v1/databases", json={"name": "main", "service": "shop"})
    api.ok(
        "PUT",
        "/api/v1/databaseSchemas",
        json={"name": "main", "database": "shop.main", "owners": [{"id": ids["alice"], "type": "user"}]},
    )
    orders = api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": "orders",
            "databaseSchema": "shop.main.main",
            "description": "Every order.",
            "columns": [
                {"name": "id", "dataType": "INT"},
                {"name": "email", "dataType": "VARCHAR", "dataLength": 64, "tags": [label("PII.Sensitive")]},
                {"name": "amount", "dataType": "DECIMAL"},
            ],
        },
    )
    totals = api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": "order_totals",
            "databaseSchema": "shop.main.main",
            "columns": [{"name": "email", "dataType": "VARCHAR"}, {"name": "total", "dataType": "DECIMAL"}],
        },
    )
    edge = api.call(
        "PUT",
        "/api/v1/lineage",
        json={
            "edge": {
                "fromEntity": {"id": orders["id"], "type": "table"},
                "toEntity": {"id": totals["id"], "type": "table"},
                "lineageDetails": {
                    "columnsLineage": [{"fromColumns": [f"{ORDERS}.amount"], "toColumn": f"{TOTALS}.total"}]
                },
            }
        },
    )
    assert edge.status_code == 200, edge.text
    api.ok(
        "PUT",
        f"/api/v1/tables/{orders['id']}/sampleData",
        json={
            "columns": ["id", "email", "amount"],
            "rows": [[1, "ann@example.com", 9.5], [2, "bob@example.com", 20]],
        },
    )
    for i, rows in enumerate((100, 140, 210)):
        api.ok(
            "PUT",
            f"/api/v1/tables/{orders['id']}/tableProfile",
            json={
                "tableProfile": {"timestamp": T0 + i * DAY, "rowCount": rows, "columnCount": 3},
                "columnProfile": [
                    {"name": "amount", "timestamp": T0 + i * DAY, "min": 1, "max": 99, "nullCount": 0}
                ],
            },
        )
    query = api.ok(
        "PUT",
        "/api/v1/queries",
        json={"name": "big_orders", "query": "SELECT * FROM orders WHERE amount > 10", "service": "shop"},
    )
    api.ok("PUT", f"/api/v1/queries/{query['id']}/usage", json=[{"id": orders["id"], "type": "table"}])
    api.ok("PUT", "/api/v1/glossaries", json={"name": "Business", "description": "Words we use"})
    api.ok(
        "PUT",
        "/api/v1/glossaryTerms",
        json={"name": "Revenue", "glossary": "Business", "description": "Money *in*", "synonyms": ["Income"]},
    )


def table(site: Site, fqn: str = ORDERS) -> dict[str, Any]:
    result: dict[str, Any] = site.api.ok("GET", f"/api/v1/tables/name/{fqn}", params={"fields": "*"})
    return result


def patches(ui: Ui) -> list[Any]:
    return [r for r in ui.requests if r.method == "PATCH"]


def test_table_is_edited_where_it_is_read(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path=f"/tables/{ORDERS}")
    page.wait_for_selector("#tier option[value='Tier.Tier2']", state="attached")
    page.wait_for_selector("#certification option[value='Certification.Gold']", state="attached")
    # The page costs the same calls whatever the table holds: the table, its versions, what the
    # person may change, the tiers, the certifications (and the setting that names them).
    calls = [r.url.split("/api/v1/")[1].split("?")[0] for r in ui.requests if "/api/v1/" in r.url]
    assert sorted(c for c in calls if not c.startswith("users/") and c != "system/config/auth") == sorted(
        [
            f"tables/name/{ORDERS}",
            f"tables/{table(site)['id']}/versions",
            f"permissions/table/{table(site)['id']}",
            "tags",
            "system/settings/assetCertificationSettings",
            "tags",
        ]
    )
    # alice owns the schema: the table inherits her, marked and not removable here.
    assert "alice (user)" in page.inner_text("#owners-list")
    assert page.locator("#owners-list .badge.inherited").inner_text() == "inherited"
    version = table(site)["version"]

    # Description: Markdown rendered as elements; raw HTML stays text, a javascript: link is no link.
    page.click("#table-description-edit")
    page.fill(
        "#table-description-input",
        "Orders, **one row each**. <b>raw</b> [bad](javascript:alert(1)) [docs](https://example.com)",
    )
    page.click("#table-description-save")
    page.wait_for_selector("#table-description-text strong")
    text = page.locator("#table-description-text")
    assert text.locator("strong").inner_text() == "one row each"
    assert "<b>raw</b>" in text.inner_text()
    assert text.locator("b").count() == 0
    assert [a.get_attribute("href") for a in text.locator("a").all()] == ["https://example.com/"]
    sent = patches(ui)[-1]
    assert sent.headers["if-match"] == f'W/"{version}"'
    assert sent.headers["content-type"] == "application/json-patch+json"
    assert json.loads(sent.post_data)[0]["path"] == "/description"
    # Focus returns to the control that was used.
    assert page.evaluate("document.activeElement.id") == "table-description-edit"

    # Owners: the inherited one cannot be unticked here; adding frank makes the table's own owner,
    # which replaces the inherited one (as in OpenMetadata).
    page.click("#owners-edit")
    assert "alice (user): inherited" in page.inner_text("#owners form")
    assert page.locator("#owners form input[type=checkbox]").count() == 0
    # Typing offers names from the search API.
    page.locator("#owner-name").press_sequentially("fra")
    page.wait_for_selector("#owners datalist option[value=frank]", state="attached")
    page.fill("#owner-name", "frank")
    page.click("#owners-save")
    page.wait_for_selector("#owners-list >> text=frank (user)")
    owners = [(o["name"], bool(o.get("inherited"))) for o in table(site)["owners"]]
    assert owners == [("frank", False)]

    # Tier, then a tag and a glossary term on the table.
    before = page.inner_text("#table-version")
    page.wait_for_selector("#tier option[value='Tier.Tier2']", state="attached")
    page.select_option("#tier", "Tier.Tier2")
    page.wait_for_function(f"() => document.querySelector('#table-version').textContent !== '{before}'")
    page.click("#table-tags-edit")
    page.locator("#entity-add-tag").press_sequentially("Person")
    page.wait_for_selector("#table-tags datalist option[value='PersonalData.Personal']", state="attached")
    page.fill("#entity-add-tag", "PersonalData.Personal")
    page.fill("#entity-add-term", "Business.Revenue")
    page.click("#table-tags-save")
    page.wait_for_selector("#tags .badge.term")
    tags = {(t["tagFQN"], t["source"]) for t in table(site)["tags"]}
    assert tags == {
        ("Tier.Tier2", "Classification"),
        ("PersonalData.Personal", "Classification"),
        ("Business.Revenue", "Glossary"),
    }

    # A column: description and a term, in one dialog and one patch.
    page.click("#column-edit-2")
    page.fill("#column-description", "What was paid, in _euros_")
    page.fill("#column-add-term", "Business.Revenue")
    page.click("#column-save")
    page.wait_for_selector("tr[data-column=amount] .column-description em")
    amount = table(site)["columns"][2]
    assert amount["description"] == "What was paid, in _euros_"
    assert [t["tagFQN"] for t in amount["tags"]] == ["Business.Revenue"]
    # Every edit went as a patch of the version on screen: none was refused.
    assert len(patches(ui)) == 5
    assert all(r.headers.get("if-match", "").startswith('W/"') for r in patches(ui))
    # A tag that does not exist is named, not sent.
    ui.console.expect_http(404)
    page.click("#column-edit-0")
    page.fill("#column-add-tag", "PII.Secret")
    page.click("#column-save")
    assert "There is no tag PII.Secret." in page.inner_text(".dialog [role=alert]")
    shot(page.locator(".dialog"), "column-dialog")
    # Escape closes the dialog and gives focus back to the row's Edit button.
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"
    page.keyboard.press("Escape")
    page.wait_for_selector(".dialog", state="detached")
    assert page.evaluate("document.activeElement.id") == "column-edit-0"
    assert len(patches(ui)) == 5
    shot(page.locator("#main .page"), "table")


def test_certify_follow_and_vote_on_a_table(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path=f"/tables/{TOTALS}")
    # Certification: a tag of the Certification classification, dated by the server.
    page.wait_for_selector("#certification option[value='Certification.Gold']", state="attached")
    page.select_option("#certification", "Certification.Gold")
    page.wait_for_selector("#certification-cell .muted >> text=until")
    assert page.evaluate("document.activeElement.id") == "certification"
    certified = table(site, TOTALS)["certification"]
    assert certified["tagLabel"]["tagFQN"] == "Certification.Gold"
    assert certified["expiryDate"] > certified["appliedDate"] > 0
    # Follow, then vote up: toggle buttons that say whether they are on; no new version.
    version = table(site, TOTALS)["version"]
    page.click("#follow")
    page.wait_for_selector("#follow[aria-pressed=true]")
    assert page.inner_text("#followers-count") == "1 follower"
    assert page.evaluate("document.activeElement.id") == "follow"
    page.click("#vote-up")
    page.wait_for_selector("#vote-up[aria-pressed=true]")
    assert page.inner_text("#votes-count") == "1 up vote, 0 down votes"
    saved = table(site, TOTALS)
    assert [f["name"] for f in saved["followers"]] == ["root"]
    assert saved["votes"]["upVotes"] == 1
    assert saved["version"] == version
    shot(page.locator("#main .page"), "table-social")
    page.click("#follow")
    page.wait_for_selector("#follow[aria-pressed=false]")
    assert table(site, TOTALS)["followers"] == []
    # frank may follow and vote, but not certify (EditAll): he reads the certification.
    ui.context.clear_cookies()
    page.evaluate("sessionStorage.clear()")
    sign_in(ui, site, "frank", USER_PASSWORD, path=f"/tables/{TOTALS}")
    assert page.inner_text("#certification").startswith("Gold until")
    assert page.locator("#follow").count() == 1


def test_explore_hits_render_their_description_as_markdown(ui: Ui, site: Site) -> None:
    name = unique("explore_me")
    site.api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": name,
            "databaseSchema": "shop.main.main",
            "description": "Found **here**",
            "owners": [{"id": site.ids["dora"], "type": "user"}],
            "tags": [label("Tier.Tier1"), label("Business.Revenue", "Glossary")],
            "columns": [{"name": "id", "dataType": "INT"}],
        },
    )
    page = ui.page
    sign_in(ui, site, path=f"/explore?q={name}")
    hit = page.locator("#results .result").first
    assert hit.locator(".result-description strong").inner_text() == "here"
    # Hits carry owners, tier and tags, as OpenMetadata's table index does, and Explore shows them.
    source = site.api.ok("GET", "/api/v1/search/query", params={"q": name})["hits"]["hits"][0]["_source"]
    assert [o["name"] for o in source["owners"]] == ["dora"]
    assert source["tier"]["tagFQN"] == "Tier.Tier1"
    assert hit.locator(".result-facts").count() == 1
    facts = hit.locator(".result-facts").inner_text()
    assert "dora" in facts
    assert "Tier1" in facts


def seed_facets(site: Site, word: str, east: str, west: str) -> None:
    """Four tables in two services, all described with `word`: three in one service (Tier1 and
    dora's, Tier1 and PII, Tier2), one in another (Tier1, frank's)."""
    for service, tables in (
        (
            east,
            (
                ("a", "Tier.Tier1", "dora", None),
                ("b", "Tier.Tier1", None, "PII.Sensitive"),
                ("c", "Tier.Tier2", None, None),
            ),
        ),
        (west, (("d", "Tier.Tier1", "frank", None),)),
    ):
        site.api.ok(
            "PUT", "/api/v1/services/databaseServices", json={"name": service, "serviceType": "SQLite"}
        )
        site.api.ok("PUT", "/api/v1/databases", json={"name": "db", "service": service})
        site.api.ok("PUT", "/api/v1/databaseSchemas", json={"name": "s", "database": f"{service}.db"})
        for name, tier, owner, tag in tables:
            site.api.ok(
                "PUT",
                "/api/v1/tables",
                json={
                    "name": name,
                    "databaseSchema": f"{service}.db.s",
                    "description": f"Part of {word}.",
                    "owners": [{"id": site.ids[owner], "type": "user"}] if owner else [],
                    "tags": [label(tier), *([label(tag)] if tag else [])],
                    "columns": [{"name": "id", "dataType": "INT"}],
                },
            )


def facet_counts(ui: Ui, key: str) -> dict[str, str]:
    values = ui.page.locator(f"#facet-{key} .facet-value").all()
    # Each count reads "<n> results" to a screen reader; "results" is hidden on screen.
    return {
        v.locator("input").get_attribute("value") or "": v.locator(".facet-count").inner_text().split()[0]
        for v in values
    }


def test_explore_facets_count_filter_and_are_removed(ui: Ui, site: Site) -> None:
    word, east, west = unique("facet"), unique("east"), unique("west")
    seed_facets(site, word, east, west)
    page = ui.page
    sign_in(ui, site, path=f"/explore?q={word}")
    assert page.inner_text("#result-count").startswith("4 results")
    # Each facet's values with their counts, from the server's aggregations.
    assert facet_counts(ui, "service") == {east: "3", west: "1"}
    assert facet_counts(ui, "tier") == {"Tier.Tier1": "3", "Tier.Tier2": "1"}
    assert facet_counts(ui, "owner") == {"dora": "1", "frank": "1"}
    assert facet_counts(ui, "tag") == {"PII.Sensitive": "1"}  # Tier labels have their own facet
    assert facet_counts(ui, "type") == {"table": "4"}
    assert page.inner_text("#facet-type .facet-name") == "Table"
    # Ticking a value filters and counts again; the other values of its facet keep their counts.
    ui.requests.clear()
    page.check("#facet-tier input[value='Tier.Tier1']")
    ui.at(f"{site.base}/explore?q={word}&tier=Tier.Tier1")
    assert page.inner_text("#result-count").startswith("3 results")
    assert facet_counts(ui, "service") == {east: "2", west: "1"}
    assert facet_counts(ui, "tier") == {"Tier.Tier1": "3", "Tier.Tier2": "1"}
    searches = [r for r in ui.requests if "/api/v1/search/query" in r.url]
    assert len(searches) == 2  # the hits with every facet's counts, and the tier facet's own
    # The keyboard stays on the checkbox it used; Space ticks the next facet's value.
    assert page.evaluate("document.activeElement.value") == "Tier.Tier1"
    page.focus(f"#facet-service input[value='{west}']")
    page.keyboard.press("Space")
    ui.at(f"{site.base}/explore?q={word}&service={west}&tier=Tier.Tier1")
    assert page.locator("#results .result-title").all_inner_texts() == ["d"]
    assert page.evaluate("document.activeElement.value") == west
    chips = [chip.get_attribute("aria-label") for chip in page.locator("#selected-facets .chip").all()]
    assert chips == [f"Remove filter Service: {west}", "Remove filter Tier: Tier1"]
    shot(page.locator("#main .page"), "explore")
    # Each value in use is removed with its chip, or all at once.
    page.click(f"#selected-facets button[aria-label='Remove filter Service: {west}']")
    ui.at(f"{site.base}/explore?q={word}&tier=Tier.Tier1")
    assert page.inner_text("#result-count").startswith("3 results")
    page.check("#facet-owner input[value=dora]")
    ui.at(f"{site.base}/explore?q={word}&owner=dora&tier=Tier.Tier1")
    assert page.locator("#results .result-title").all_inner_texts() == ["a"]
    page.click("#clear-facets")
    ui.at(f"{site.base}/explore?q={word}")
    assert page.inner_text("#result-count").startswith("4 results")
    assert page.locator("#selected-facets").count() == 0


def test_a_facet_shows_more_values_on_request(ui: Ui, site: Site) -> None:
    word = unique("many")
    services = sorted(unique(f"svc{i}") for i in range(10))
    for service in services:
        site.api.ok(
            "PUT", "/api/v1/services/databaseServices", json={"name": service, "serviceType": "SQLite"}
        )
        site.api.ok("PUT", "/api/v1/databases", json={"name": "db", "service": service})
        site.api.ok("PUT", "/api/v1/databaseSchemas", json={"name": "s", "database": f"{service}.db"})
        site.api.ok(
            "PUT",
            "/api/v1/tables",
            json={
                "name": "t",
                "databaseSchema": f"{service}.db.s",
                "description": f"Part of {word}.",
                "columns": [{"name": "id", "dataType": "INT"}],
            },
        )
    page = ui.page
    sign_in(ui, site, path=f"/explore?q={word}")
    # Eight values at first (the most frequent, then by name), and how many hits the rest hold.
    assert list(facet_counts(ui, "service")) == services[:8]
    assert page.inner_text("#facet-service .facet-more") == "2 more in other values"
    page.click("#facet-service-more")
    page.wait_for_selector(f"#facet-service input[value='{services[9]}']")
    assert list(facet_counts(ui, "service")) == services
    # The keyboard lands on the first value that was not listed before.
    assert page.evaluate("document.activeElement.value") == services[8]
    page.keyboard.press("Space")
    ui.at(f"{site.base}/explore?q={word}&service={services[8]}")
    assert page.inner_text("#result-count").startswith("1 result")


def test_a_conflict_is_explained_and_nothing_is_overwritten(ui: Ui, site: Site) -> None:
    ui.console.expect_http(412)
    page = ui.page
    sign_in(ui, site, path=f"/tables/{TOTALS}")
    current = table(site, TOTALS)
    site.api.ok(
        "PATCH",
        f"/api/v1/tables/{current['id']}",
        json=[{"op": "add", "path": "/description", "value": "Theirs"}],
    )
    page.click("#table-description-edit")
    page.fill("#table-description-input", "Mine")
    page.click("#table-description-save")
    alert = page.locator("#table-description [role=alert]")
    alert.wait_for()
    assert "Someone changed this table since you opened it: reload." in alert.inner_text()
    assert table(site, TOTALS)["description"] == "Theirs"
    page.click("#table-description button.reload")
    ui.settled()
    assert page.inner_text("#table-description-text") == "Theirs"


def test_controls_are_shown_to_those_the_server_would_let_change(ui: Ui, site: Site) -> None:
    page = ui.page
    # frank is a data consumer: descriptions and tags, not the owners of alice's table nor its
    # columns (EditAll), as GET /api/v1/permissions answers.
    sign_in(ui, site, "frank", USER_PASSWORD, path=f"/tables/{TOTALS}")
    assert page.locator("#table-description-edit").count() == 1
    assert page.locator("#table-tags-edit").count() == 1
    assert page.locator("#owners-edit").count() == 0
    assert page.locator(".column-edit").count() == 0
    page.wait_for_selector("#tier option[value='Tier.Tier2']", state="attached")


def test_a_refused_edit_shows_the_servers_reason(ui: Ui, site: Site) -> None:
    ui.console.expect_http(403)
    # A table nobody owns: anyone may claim it (OrganizationPolicy's noOwner() rule).
    api = site.api
    api.ok("PUT", "/api/v1/databaseSchemas", json={"name": "free", "database": "shop.main"})
    name = unique("unowned")
    unowned = api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": name,
            "databaseSchema": "shop.main.free",
            "columns": [{"name": "id", "dataType": "INT"}],
        },
    )
    page = ui.page
    sign_in(ui, site, "frank", USER_PASSWORD, path=f"/tables/shop.main.free.{name}")
    page.click("#owners-edit")
    # Meanwhile dora becomes its owner: frank's claim is refused, in the server's words.
    api.ok(
        "PATCH",
        f"/api/v1/tables/{unowned['id']}",
        json=[{"op": "add", "path": "/owners", "value": [{"id": site.ids["dora"], "type": "user"}]}],
    )
    page.fill("#owner-name", "frank")
    page.click("#owners-save")
    alert = page.locator("#owners [role=alert]")
    alert.wait_for()
    assert alert.inner_text() == (
        "403 Forbidden. You need the EditOwners permission on tables (from a role or policy), "
        "or to be an administrator; frank@example.com has neither"
    )
    # Focus is on the refusal, which is announced.
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"


def test_lineage_graph_depths_columns_and_navigation(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path=f"/tables/{ORDERS}?tab=lineage")
    page.wait_for_selector("#tab-panel[data-loaded=lineage]")
    assert page.get_attribute("#tab-lineage", "aria-selected") == "true"
    nodes = page.locator("#lineage-graph .node")
    assert {n.get_attribute("data-fqn") for n in nodes.all()} == {ORDERS, TOTALS}
    # dagre placed them left to right: upstream first.
    boxes = {n.get_attribute("data-fqn"): n.bounding_box() for n in nodes.all()}
    assert boxes[ORDERS]["x"] < boxes[TOTALS]["x"]  # type: ignore[index]
    # The edge's column lineage, on focus (the keyboard) as on hover.
    page.focus("#lineage-graph .edge")
    assert "orders.amount → order_totals.total" in page.inner_text("#lineage-columns")
    assert page.locator("#lineage-graph .edge.active").count() == 1
    # Tracing a column highlights the edges its data flows through: amount feeds total, id nothing.
    page.select_option("#lineage-column", f"{ORDERS}.id")
    assert page.locator("#lineage-graph .edge.active").count() == 0
    page.select_option("#lineage-column", f"{ORDERS}.amount")
    assert page.locator("#lineage-graph .edge.active").count() == 1
    assert "orders.amount → order_totals.total" in page.inner_text("#lineage-columns")
    shot(page.locator("#tab-panel"), "lineage")
    # No downstream: no graph.
    page.select_option("#lineage-down", "0")
    page.wait_for_selector("#lineage-empty")
    page.select_option("#lineage-down", "2")
    page.wait_for_selector("#lineage-graph")
    # Enter on a node opens its table.
    page.focus(f"#lineage-graph .node[data-fqn='{TOTALS}']")
    page.keyboard.press("Enter")
    ui.at(f"{site.base}/tables/{TOTALS}")
    # Arrow keys move between tabs.
    page.focus("#tab-columns")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#tab-panel[data-loaded=lineage]")
    assert page.evaluate("document.activeElement.id") == "tab-lineage"
    assert page.url.endswith("?tab=lineage")
    # A click on a node opens its table too.
    page.click(f"#lineage-graph .node[data-fqn='{ORDERS}']")
    ui.at(f"{site.base}/tables/{ORDERS}")


def test_sample_data_is_masked_for_those_who_may_not_see_it(ui: Ui, site: Site) -> None:
    page = ui.page
    # dora neither owns the table nor administers anything.
    sign_in(ui, site, "dora", USER_PASSWORD, path=f"/tables/{ORDERS}?tab=sample")
    page.wait_for_selector("#tab-panel[data-loaded=sample]")
    cells = page.locator("#sample-data tbody tr").first.locator("td")
    assert cells.nth(0).inner_text() == "1"
    assert cells.nth(1).locator(".badge.masked").inner_text() == "masked"
    shot(page.locator("#tab-panel"), "sample")


def test_schema_page_edits_description_owners_tier_and_tags(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/schemas/shop.main.main")
    assert page.inner_text("#owners-list").startswith("alice (user)")
    page.click("#databaseSchema-description-edit")
    page.fill("#databaseSchema-description-input", "The shop's tables:\n\n- orders\n- order_totals")
    page.click("#databaseSchema-description-save")
    page.wait_for_selector("#databaseSchema-description-text li")
    assert page.locator("#databaseSchema-description-text li").all_inner_texts() == ["orders", "order_totals"]
    assert page.evaluate("document.activeElement.id") == "databaseSchema-description-edit"
    schema = site.api.ok("GET", "/api/v1/databaseSchemas/name/shop.main.main")
    assert schema["description"].endswith("- order_totals")
    # Its tier and tags, as on a table.
    page.wait_for_selector("#tier option[value='Tier.Tier3']", state="attached")
    page.select_option("#tier", "Tier.Tier3")
    page.wait_for_selector("#tier:enabled")
    assert page.evaluate("document.activeElement.id") == "tier"
    page.click("#databaseSchema-tags-edit")
    page.fill("#entity-add-tag", "PersonalData.Personal")
    page.click("#databaseSchema-tags-save")
    page.wait_for_selector("#tags >> text=PersonalData.Personal")
    schema = site.api.ok("GET", "/api/v1/databaseSchemas/name/shop.main.main", params={"fields": "tags"})
    assert sorted(t["tagFQN"] for t in schema["tags"]) == ["PersonalData.Personal", "Tier.Tier3"]


def test_profile_chart_column_profile_and_queries(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path=f"/tables/{ORDERS}?tab=profile")
    page.wait_for_selector("#tab-panel[data-loaded=profile]")
    assert page.locator("#row-count-chart .chart-point").count() == 3
    assert "from 100" in (page.get_attribute("#row-count-chart", "aria-label") or "")
    assert "to 210" in (page.get_attribute("#row-count-chart", "aria-label") or "")
    shot(page.locator("#tab-panel"), "profile")
    row = page.locator("#column-profile tbody tr").first.locator("td")
    assert row.nth(0).inner_text() == "amount"
    page.click("#tab-queries")
    page.wait_for_selector("#tab-panel[data-loaded=queries]")
    assert "SELECT * FROM orders WHERE amount > 10" in page.inner_text("#queries")
    # An administrator reads sample data unmasked.
    page.click("#tab-sample")
    page.wait_for_selector("#tab-panel[data-loaded=sample]")
    assert page.locator("#sample-data .badge.masked").count() == 0


def test_glossary_pages_and_an_admin_adds_a_term(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/glossary")
    page.click("#main tbody >> text=Business")
    ui.at(f"{site.base}/glossary/Business")
    assert "Words we use" in page.inner_text("#glossary-description-text")
    page.click("#add-term-details > summary")
    name = unique("Margin")
    page.fill("#term-name", name)
    page.fill("#term-description", "What is *left*")
    page.fill("#term-synonyms", "Profit, Gain")
    page.click("#add-term-submit")
    ui.at(f"{site.base}/glossary/term/Business.{name}")
    assert page.inner_text("#glossaryTerm-description-text em") == "left"
    assert page.inner_text("#term-synonyms-list") == "Profit, Gain"
    # Synonyms and related terms, in one patch; the relation shows on the other term too.
    page.click("#term-links-edit")
    page.fill("#term-synonyms-input", "Profit")
    page.fill("#term-related-add", "Business.Revenue")
    page.click("#term-links-save")
    page.wait_for_selector("#term-related >> text=Revenue")
    assert page.inner_text("#term-synonyms-list") == "Profit"
    assert page.evaluate("document.activeElement.id") == "term-links-edit"
    revenue = site.api.ok(
        "GET", "/api/v1/glossaryTerms/name/Business.Revenue", params={"fields": "relatedTerms"}
    )
    assert [t["term"]["name"] for t in revenue["relatedTerms"]] == [name]
    # Reviewers and status, each a patch of the version the last edit left (no conflict).
    page.click("#reviewers-edit")
    page.fill("#reviewer-name", "dora")
    page.click("#reviewers-save")
    page.wait_for_selector("#reviewers-list >> text=dora (user)")
    assert page.evaluate("document.activeElement.id") == "reviewers-edit"
    page.select_option("#term-status", "In Review")
    # The select is disabled while saving, and drawn again (enabled) with the saved term.
    page.wait_for_selector("#term-status:enabled")
    assert page.evaluate("document.activeElement.id") == "term-status"
    saved = site.api.ok("GET", f"/api/v1/glossaryTerms/name/Business.{name}", params={"fields": "reviewers"})
    assert saved["entityStatus"] == "In Review"
    assert [(r["name"], r["type"]) for r in saved["reviewers"]] == [("dora", "user")]
    # A reviewer who does not exist is named, not sent.
    ui.console.expect_http(404)
    page.click("#reviewers-edit")
    page.fill("#reviewer-name", "nobody")
    page.click("#reviewers-save")
    assert page.inner_text("#reviewers [role=alert]") == "No user is called nobody."
    page.click("#reviewers .edit-form button.secondary")
    shot(page.locator("#main .page"), "term")
    page.click("nav.breadcrumbs >> text=Business")
    ui.settled()
    assert page.locator(f"#main tbody >> text={name}").count() == 1


def test_classification_pages_read_for_everyone_added_by_admins(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/classifications")
    name = unique("Area")
    page.click("#add-classification-details > summary")
    page.fill("#classification-name", name)
    page.fill("#classification-description", "Business areas")
    page.click("#add-classification-submit")
    ui.at(f"{site.base}/classifications/{name}")
    page.click("#add-tag-details > summary")
    page.fill("#tag-name", "Sales")
    page.fill("#tag-description", "Sales data")
    page.click("#add-tag-submit")
    ui.at(f"{site.base}/classifications/tag/{name}.Sales")
    # An administrator disables the tag where she reads it.
    page.check("#tag-disabled")
    page.wait_for_selector("#main .message-success")
    assert site.api.ok("GET", f"/api/v1/tags/name/{name}.Sales")["disabled"] is True
    # A non-administrator reads the pages without the add forms.
    ui.context.clear_cookies()
    page.evaluate("sessionStorage.clear()")
    sign_in(ui, site, "frank", USER_PASSWORD, path=f"/classifications/{name}")
    assert page.locator("#main tbody >> text=" + f"{name}.Sales").count() == 1
    assert page.locator("#add-tag-details").count() == 0
    assert page.inner_text("#classification-mutuallyExclusive").endswith(": no")
    pii = page.goto(f"{site.base}/classifications/PII")
    assert pii is not None
    ui.settled()
    assert page.locator("#main tbody >> text=PII.Sensitive").count() == 1


def test_catalog_pages_in_firefox(firefox_page: Firefox, site: Site) -> None:
    """The new pages in Debian's Firefox: the vendored modules load, the lineage graph and the
    chart are drawn, and nothing logs an error or breaks the page's policy."""
    browser = firefox_page
    ready = "document.documentElement.dataset.state === 'ready'"
    browser.goto(f"{site.base}/glossary")
    browser.wait_for(f"{ready} && !!document.querySelector('#email')")
    browser.evaluate(
        "document.querySelector('#email').value = 'root';"
        f"document.querySelector('#password').value = {json.dumps(ROOT_PASSWORD)};"
        "document.querySelector('#sign-in').click(); true"
    )
    browser.wait_for(f"location.pathname === '/glossary' && {ready}")
    browser.evaluate(
        "window.violations = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`)); true"
    )
    for path, selector in (
        (f"/tables/{ORDERS}?tab=lineage", "#lineage-graph .node"),
        (f"/tables/{ORDERS}?tab=profile", "#row-count-chart"),
        (f"/tables/{ORDERS}?tab=sample", "#sample-data"),
        ("/glossary/term/Business.Revenue", "#glossaryTerm-description-text em"),
        ("/classifications/PII", "#main tbody tr"),
        ("/explore?tier=Tier.Tier1", "#facet-tier input:checked"),
    ):
        browser.evaluate(
            f"(() => {{ const a = document.createElement('a'); a.href = {json.dumps(path)};"
            "document.body.append(a); a.click(); a.remove(); return true; })()"
        )
        browser.wait_for(
            f"location.pathname + location.search === {json.dumps(path)} && {ready}"
            f" && !!document.querySelector({json.dumps(selector)})"
        )
    assert browser.errors() == []
    assert browser.evaluate("window.violations") == []
