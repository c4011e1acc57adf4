"""The UI's organization pages and polish, with basic authentication: one notion of
administrator (the isAdmin flag or adminPrincipals) in Users and on the profile, the audit log as
sentences with an action picker and pages, 403s that say what is needed, teams, roles and
policies (read for everyone, edited by administrators, the server's validation shown), adding a
bot and a user, a view's SQL and views labelled as views, and the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import SCREENSHOTS, Api, Ui, basic_password, unique
from tests.integration.servers import tessera_server

pytestmark = pytest.mark.browser

ROOT_PASSWORD = "Str0ng!Root-passw0rd"
USER_PASSWORD = "Str0ng!User-passw0rd"
VIEW_SQL = (
    "CREATE VIEW daily_revenue AS\n"
    "SELECT date(placed_at) AS day, COUNT(*) AS orders\n"
    "FROM orders\n"
    "GROUP BY date(placed_at)"
)


@dataclass
class Site:
    base: str
    api: Api
    home: Path


def login(base: str, name: str, password: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/users/login",
        json={"email": name, "password": basic_password(password)},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("admin-ui")
    # nina is an administrator by adminPrincipals alone: her isAdmin flag stays unset.
    env = {"AUTHENTICATION_PROVIDER": "basic", "AUTHORIZER_ADMIN_PRINCIPALS": "[admin, nina@example.com]"}
    with tessera_server(home, f"sqlite:///{home / 'tessera.db'}", env=env) as base:
        first = (home / "initial-admin-password").read_text().strip()
        api = Api(base, login(base, "admin", first))
        api.ok(
            "PUT",
            "/api/v1/users",
            json={"name": "root", "email": "root@example.com", "password": ROOT_PASSWORD, "isAdmin": True},
        )
        for name in ("nina", "frank"):
            api.ok(
                "PUT",
                "/api/v1/users",
                json={"name": name, "email": f"{name}@example.com", "password": USER_PASSWORD},
            )
        api.token = login(base, "root", ROOT_PASSWORD)
        seed(api)
        yield Site(base, api, home)
        api.close()


def seed(api: Api) -> None:
    """A schema with a table and a view over it; Sales (a business unit) with the group
    Analysts, whose member is frank."""
    api.ok("PUT", "/api/v1/services/databaseServices", json={"name": "shop", "serviceType": "SQLite"})
    api.ok("PUT", "/api/v1/databases", json={"name": "main", "service": "shop"})
    api.ok(
        "PUT",
        "/api/v1/databaseSchemas",
        json={"name": "main", "database": "shop.main", "description": "The shop."},
    )
    api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": "orders",
            "databaseSchema": "shop.main.main",
            "description": "Every order.",
            "columns": [{"name": "id", "dataType": "INT"}, {"name": "placed_at", "dataType": "TIMESTAMP"}],
        },
    )
    api.ok(
        "PUT",
        "/api/v1/tables",
        json={
            "name": "daily_revenue",
            "databaseSchema": "shop.main.main",
            "tableType": "View",
            "schemaDefinition": VIEW_SQL,
            "columns": [{"name": "day", "dataType": "DATE"}, {"name": "orders", "dataType": "BIGINT"}],
        },
    )
    sales = api.ok("PUT", "/api/v1/teams", json={"name": "Sales", "teamType": "BusinessUnit"})
    analysts = api.ok(
        "PUT", "/api/v1/teams", json={"name": "Analysts", "teamType": "Group", "parents": [sales["id"]]}
    )
    # Membership is the user's: their teams.
    api.ok(
        "PUT",
        "/api/v1/users",
        json={"name": "frank", "email": "frank@example.com", "teams": [analysts["id"]]},
    )


def sign_in(
    ui: Ui, site: Site, login_name: str = "root", password: str = ROOT_PASSWORD, path: str = "/"
) -> None:
    page = ui.page
    ui.goto(f"{site.base}{path}")
    page.fill("#email", login_name)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_function("() => !location.pathname.startsWith('/signin')")
    ui.settled()


def test_admin_badge_comes_from_the_server_flag_or_admin_principals(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/settings/users")
    page.wait_for_selector("#main tbody tr")
    rows = {
        row.locator("td").first.inner_text(): row
        for row in page.locator("#main tbody tr").all()
        if row.is_visible()
    }
    nina_badge = rows["nina"].locator(".badge.admin")
    assert nina_badge.inner_text() == "Admin"
    assert nina_badge.get_attribute("title") == "Administrator by listed in adminPrincipals"
    assert rows["root"].locator(".badge.admin").get_attribute("title") == "Administrator by the isAdmin flag"
    assert rows["frank"].locator(".badge.admin").count() == 0
    page.click("#main >> text=nina")
    ui.at(f"{site.base}/settings/users/nina")
    assert page.inner_text("#user-admin").startswith("Yes, listed in adminPrincipals")
    assert "listed in adminPrincipals" in page.inner_text("#memberships")
    # Her own profile says the same, as does the navigation she gets.
    ui.context.clear_cookies()
    page.evaluate("sessionStorage.clear()")
    sign_in(ui, site, "nina", USER_PASSWORD, path="/profile")
    assert page.inner_text("#profile-admin").startswith("Yes, listed in adminPrincipals")
    assert page.is_visible("nav >> text=Audit log")


def test_audit_log_reads_as_sentences_with_an_action_picker_and_pages(ui: Ui, site: Site) -> None:
    page = ui.page
    # More than a page of events: 55 changes of one user.
    name = unique("paged")
    user = site.api.ok("PUT", "/api/v1/users", json={"name": name, "email": f"{name}@example.com"})
    for i in range(55):
        site.api.ok(
            "PATCH",
            f"/api/v1/users/{user['id']}",
            json=[{"op": "add", "path": "/description", "value": f"v{i}"}],
        )
    sign_in(ui, site, path="/audit")
    page.wait_for_selector("#audit tbody tr")
    first = page.locator("#audit tbody tr").first
    # One line: the time does not wrap, and its title has the full date and UTC.
    when = first.locator("time")
    box = when.bounding_box()
    assert box is not None
    assert box["height"] < 30
    assert "Z)" in (when.get_attribute("title") or "")
    # A sentence, the raw detail behind a disclosure.
    sentences = page.locator("#audit .event-summary").all_inner_texts()
    assert "root signed in with a password." in sentences
    assert f"root changed description of user {name}." in sentences
    detail = page.locator("#audit details.raw").first
    assert not detail.locator("pre").is_visible()
    detail.locator("summary").focus()
    page.keyboard.press("Enter")
    assert '"fields"' in detail.locator("pre").inner_text()
    # The picker lists the known actions.
    page.select_option("#audit-action", "user-update")
    ui.at(f"{site.base}/audit?action=user-update")
    assert set(page.locator("#audit tbody td:nth-child(2)").all_inner_texts()) == {"user-update"}
    assert page.locator("#audit tbody tr").count() == 50
    assert page.inner_text("#audit-status").startswith("Showing 50 of 5")
    page.click("text=Older events")
    page.wait_for_url("**/audit?action=user-update&before=*")
    ui.settled()
    assert 1 <= page.locator("#audit tbody tr").count() <= 10
    page.click("text=Newest events")
    ui.at(f"{site.base}/audit?action=user-update")


def test_a_non_admin_is_told_what_is_needed(ui: Ui, site: Site) -> None:
    ui.console.expect_http(403)
    page = ui.page
    sign_in(ui, site, "frank", USER_PASSWORD, path="/settings/bots")
    assert page.inner_text("main h1") == "Not allowed"
    shown = page.inner_text("main [role=alert]")
    assert shown == (
        "403 Forbidden. Only administrators can see how bots and other users sign in; "
        "frank@example.com is not an administrator"
    )
    assert "mechanism" not in shown
    ui.goto(f"{site.base}/audit")
    assert "Only administrators can read the audit log" in page.inner_text("main [role=alert]")
    # Teams, roles and policies are his to read, not to change.
    nav = page.inner_text("nav")
    assert [link for link in nav.split("\n") if link in ("Teams", "Roles", "Policies")] == [
        "Teams",
        "Roles",
        "Policies",
    ]
    assert "Settings" not in nav
    # A click anywhere on a row opens it; from the keyboard, its link (Enter).
    page.click("nav >> text=Roles")
    ui.at(f"{site.base}/settings/roles")
    row = page.locator("#main tbody tr", has=page.locator("td:first-child >> text=DataConsumer")).first
    row.locator("td").nth(2).click()
    ui.at(f"{site.base}/settings/roles/DataConsumer")
    page.go_back()
    ui.at(f"{site.base}/settings/roles")
    page.locator("#main tbody tr td:first-child a", has_text="DataSteward").focus()
    page.keyboard.press("Enter")
    ui.at(f"{site.base}/settings/roles/DataSteward")
    ui.goto(f"{site.base}/settings/roles/DataConsumer")
    assert "DataConsumerPolicy" in page.inner_text("#role-policy-list")
    assert page.locator("#role-form").count() == 0
    ui.goto(f"{site.base}/settings/policies/DataConsumerPolicy")
    assert page.locator("#rules tbody tr").count() >= 1
    assert page.locator("#policy-form").count() == 0


def test_teams_tree_with_types_members_and_the_keyboard(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, "frank", USER_PASSWORD, path="/settings/teams")
    page.click("#team-tree >> text=Analysts")
    ui.at(f"{site.base}/settings/teams/Analysts")
    assert page.inner_text("#team-type") == "Group"
    assert "frank" in page.inner_text("#team-members")
    page.click("text=Sales")
    ui.at(f"{site.base}/settings/teams/Sales")
    assert "Only groups have members" in page.inner_text("#main")
    page.click("nav >> text=Teams")
    ui.at(f"{site.base}/settings/teams")
    tree = page.locator("#team-tree")
    assert "Organization" in tree.inner_text()
    assert "Business unit" in tree.locator("li", has_text="Sales").first.inner_text()
    toggle = page.get_by_role("button", name="Collapse Sales")
    toggle.focus()
    page.keyboard.press("Space")
    assert page.get_by_role("button", name="Expand Sales").get_attribute("aria-expanded") == "false"
    assert not page.is_visible("#team-tree >> text=Analysts")
    page.keyboard.press("Enter")
    assert page.is_visible("#team-tree >> text=Analysts")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"


def test_admin_adds_a_team_and_its_members(ui: Ui, site: Site) -> None:
    page = ui.page
    name = unique("Auditors")
    sign_in(ui, site, path="/settings/teams")
    page.click("#add-team-details > summary")
    page.fill("#team-name", name)
    page.select_option("#team-type-select", "Group")
    page.select_option("#team-parent", label="Sales (Business unit)")
    page.fill("#team-description", "Checks the *books*")
    page.click("#add-team-submit")
    ui.at(f"{site.base}/settings/teams/{name}")
    assert page.inner_text("#team-description-text em") == "books"
    stored = site.api.ok("GET", f"/api/v1/teams/name/{name}", params={"fields": "parents"})
    assert (stored["teamType"], [p["name"] for p in stored["parents"]]) == ("Group", ["Sales"])
    # Members join through their own teams: nina is added (keeping her other teams), then removed.
    page.locator("#member-name").press_sequentially("nin")
    page.wait_for_selector("#team-members-box datalist option[value=nina]", state="attached")
    page.fill("#member-name", "nina")
    page.click("#add-member-submit")
    page.wait_for_selector("#team-members >> text=nina")
    assert page.evaluate("document.activeElement.id") == "member-name"
    nina = site.api.ok("GET", "/api/v1/users/name/nina", params={"fields": "teams"})
    assert [t["name"] for t in nina["teams"]] == [name]
    page.locator("#main .page").screenshot(path=str(SCREENSHOTS / "docs-team.png"))
    page.click("#team-members button[aria-label='Remove nina from " + name + "']")
    page.wait_for_selector("#team-members-empty")
    assert site.api.ok("GET", "/api/v1/users/name/nina", params={"fields": "teams"})["teams"] == []
    # A name that is no user is named.
    ui.console.expect_http(404)
    page.fill("#member-name", "nobody")
    page.click("#add-member-submit")
    assert page.inner_text("#team-members-box [role=alert]") == "No user is called nobody."
    # Not an administrator: the members are read, with no way to change them.
    ui.context.clear_cookies()
    page.evaluate("sessionStorage.clear()")
    sign_in(ui, site, "frank", USER_PASSWORD, path="/settings/teams/Analysts")
    assert "frank" in page.inner_text("#team-members")
    assert page.locator("#add-member").count() == 0
    assert page.locator("#team-description-edit").count() == 0


def test_admin_adds_a_role_and_changes_its_policies(ui: Ui, site: Site) -> None:
    page = ui.page
    name = unique("Stewards")
    sign_in(ui, site, path="/settings/roles")
    page.click("text=Add a role")
    ui.at(f"{site.base}/settings/roles/new")
    page.fill("#role-name", name)
    page.click("#save-role")
    assert "Choose at least one policy" in page.inner_text("#role-status")
    page.check("#role-policies >> label:text-is('DataConsumerPolicy') >> xpath=../input")
    page.click("#save-role")
    ui.at(f"{site.base}/settings/roles/{name}")
    assert f"Role {name} added." in page.inner_text("#main")
    assert page.inner_text("#role-policy-list") == "DataConsumerPolicy"
    page.check("#role-policies >> label:text-is('DataStewardPolicy') >> xpath=../input")
    page.click("#save-role")
    page.wait_for_selector("#main .message-success >> text=saved")
    stored = site.api.ok("GET", f"/api/v1/roles/name/{name}", params={"fields": "policies"})
    assert sorted(p["name"] for p in stored["policies"]) == ["DataConsumerPolicy", "DataStewardPolicy"]


def test_admin_writes_a_policy_and_sees_the_servers_verdict_on_its_condition(ui: Ui, site: Site) -> None:
    ui.console.expect_http(400)
    page = ui.page
    name = unique("OwnersEdit")
    sign_in(ui, site, path="/settings/policies/new")
    page.fill("#policy-name", name)
    rule = page.locator("#rule-editor fieldset").first
    rule.locator("input[data-rule=name]").fill("owners-edit")
    rule.get_by_label("Resources").fill("table, databaseSchema")
    rule.get_by_label("Operations").fill("EditDescription, EditTags")
    condition = rule.get_by_label("Condition (optional)")
    # Checked by the server as soon as it is written (on leaving the field)...
    condition.fill("isOwnr()")
    condition.press("Tab")
    verdict = rule.locator(".condition-verdict.error")
    verdict.wait_for()
    assert "isOwnr" in verdict.inner_text()
    assert condition.get_attribute("aria-invalid") == "true"
    # ...and again when the policy is saved.
    page.click("#save-policy")
    error = page.locator("#policy-status [role=alert]")
    error.wait_for()
    assert "owners-edit" in error.inner_text()
    assert "isOwnr" in error.inner_text()
    condition.fill("isOwner() && !matchAnyTag('PII.Sensitive')")
    condition.press("Tab")
    rule.locator(".condition-verdict.ok").wait_for()
    page.click("#save-policy")
    ui.at(f"{site.base}/settings/policies/{name}")
    cells = page.locator("#rules tbody tr").first.inner_text()
    assert "allow" in cells
    assert "table, databaseSchema" in cells
    assert "isOwner() && !matchAnyTag('PII.Sensitive')" in cells


def test_admin_adds_a_bot_and_gets_its_token_once(ui: Ui, site: Site) -> None:
    ui.console.expect_http(404)  # the form first makes sure no bot has the name (PUT would replace it)
    page = ui.page
    name = unique("reporting-bot")
    sign_in(ui, site, path="/settings/bots")
    page.click("text=add a bot")
    ui.at(f"{site.base}/settings/bots/new")
    page.fill("#bot-name", "has space")
    page.click("#create-bot")
    assert "letters, digits" in page.inner_text("#new-bot-status")
    assert page.evaluate("document.activeElement.id") == "bot-name"
    page.fill("#bot-name", name)
    page.fill("#bot-email", f"{name}@example.com")
    page.check("#bot-roles >> label:text-is('DataConsumer') >> xpath=../input")
    page.click("#create-bot")
    page.wait_for_selector("#new-bot-token")
    token = page.input_value("#new-bot-token")
    # The token is the bot's, with the role chosen.
    assert site.api.call("GET", "/api/v1/tables", token=token).status_code == 200
    assert site.api.ok("GET", f"/api/v1/bots/name/{name}")["botUser"]["name"] == name
    page.click(f"text=Open {name}")
    ui.at(f"{site.base}/settings/bots/{name}")


def test_admin_adds_a_user_with_a_role_and_a_team(ui: Ui, site: Site) -> None:
    ui.console.expect_http(400, 409)
    page = ui.page
    name = unique("olga")
    sign_in(ui, site, path="/settings/users")
    page.click("text=Add a user")
    ui.at(f"{site.base}/settings/users/new")
    page.fill("#user-name", name)
    page.fill("#user-email", f"{name}@example.com")
    page.fill("#user-password", "weak")
    page.click("#create-user")
    refused = page.locator("#new-user-status [role=alert]")
    refused.wait_for()
    assert "password" in refused.inner_text().lower()
    page.fill("#user-password", USER_PASSWORD)
    page.check("#user-roles >> label:text-is('DataSteward') >> xpath=../input")
    page.check("#user-teams >> label:text-is('Analysts') >> xpath=../input")
    page.click("#create-user")
    ui.at(f"{site.base}/settings/users/{name}")
    assert f"User {name} added." in page.inner_text("#main")
    facts = page.inner_text("#main .facts")
    assert "DataSteward" in facts
    assert "Analysts" in facts
    # The same name again: the server's refusal, in words.
    ui.goto(f"{site.base}/settings/users/new")
    page.fill("#user-name", name)
    page.fill("#user-email", f"{name}@example.com")
    page.fill("#user-password", USER_PASSWORD)
    page.click("#create-user")
    page.locator("#new-user-status [role=alert]").wait_for()
    assert "already" in page.inner_text("#new-user-status")
    assert login(site.base, name, USER_PASSWORD)


def test_a_view_shows_its_sql_and_is_labelled_a_view(ui: Ui, site: Site) -> None:
    page = ui.page
    sign_in(ui, site, path="/explore?q=daily_revenue")
    assert page.locator("#results .result .badge").first.inner_text() == "View"
    ui.goto(f"{site.base}/databases/shop.main")
    assert "The shop." in page.inner_text("#main tbody")
    ui.goto(f"{site.base}/schemas/shop.main.main")
    rows = {r.split("\t")[0]: r.split("\t") for r in page.locator("#main tbody tr").all_inner_texts()}
    assert rows["daily_revenue"][1:] == ["View", "—"]
    assert rows["orders"][1:] == ["Table", "Every order."]
    page.click("#main >> text=daily_revenue")
    ui.at(f"{site.base}/tables/shop.main.main.daily_revenue")
    assert page.inner_text("#table-type") == "View"
    assert page.inner_text("#view-sql") == VIEW_SQL
    types = [r.split("\t")[1] for r in page.locator("#columns tbody tr").all_inner_texts()]
    assert types == ["DATE", "BIGINT"]
