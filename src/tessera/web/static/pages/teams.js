// Teams: OpenMetadata's hierarchy (Organization » business units » divisions » departments »
// groups) as a tree with each team's type, and a team's page with its members and roles.
// Administrators add teams and a group's members; a team's description is edited in place by
// those the server allows.
import { ApiError, api, segment } from "../api.js";
import { h, link, message, select, table } from "../dom.js";
import { navigate } from "../router.js";
import { badge, breadcrumbs, pageHeader } from "./common.js";
import { editError, entityEditors, fieldFor, patchEntity, permissionsFor, showError, withSuggestions } from "./edit.js";
import { addForm, nameHint } from "./forms.js";

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

// A new team hangs under one parent; the server enforces which types may hold which (a
// Division under a Group is refused, in words that say what may hold it).
function addTeamForm(teams) {
  const name = h("input", { id: "team-name", type: "text", autocomplete: "off" });
  const type = select(
    "team-type-select",
    TYPE_ORDER.filter((t) => t !== "Organization").map((t) => [t, TYPE_LABELS[t]]),
    "Group",
  );
  const holders = teams.filter((t) => t.teamType !== "Group").sort(byTypeThenName);
  const parent = select(
    "team-parent",
    holders.map((t) => [t.id, `${t.displayName || t.name} (${TYPE_LABELS[t.teamType] ?? t.teamType})`]),
    holders.find((t) => t.teamType === "Organization")?.id ?? "",
  );
  const text = h("textarea", { id: "team-description", rows: "3" });
  return addForm({
    id: "add-team",
    title: "Add a team",
    fields: [
      ["name", "Name", name, nameHint("team")],
      ["teamType", "Type", type, "Only groups have members; business units, divisions and departments hold teams."],
      ["parent", "Under", parent],
      ["description", "Description (Markdown)", text],
    ],
    submit: async (values) => {
      const body = { name: values.name, teamType: values.teamType, parents: values.parent ? [values.parent] : [] };
      if (values.description) body.description = values.description;
      const saved = await api.post("/api/v1/teams", body);
      navigate(teamPath(saved.name));
    },
  });
}

export async function teamsPage(ctx) {
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
    ctx.me?.isAdmin ? addTeamForm(teams) : null,
    h("ul", { class: "tree", id: "team-tree", "aria-label": "Teams" }, roots.map((t) => branch(t, childrenOf, new Set()))),
    h("p", { class: "muted", role: "status" }, `${teams.length} team${teams.length === 1 ? "" : "s"}.`),
  );
}

// A group's members. People join a team through their own `teams` (as OpenMetadata's UI adds
// them), so each change is a patch of the person, made on the version just read.
async function setMembership(userId, team, member) {
  const user = await api.get(`/api/v1/users/${segment(userId)}`, { fields: "teams" });
  const others = (user.teams ?? []).filter((t) => t.id !== team.id).map((t) => ({ id: t.id, type: "team" }));
  const teams = member ? [...others, { id: team.id, type: "team" }] : others;
  await patchEntity("user", user, [{ op: "add", path: "/teams", value: teams }]);
}

function membersList(members) {
  return members.length
    ? Object.assign(
        table("Members", ["Name", "User name"], members.map((user) => [user.displayName || user.name, user.name])),
        { id: "team-members" },
      )
    : h("p", { class: "muted", id: "team-members-empty" }, "No members yet.");
}

function membersEditor(team) {
  const box = h("div", { id: "team-members-box" });
  const draw = (members, focusId) => {
    const status = h("div", { class: "edit-status" });
    const name = h("input", { id: "member-name", type: "text", autocomplete: "off", placeholder: "user name" });
    const change = async (work, focus) => {
      try {
        await work();
        const again = await api.get(`/api/v1/teams/${segment(team.id)}`, { fields: "users" });
        draw(sorted(again.users), focus);
      } catch (error) {
        showError(status, editError(error, "user"));
      }
    };
    const rows = members.map((user, i) => [
      user.displayName || user.name,
      user.name,
      h(
        "button",
        {
          type: "button",
          class: "secondary small",
          id: `member-remove-${i}`,
          "aria-label": `Remove ${user.name} from ${team.name}`,
          onclick: () => change(() => setMembership(user.id, team, false), "member-name"),
        },
        "Remove",
      ),
    ]);
    const form = h(
      "form",
      { class: "inline-form", id: "add-member" },
      fieldFor("Add a member", name, withSuggestions(name, () => "user_search_index", (source) => source.name)),
      h("div", { class: "field field-submit" }, h("button", { type: "submit", class: "primary", id: "add-member-submit" }, "Add")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const wanted = name.value.trim();
      if (!wanted) return;
      change(async () => {
        const user = await api.get(`/api/v1/users/name/${segment(wanted)}`).catch((error) => {
          if (error.status === 404) throw new ApiError(404, `No user is called ${wanted}.`);
          throw error;
        });
        await setMembership(user.id, team, true);
      }, "member-name");
    });
    box.replaceChildren(
      h("h2", {}, `Members (${members.length})`),
      members.length
        ? Object.assign(table("Members", ["Name", "User name", ""], rows), { id: "team-members" })
        : h("p", { class: "muted", id: "team-members-empty" }, "No members yet."),
      form,
      status,
    );
    if (focusId) document.getElementById(focusId)?.focus();
  };
  draw(sorted(team.users));
  return box;
}

function sorted(users) {
  return (users ?? []).slice().sort((a, b) => (a.displayName || a.name).localeCompare(b.displayName || b.name));
}

function refs(list, path) {
  if (!list?.length) return h("span", { class: "muted" }, "None");
  return list.map((ref, i) => [i ? ", " : "", path ? link(path(ref.name), ref.displayName || ref.name) : ref.displayName || ref.name]);
}

export async function teamPage(ctx, { params }) {
  const team = await api.get(`/api/v1/teams/name/${segment(params.name)}`, {
    fields: "parents,children,users,defaultRoles,policies",
  });
  const can = await permissionsFor("team", team);
  const members = sorted(team.users);
  const group = team.teamType === "Group";
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Teams", "/settings/teams"],
      [team.name, ""],
    ]),
    pageHeader(team.displayName || team.name, h("p", { class: "muted" }, TYPE_LABELS[team.teamType] ?? team.teamType)),
    entityEditors("team", team, { owners: false, can }),
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
    group && ctx.me?.isAdmin
      ? membersEditor(team)
      : [
          h("h2", {}, `Members (${members.length})`),
          group || members.length
            ? membersList(members)
            : message("info", "Only groups have members; people join a group, and through it the teams above it."),
        ],
  );
}
