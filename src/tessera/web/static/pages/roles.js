// Roles: who gets which policies. Everyone allowed to read them sees them; administrators
// create roles and choose a role's policies (PUT /api/v1/roles, policies by name).
import { api, segment } from "../api.js";
import { field, h, link, message } from "../dom.js";
import { navigate } from "../router.js";
import { setNotice, takeNotice } from "../session.js";
import { badge, breadcrumbs, description, descriptionCell, pageHeader, pagedTable } from "./common.js";
import { errorFocus, nameHint } from "./forms.js";

const rolePath = (name) => `/settings/roles/${segment(name)}`;
const policyPath = (name) => `/settings/policies/${segment(name)}`;

function names(list, path) {
  if (!list?.length) return h("span", { class: "muted" }, "None");
  return list.map((ref, i) => [i ? ", " : "", link(path(ref.name), ref.displayName || ref.name)]);
}

export async function rolesPage(ctx) {
  const notice = takeNotice();
  const list = await pagedTable({
    caption: "Roles",
    headers: ["Role", "Policies", "Description"],
    row: (role) => [
      [link(rolePath(role.name), role.displayName || role.name), role.provider === "system" ? [" ", badge("Built-in")] : null],
      names(role.policies, policyPath),
      descriptionCell(role.description),
    ],
    fetchPage: (after) => api.get("/api/v1/roles", { limit: 50, after, fields: "policies" }),
    empty: "No roles.",
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Roles", ""],
    ]),
    pageHeader(
      "Roles",
      ctx.me?.isAdmin ? h("p", {}, link("/settings/roles/new", "Add a role")) : null,
    ),
    notice ? message(notice.kind, notice.text) : null,
    h("p", {}, "A role gives its users and the members of its teams the rules of its policies."),
    list,
  );
}

async function allPolicies() {
  return (await api.get("/api/v1/policies", { limit: 500 })).data ?? [];
}

// Checkboxes of every policy, those of the role ticked.
function policyChoices(policies, chosen) {
  return h(
    "fieldset",
    { class: "choices", id: "role-policies" },
    h("legend", {}, "Policies"),
    policies.map((policy) => {
      const id = `policy-${policy.id}`;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "checkbox", id, name: "policies", value: policy.name, checked: chosen.has(policy.name) }),
        h("label", { for: id }, policy.displayName || policy.name),
      );
    }),
  );
}

function roleForm({ role, policies, onSaved }) {
  const status = h("div", { id: "role-status" });
  const name = role ? null : h("input", { id: "role-name", type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  const about = h("textarea", { id: "role-description", rows: 2 }, role?.description ?? "");
  const choices = policyChoices(policies, new Set((role?.policies ?? []).map((p) => p.name)));
  const save = h("button", { type: "submit", class: "primary", id: "save-role" }, role ? "Save policies" : "Add role");
  const form = h(
    "form",
    { class: "stack form-page", id: "role-form", novalidate: true },
    name ? field("Name", name, nameHint("role")) : null,
    field("Description", about),
    choices,
    status,
    h("div", { class: "actions" }, save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...choices.querySelectorAll("input:checked")].map((input) => input.value);
    const roleName = role?.name ?? name.value.trim();
    if (!roleName) return errorFocus(status, "Give the role a name.", name);
    if (!chosen.length) return errorFocus(status, "Choose at least one policy: a role without policies allows nothing.", choices.querySelector("input"));
    save.disabled = true;
    try {
      const body = { name: roleName, description: about.value.trim() || undefined, policies: chosen };
      if (role?.displayName) body.displayName = role.displayName;
      const saved = role ? await api.put("/api/v1/roles", body) : await api.post("/api/v1/roles", body);
      await onSaved(saved);
    } catch (error) {
      errorFocus(status, error.message);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

export async function rolePage(ctx, { params }) {
  const role = await api.get(`/api/v1/roles/name/${segment(params.name)}`, { fields: "policies,teams,users" });
  const notice = takeNotice();
  const admin = Boolean(ctx.me?.isAdmin);
  const editor = admin
    ? roleForm({
        role,
        policies: await allPolicies(),
        onSaved: async (saved) => {
          setNotice("success", `Role ${saved.name} saved: its policies are ${(saved.policies ?? []).map((p) => p.name).join(", ")}.`);
          navigate(rolePath(saved.name), { replace: true });
        },
      })
    : null;
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Roles", "/settings/roles"],
      [role.name, ""],
    ]),
    pageHeader(role.displayName || role.name, role.provider === "system" ? h("p", {}, badge("Built-in")) : null),
    notice ? message(notice.kind, notice.text) : null,
    description(role.description),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Policies"),
      h("dd", { id: "role-policy-list" }, names(role.policies, policyPath)),
      h("dt", {}, "Teams"),
      h("dd", {}, names(role.teams, (n) => `/settings/teams/${segment(n)}`)),
      h("dt", {}, "Users"),
      h("dd", {}, (role.users ?? []).map((u) => u.displayName || u.name).join(", ") || h("span", { class: "muted" }, "None")),
    ),
    editor ? [h("h2", {}, "Change the role's policies"), editor] : null,
  );
}

export async function newRolePage() {
  const form = roleForm({
    role: null,
    policies: await allPolicies(),
    onSaved: async (saved) => {
      setNotice("success", `Role ${saved.name} added.`);
      navigate(rolePath(saved.name));
    },
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Roles", "/settings/roles"],
      ["New role", ""],
    ]),
    pageHeader("Add a role"),
    form,
  );
}
