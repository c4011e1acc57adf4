// A policy's rules: shown as a table, and edited as one fieldset per rule (name, effect,
// resources, operations, condition). The server validates everything when the policy is saved
// (unknown resources and operations, and the condition's syntax and functions) and its
// message, which names the rule, is shown as it words it.
import { api, segment } from "../api.js";
import { field, h, select } from "../dom.js";

let counter = 0;

function words(list) {
  return (list ?? []).join(", ");
}

function listOf(text) {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function rulesTable(rules) {
  if (!rules?.length) return h("p", { class: "muted", id: "rules-empty" }, "This policy has no rules: it allows nothing.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id: "rules" },
      h("caption", { class: "visually-hidden" }, "Rules"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Rule", "Effect", "Resources", "Operations", "Condition"].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        rules.map((rule) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, rule.name, rule.description ? h("div", { class: "muted small" }, rule.description) : null),
            h("td", {}, h("span", { class: `badge ${rule.effect === "deny" ? "danger" : "ok"}` }, rule.effect)),
            h("td", {}, words(rule.resources)),
            h("td", {}, words(rule.operations)),
            h("td", {}, rule.condition ? h("code", {}, rule.condition) : h("span", { class: "muted" }, "Always")),
          ),
        ),
      ),
    ),
  );
}

function ruleFieldset(rule, onRemove) {
  const n = ++counter;
  const inputs = {
    name: h("input", { id: `rule-${n}-name`, type: "text", value: rule.name ?? "", autocomplete: "off", "data-rule": "name" }),
    effect: select(`rule-${n}-effect`, [
      ["allow", "Allow"],
      ["deny", "Deny"],
    ], rule.effect ?? "allow"),
    resources: h("input", { id: `rule-${n}-resources`, type: "text", value: words(rule.resources), autocomplete: "off", spellcheck: "false" }),
    operations: h("input", { id: `rule-${n}-operations`, type: "text", value: words(rule.operations), autocomplete: "off", spellcheck: "false" }),
    condition: h("input", { id: `rule-${n}-condition`, type: "text", value: rule.condition ?? "", autocomplete: "off", spellcheck: "false", class: "code-input" }),
    description: h("input", { id: `rule-${n}-description`, type: "text", value: rule.description ?? "" }),
  };
  const remove = h("button", { type: "button", class: "danger small", "aria-label": `Remove rule ${rule.name || n}` }, "Remove rule");
  const verdict = h("p", { class: "hint condition-verdict", id: `rule-${n}-verdict`, "aria-live": "polite" });
  // The server says at once whether it accepts the condition (OpenMetadata's
  // /policies/validation/condition), instead of only when the policy is saved.
  inputs.condition.addEventListener("change", async () => {
    const text = inputs.condition.value.trim();
    inputs.condition.removeAttribute("aria-invalid");
    verdict.className = "hint condition-verdict";
    if (!text) return verdict.replaceChildren();
    try {
      await api.get(`/api/v1/policies/validation/condition/${segment(text)}`);
      verdict.textContent = "The server accepts this condition.";
      verdict.classList.add("ok");
    } catch (error) {
      verdict.textContent = error.message;
      verdict.classList.add("error");
      inputs.condition.setAttribute("aria-invalid", "true");
    }
  });
  inputs.condition.setAttribute("aria-errormessage", verdict.id);
  const set = h(
    "fieldset",
    { class: "rule stack" },
    h("legend", {}, `Rule ${rule.name || "(new)"}`),
    h("div", { class: "grid-2" }, field("Name", inputs.name), field("Effect", inputs.effect)),
    field("Resources", inputs.resources, "Entity types, separated by commas: table, databaseSchema, user, … or All."),
    field("Operations", inputs.operations, "For example ViewAll, EditDescription, EditOwners, EditTags, Create, Delete, or All."),
    field(
      "Condition (optional)",
      inputs.condition,
      "Functions such as isOwner(), matchAnyTag('PII.Sensitive'), hasDomain(), joined with && || ! and parentheses. Empty: the rule always applies.",
    ),
    verdict,
    field("Description (optional)", inputs.description),
    h("div", { class: "actions" }, remove),
  );
  inputs.name.addEventListener("input", () => {
    set.querySelector("legend").textContent = `Rule ${inputs.name.value.trim() || "(new)"}`;
    remove.setAttribute("aria-label", `Remove rule ${inputs.name.value.trim() || n}`);
  });
  remove.addEventListener("click", () => onRemove(set));
  return { set, inputs };
}

// The editor: returns its element, and read() for the rules as the API takes them.
export function rulesEditor(rules) {
  const entries = [];
  const holder = h("div", { class: "stack", id: "rule-editor" });
  const add = h("button", { type: "button", class: "secondary", id: "add-rule" }, "Add a rule");
  function remove(set) {
    const at = entries.findIndex((e) => e.set === set);
    entries.splice(at, 1);
    set.remove();
    // The button that had focus is gone: keep the keyboard on the page.
    (entries[Math.min(at, entries.length - 1)]?.inputs.name ?? add).focus();
  }
  function push(rule) {
    const entry = ruleFieldset(rule, remove);
    entries.push(entry);
    holder.append(entry.set);
    return entry;
  }
  for (const rule of rules ?? []) push(rule);
  add.addEventListener("click", () => push({ effect: "allow" }).inputs.name.focus());
  return {
    element: h("div", { class: "stack" }, holder, h("div", { class: "actions" }, add)),
    read() {
      return entries.map(({ inputs }) => {
        const rule = {
          name: inputs.name.value.trim(),
          effect: inputs.effect.value,
          resources: listOf(inputs.resources.value),
          operations: listOf(inputs.operations.value),
        };
        if (inputs.condition.value.trim()) rule.condition = inputs.condition.value.trim();
        if (inputs.description.value.trim()) rule.description = inputs.description.value.trim();
        return rule;
      });
    },
    // The first rule missing something the API requires, and the field to fix.
    incomplete() {
      for (const { inputs } of entries) {
        if (!inputs.name.value.trim()) return ["Every rule needs a name.", inputs.name];
        if (!listOf(inputs.resources.value).length) return [`Rule ${inputs.name.value.trim()}: name at least one resource.`, inputs.resources];
        if (!listOf(inputs.operations.value).length) return [`Rule ${inputs.name.value.trim()}: name at least one operation.`, inputs.operations];
      }
      return null;
    },
  };
}
