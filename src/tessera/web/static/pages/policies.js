// Policies: rules of what may be done to which resources. Everyone allowed reads them;
// administrators add policies and edit their rules (PUT /api/v1/policies).
import { api, segment } from "../api.js";
import { field, h, link, message } from "../dom.js";
import { navigate } from "../router.js";
import { setNotice, takeNotice } from "../session.js";
import { badge, breadcrumbs, description, descriptionCell, pageHeader, pagedTable } from "./common.js";
import { errorFocus, nameHint } from "./forms.js";
import { rulesEditor, rulesTable } from "./policy_rules.js";

const policyPath = (name) => `/settings/policies/${segment(name)}`;

export async function policiesPage(ctx) {
  const notice = takeNotice();
  const list = await pagedTable({
    caption: "Policies",
    headers: ["Policy", "Rules", "Description"],
    row: (policy) => [
      [link(policyPath(policy.name), policy.displayName || policy.name), policy.provider === "system" ? [" ", badge("Built-in")] : null],
      String((policy.rules ?? []).length),
      descriptionCell(policy.description),
    ],
    fetchPage: (after) => api.get("/api/v1/policies", { limit: 50, after }),
    empty: "No policies.",
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Policies", ""],
    ]),
    pageHeader("Policies", ctx.me?.isAdmin ? h("p", {}, link("/settings/policies/new", "Add a policy")) : null),
    notice ? message(notice.kind, notice.text) : null,
    h("p", {}, "A policy's rules allow or deny operations on resources; roles and teams carry policies to people."),
    list,
  );
}

function policyForm(policy, onSaved) {
  const status = h("div", { id: "policy-status" });
  const name = policy ? null : h("input", { id: "policy-name", type: "text", autocomplete: "off", spellcheck: "false" });
  const about = h("textarea", { id: "policy-description", rows: 2 }, policy?.description ?? "");
  const editor = rulesEditor(policy?.rules ?? [{ effect: "allow" }]);
  const save = h("button", { type: "submit", class: "primary", id: "save-policy" }, policy ? "Save rules" : "Add policy");
  const form = h(
    "form",
    { class: "stack form-page", id: "policy-form", novalidate: true },
    name ? field("Name", name, nameHint("policy")) : null,
    field("Description", about),
    h("h3", {}, "Rules"),
    editor.element,
    status,
    h("div", { class: "actions" }, save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const policyName = policy?.name ?? name.value.trim();
    if (!policyName) return errorFocus(status, "Give the policy a name.", name);
    const missing = editor.incomplete();
    if (missing) return errorFocus(status, missing[0], missing[1]);
    save.disabled = true;
    try {
      const body = { name: policyName, description: about.value.trim() || undefined, rules: editor.read() };
      if (policy?.displayName) body.displayName = policy.displayName;
      const saved = policy ? await api.put("/api/v1/policies", body) : await api.post("/api/v1/policies", body);
      onSaved(saved);
    } catch (error) {
      // The server's words: which rule, and what in it (an unknown function in a condition...).
      errorFocus(status, error.message);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

export async function policyPage(ctx, { params }) {
  const policy = await api.get(`/api/v1/policies/name/${segment(params.name)}`, { fields: "roles,teams" });
  const notice = takeNotice();
  const admin = Boolean(ctx.me?.isAdmin);
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Policies", "/settings/policies"],
      [policy.name, ""],
    ]),
    pageHeader(policy.displayName || policy.name, policy.provider === "system" ? h("p", {}, badge("Built-in")) : null),
    notice ? message(notice.kind, notice.text) : null,
    description(policy.description),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Enabled"),
      h("dd", {}, policy.enabled === false ? "No" : "Yes"),
      h("dt", {}, "Roles"),
      h(
        "dd",
        {},
        policy.roles?.length
          ? policy.roles.map((r, i) => [i ? ", " : "", link(`/settings/roles/${segment(r.name)}`, r.displayName || r.name)])
          : h("span", { class: "muted" }, "None"),
      ),
      h("dt", {}, "Teams"),
      h("dd", {}, (policy.teams ?? []).map((t) => t.displayName || t.name).join(", ") || h("span", { class: "muted" }, "None")),
    ),
    h("h2", {}, "Rules"),
    rulesTable(policy.rules),
    admin
      ? [
          h("h2", {}, "Edit the rules"),
          policyForm(policy, (saved) => {
            setNotice("success", `Policy ${saved.name} saved with ${(saved.rules ?? []).length} rule(s).`);
            navigate(policyPath(saved.name), { replace: true });
          }),
        ]
      : null,
  );
}

export async function newPolicyPage() {
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Policies", "/settings/policies"],
      ["New policy", ""],
    ]),
    pageHeader("Add a policy"),
    policyForm(null, (saved) => {
      setNotice("success", `Policy ${saved.name} added.`);
      navigate(policyPath(saved.name));
    }),
  );
}
