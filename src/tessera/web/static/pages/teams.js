// Teams: OpenMetadata's hierarchy (Organization » business units » divisions » departments »
// groups) as a tree with each team's type, and a team's page with its members and roles.
import { api, segment } from "../api.js";
import { h, link, message, table } from "../dom.js";
import { badge, breadcrumbs, description, pageHeader } from "./common.js";

const PAGE = 500;

const TYPE_ORDER = ["Organization", "BusinessUnit", "Division", "Department", "Group"];
const TYPE_LABELS = {
  Organization: "Organization",
  BusinessUnit: "Business unit",
  Division: "Division",
  Department: "Department",
  Group: "Group",
};

export function teamPath(name) {
  return `/settings/teams/${segment(name)}`;
}

// Every team with its parents: the tree needs all of them, and an organization has few teams
// (read a page of 500 at a time).
async function allTeams() {
  const teams = [];
  let after = null;
  do {
    const page = await api.get("/api/v1/teams", { limit: PAGE, after, fields: "parents" });
    teams.push(...(page.data ?? []));
    after = page.paging?.after ?? null;
  } while (after);
  return teams;
}

function byTypeThenName(a, b) {
  const order = TYPE_ORDER.indexOf(a.teamType) - TYPE_ORDER.indexOf(b.teamType);
  return order || (a.displayName || a.name).localeCompare(b.displayName || b.name);
}

// A nested list with disclosure buttons: native buttons, so Enter and Space work, and
// aria-expanded tells screen readers whether a branch is open.
function branch(team, childrenOf, seen) {
  const children = (childrenOf.get(team.id) ?? []).filter((child) => !seen.has(child.id)).sort(byTypeThenName);
  const label = h(
    "span",
    { class: "tree-label" },
    link(teamPath(team.name), team.displayName || team.name),
    " ",
    badge(TYPE_LABELS[team.teamType] ?? team.teamType ?? "Group"),
  );
  if (!children.length) return h("li", { class: "tree-leaf" }, label);
  const inner = new Set([...seen, team.id]);
  const list = h("ul", { role: "group" }, children.map((child) => branch(child, childrenOf, inner)));
  const toggle = h(
    "button",
    {
      type: "button",
      class: "tree-toggle",
      "aria-expanded": "true",
      "aria-label": `Collapse ${team.displayName || team.name}`,
    },
    h("span", { "aria-hidden": "true" }, "▾"),
  );
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.setAttribute("aria-label", `${open ? "Collapse" : "Expand"} ${team.displayName || team.name}`);
    toggle.firstChild.textContent = open ? "▾" : "▸";
    list.hidden = !open;
  });
  return h("li", {}, toggle, label, list);
}

export async function teamsPage() {
  const teams = await allTeams();
  const childrenOf = new Map();
  const ids = new Set(teams.map((t) => t.id));
  const roots = [];
  for (const team of teams) {
    const parents = (team.parents ?? []).filter((p) => ids.has(p.id));
    if (!parents.length) roots.push(team);
    for (const parent of parents) childrenOf.set(parent.id, [...(childrenOf.get(parent.id) ?? []), team]);
  }
  roots.sort(byTypeThenName);
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Teams", ""],
    ]),
    pageHeader("Teams"),
    h(
      "p",
      {},
      "The organization's hierarchy: business units, divisions and departments, down to groups, which have members and own data.",
    ),
    h("ul", { class: "tree", id: "team-tree", "aria-label": "Teams" }, roots.map((t) => branch(t, childrenOf, new Set()))),
    h("p", { class: "muted", role: "status" }, `${teams.length} team${teams.length === 1 ? "" : "s"}.`),
  );
}

function refs(list, path) {
  if (!list?.length) return h("span", { class: "muted" }, "None");
  return list.map((ref, i) => [i ? ", " : "", path ? link(path(ref.name), ref.displayName || ref.name) : ref.displayName || ref.name]);
}

export async function teamPage(_ctx, { params }) {
  const team = await api.get(`/api/v1/teams/name/${segment(params.name)}`, {
    fields: "parents,children,users,defaultRoles,policies",
  });
  const members = (team.users ?? []).slice().sort((a, b) => (a.displayName || a.name).localeCompare(b.displayName || b.name));
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Teams", "/settings/teams"],
      [team.name, ""],
    ]),
    pageHeader(team.displayName || team.name, h("p", { class: "muted" }, TYPE_LABELS[team.teamType] ?? team.teamType)),
    description(team.description),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Type"),
      h("dd", { id: "team-type" }, TYPE_LABELS[team.teamType] ?? team.teamType ?? ""),
      h("dt", {}, "Parent teams"),
      h("dd", {}, refs(team.parents, teamPath)),
      h("dt", {}, "Child teams"),
      h("dd", {}, refs(team.children, teamPath)),
      h("dt", {}, "Default roles"),
      h("dd", { id: "team-roles" }, refs(team.defaultRoles, (name) => `/settings/roles/${segment(name)}`)),
      h("dt", {}, "Policies"),
      h("dd", {}, refs(team.policies, (name) => `/settings/policies/${segment(name)}`)),
    ),
    h("h2", {}, `Members (${members.length})`),
    team.teamType === "Group" || members.length
      ? members.length
        ? Object.assign(
            table("Members", ["Name", "User name"], members.map((user) => [user.displayName || user.name, user.name])),
            { id: "team-members" },
          )
        : h("p", { class: "muted", id: "team-members-empty" }, "No members yet.")
      : message("info", "Only groups have members; people join a group, and through it the teams above it."),
  );
}
