// Editing where people read: description, owners, tier, tags and glossary terms of an entity or
// of a table's column. Every change is one JSON Patch (RFC 6902) sent with If-Match: the version
// the page shows, so a change someone made meanwhile is a 412 that is explained, not lost.
//
// Who may edit is the server's decision (roles, policies and their conditions such as isOwner()
// or matchAnyTag(), which the browser cannot evaluate faithfully). The page asks the server
// (permissionsFor) and shows the controls of the changes it allows; should that change before a
// save (a role taken away meanwhile), the refusal is shown next to the control in the server's
// words (403: what would be needed, who was refused).
import { ApiError, api, segment } from "../api.js";
import { field, h, message } from "../dom.js";
import { markdown } from "../markdown.js";
import { badge } from "./common.js";

export const COLLECTIONS = {
  table: "tables",
  database: "databases",
  databaseSchema: "databaseSchemas",
  glossary: "glossaries",
  glossaryTerm: "glossaryTerms",
  classification: "classifications",
  tag: "tags",
  team: "teams",
  user: "users",
};

const NOUNS = { databaseSchema: "schema", glossaryTerm: "term" };

// What went wrong with an edit, in words: a conflict says what to do about it.
export function editError(error, type) {
  if (error instanceof ApiError && error.status === 412) {
    const noun = NOUNS[type] ?? type;
    return message(
      "error",
      h("strong", {}, `Someone changed this ${noun} since you opened it: reload. `),
      "Your change was not saved, so that theirs is not overwritten. ",
      h("button", { type: "button", class: "secondary reload", onclick: () => location.reload() }, "Reload"),
      h("span", { class: "muted" }, ` (${error.message})`),
    );
  }
  if (error instanceof ApiError && error.status === 403) {
    return message("error", h("strong", {}, "403 Forbidden. "), error.message);
  }
  return message("error", error.message ?? String(error));
}

// The disabled Save button lost focus: it goes to the error, which is read out (role=alert).
export function showError(status, shown) {
  status.replaceChildren(shown);
  shown.setAttribute("tabindex", "-1");
  shown.focus();
}

// What the signed-in person may change on an entity: `can("EditTags")` is the server's answer
// (GET /api/v1/permissions/<type>/<id>), decided as a write on this entity would be.
export async function permissionsFor(type, entity) {
  const answer = await api.get(`/api/v1/permissions/${type}/${segment(entity.id)}`);
  const allowed = new Set((answer.permissions ?? []).filter((p) => p.access === "allow").map((p) => p.operation));
  return (operation) => allowed.has(operation);
}

// Patches `entity` (of `type`) at the version shown; resolves the entity as saved.
export function patchEntity(type, entity, operations) {
  return api.patchAt(`/api/v1/${COLLECTIONS[type]}/${segment(entity.id)}`, entity.version, operations);
}

// Names to pick from while typing (a <datalist>), from the search API: a few hits, so the cost
// does not grow with the catalog. `index()` names the search index to ask; `value` what to offer.
const SUGGESTIONS = 8;
let suggestionIds = 0;

export function withSuggestions(input, index, value = (source) => source.fullyQualifiedName ?? source.name) {
  const list = h("datalist", { id: `${input.id}-suggestions-${++suggestionIds}` });
  input.setAttribute("list", list.id);
  let asked = 0;
  input.addEventListener("input", async () => {
    const text = input.value.trim();
    const mine = ++asked;
    if (text.length < 2) return list.replaceChildren();
    try {
      const answer = await api.get("/api/v1/search/query", { q: `${text}*`, index: index(), size: SUGGESTIONS });
      if (mine !== asked) return; // a later keystroke asked again
      list.replaceChildren(...(answer.hits?.hits ?? []).map((hit) => h("option", { value: value(hit._source) })));
    } catch {
      // Suggestions are a convenience: typing the full name still works.
      list.replaceChildren();
    }
  });
  return [input, list];
}

// A labelled field whose input sits with other parts (its suggestions, a type select).
export function fieldFor(label, input, ...parts) {
  return h("div", { class: "field" }, h("label", { for: input.id }, label), ...parts);
}

// A label as written back: what the server needs (it fills in name, description and style).
export function labelOf(tagFQN, source) {
  return { tagFQN, source, labelType: "Manual", state: "Confirmed" };
}

function plainLabel(label) {
  return labelOf(label.tagFQN, label.source);
}

export function isTier(label) {
  return label.source === "Classification" && label.tagFQN.startsWith("Tier.");
}

// Which control gets focus back once the page shows the saved entity (the one that was used;
// a Save button is gone by then).
let returnFocusTo = null;

// Names the control to give focus back to once the page is drawn again after a change.
export function focusLater(id) {
  returnFocusTo = id;
}

export function restoreFocus() {
  // The control may not be on the page yet (the tier select loads its choices first).
  const target = returnFocusTo && document.getElementById(returnFocusTo);
  if (!target) return;
  returnFocusTo = null;
  target.focus();
}

// One editable block: a view, an Edit button, and (while editing) a form; errors stay next to it.
// Without `allowed`, only the view.
export function editable({ id, type, label, view, form, onSave, allowed }) {
  if (!allowed) return h("div", { class: "editable", id }, view);
  const status = h("div", { class: "edit-status" });
  const edit = h("button", { type: "button", class: "secondary edit-button", id: `${id}-edit` }, label);
  const box = h("div", { class: "editable", id }, view, h("div", { class: "edit-actions" }, edit), status);
  edit.addEventListener("click", () => {
    const { el, value, focus } = form();
    const save = h("button", { type: "submit", class: "primary", id: `${id}-save` }, "Save");
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const editor = h("form", { class: "edit-form" }, el, h("div", { class: "actions" }, cancel, save));
    cancel.addEventListener("click", () => {
      editor.replaceWith(view);
      edit.hidden = false;
      status.replaceChildren();
      edit.focus();
    });
    editor.addEventListener("submit", async (event) => {
      event.preventDefault();
      returnFocusTo = edit.id;
      save.disabled = true;
      status.replaceChildren(message("info", "Saving…"));
      try {
        await onSave(value());
      } catch (error) {
        showError(status, editError(error, type));
        save.disabled = false;
      }
    });
    view.replaceWith(editor);
    edit.hidden = true;
    focus();
  });
  return box;
}

// The description, rendered as Markdown, with an editor for its source.
export function descriptionEditor({ type, entity, onSaved, can, id = `${type}-description` }) {
  const view = entity.description
    ? markdown(entity.description, { class: "description", id: `${id}-text` })
    : h("p", { class: "description muted", id: `${id}-text` }, "No description.");
  return editable({
    id,
    type,
    label: "Edit description",
    view,
    allowed: can("EditDescription"),
    form: () => {
      const textarea = h("textarea", { rows: "6", id: `${id}-input` }, entity.description ?? "");
      return {
        el: field("Description (Markdown)", textarea, "**bold**, _italic_, `code`, [links](https://…), lists and tables."),
        value: () => textarea.value,
        focus: () => textarea.focus(),
      };
    },
    onSave: async (text) => onSaved(await patchEntity(type, entity, [{ op: "add", path: "/description", value: text }])),
  });
}

function ownerText(owner) {
  return `${owner.displayName || owner.name} (${owner.type})`;
}

// Owners: users and teams. Inherited ones (from the schema or database above, while the entity
// has none of its own) are marked and cannot be removed here: they are changed where they are set.
export function ownersEditor({ type, entity, onSaved, can }) {
  const list = entity.owners ?? [];
  const view = h(
    "ul",
    { class: "owners", id: "owners-list" },
    list.length
      ? list.map((owner) =>
          h("li", {}, ownerText(owner), owner.inherited ? [" ", badge("inherited", "inherited")] : null),
        )
      : h("li", { class: "muted" }, "No owner"),
  );
  return editable({
    id: "owners",
    type,
    label: "Edit owners",
    view,
    allowed: can("EditOwners"),
    form: () => {
      const own = list.filter((owner) => !owner.inherited);
      const kept = own.map((owner) => ({ owner, box: h("input", { type: "checkbox", checked: true }) }));
      const name = h("input", { id: "owner-name", type: "text", autocomplete: "off", placeholder: "user or team name" });
      const kind = h(
        "select",
        { id: "owner-type", "aria-label": "Owner type" },
        h("option", { value: "user" }, "User"),
        h("option", { value: "team" }, "Team"),
      );
      const el = h(
        "div",
        {},
        h(
          "fieldset",
          {},
          h("legend", {}, "Owners (untick to remove)"),
          kept.length ? kept.map(({ owner, box }) => h("label", { class: "check" }, box, ownerText(owner))) : h("p", { class: "muted" }, "None set here."),
          list.filter((owner) => owner.inherited).map((owner) => h("p", { class: "muted" }, `${ownerText(owner)}: inherited, changed on the parent; an owner added here takes its place`)),
        ),
        fieldFor("Add an owner", name, h("div", { class: "inline" }, withSuggestions(name, () => `${kind.value}_search_index`, (source) => source.name), kind)),
      );
      return {
        el,
        value: () => ({ kept: kept.filter(({ box }) => box.checked).map(({ owner }) => owner), name: name.value.trim(), kind: kind.value }),
        focus: () => (kept[0]?.box ?? name).focus(),
      };
    },
    onSave: async ({ kept, name, kind }) => {
      const owners = kept.map((owner) => ({ id: owner.id, type: owner.type }));
      if (name) {
        const found = await api.get(`/api/v1/${kind === "team" ? "teams" : "users"}/name/${segment(name)}`).catch((error) => {
          if (error.status === 404) throw new ApiError(404, `No ${kind} is called ${name}.`);
          throw error;
        });
        if (!owners.some((owner) => owner.id === found.id)) owners.push({ id: found.id, type: kind });
      }
      onSaved(await patchEntity(type, entity, [{ op: "add", path: "/owners", value: owners }]));
    },
  });
}

// The Tier: one select of the Tier classification's tags, saved as the entity's Tier.* label.
export async function tierEditor({ type, entity, onSaved, can }) {
  const current = (entity.tags ?? []).find(isTier)?.tagFQN ?? "";
  if (!can("EditTags")) {
    return h("span", { id: "tier", class: current ? null : "muted" }, current ? current.slice("Tier.".length) : "No tier");
  }
  const tiers = await api.get("/api/v1/tags", { parent: "Tier", limit: 50 });
  const select = h(
    "select",
    { id: "tier" },
    h("option", { value: "" }, "No tier"),
    (tiers.data ?? []).map((tag) => h("option", { value: tag.fullyQualifiedName, selected: tag.fullyQualifiedName === current }, tag.displayName || tag.name)),
  );
  const status = h("div", { class: "edit-status" });
  select.addEventListener("change", async () => {
    const labels = (entity.tags ?? []).filter((label) => !isTier(label)).map(plainLabel);
    if (select.value) labels.push(labelOf(select.value, "Classification"));
    returnFocusTo = "tier";
    select.disabled = true;
    try {
      onSaved(await patchEntity(type, entity, [{ op: "add", path: "/tags", value: labels }]));
    } catch (error) {
      select.disabled = false;
      showError(status, editError(error, type));
    }
  });
  return h("div", { class: "editable" }, h("label", { for: "tier", class: "visually-hidden" }, "Tier"), select, status);
}

// Tags (classifications) and glossary terms as chips.
export function labelChips(labels, id) {
  const shown = (labels ?? []).filter((label) => !isTier(label));
  if (!shown.length) return h("span", { class: "muted", id }, "None");
  return h(
    "ul",
    { class: "tags", id, "aria-label": "Tags and glossary terms" },
    shown.map((label) =>
      h("li", {}, badge(label.tagFQN, label.source === "Glossary" ? "term" : "tag")),
    ),
  );
}

// A form part: the labels to keep (checkboxes) and a tag and a glossary term to add.
function labelsForm(labels, prefix) {
  const kept = (labels ?? [])
    .filter((label) => !isTier(label))
    .map((label) => ({ label, box: h("input", { type: "checkbox", checked: true }) }));
  const tag = h("input", { id: `${prefix}-add-tag`, type: "text", autocomplete: "off", placeholder: "PII.Sensitive" });
  const term = h("input", { id: `${prefix}-add-term`, type: "text", autocomplete: "off", placeholder: "Glossary.Term" });
  const el = h(
    "div",
    {},
    h(
      "fieldset",
      {},
      h("legend", {}, "Tags and glossary terms (untick to remove)"),
      kept.length
        ? kept.map(({ label, box }) =>
            h("label", { class: "check" }, box, label.tagFQN, label.source === "Glossary" ? " (term)" : ""),
          )
        : h("p", { class: "muted" }, "None yet."),
    ),
    fieldFor("Add a tag (its full name)", tag, withSuggestions(tag, () => "tag_search_index")),
    fieldFor("Add a glossary term (its full name)", term, withSuggestions(term, () => "glossary_term_search_index")),
  );
  return {
    el,
    focus: () => (kept[0]?.box ?? tag).focus(),
    // The labels to save: kept ones, then the ones typed, each checked to exist first so that a
    // typo is named instead of the server's generic refusal.
    async labels(original) {
      const result = kept.filter(({ box }) => box.checked).map(({ label }) => plainLabel(label));
      const tiers = (original ?? []).filter(isTier).map(plainLabel);
      for (const [input, source, collection, noun] of [
        [tag, "Classification", "tags", "tag"],
        [term, "Glossary", "glossaryTerms", "glossary term"],
      ]) {
        const fqn = input.value.trim();
        if (!fqn) continue;
        await api.get(`/api/v1/${collection}/name/${segment(fqn)}`).catch((error) => {
          if (error.status === 404) throw new ApiError(404, `There is no ${noun} ${fqn}.`);
          throw error;
        });
        if (!result.some((label) => label.tagFQN === fqn)) result.push(labelOf(fqn, source));
      }
      return [...tiers, ...result];
    },
  };
}

export function labelsEditor({ type, entity, onSaved, can }) {
  return editable({
    id: `${type}-tags`,
    type,
    label: "Edit tags",
    allowed: can("EditTags"),
    view: labelChips(entity.tags, "tags"),
    form: () => {
      const part = labelsForm(entity.tags, "entity");
      return { el: part.el, focus: part.focus, value: () => part };
    },
    onSave: async (part) => {
      const labels = await part.labels(entity.tags);
      onSaved(await patchEntity(type, entity, [{ op: "add", path: "/tags", value: labels }]));
    },
  });
}

// A column's description, tags and terms, edited in a dialog opened from its row.
export function columnEditButton({ table, index, onSaved }) {
  const column = table.columns[index];
  const button = h(
    "button",
    { type: "button", class: "secondary small column-edit", id: `column-edit-${index}`, "aria-label": `Edit column ${column.name}` },
    "Edit",
  );
  button.addEventListener("click", () => {
    const textarea = h("textarea", { rows: "4", id: "column-description" }, column.description ?? "");
    const part = labelsForm(column.tags, "column");
    const status = h("div", { class: "edit-status" });
    const save = h("button", { type: "submit", class: "primary", id: "column-save" }, "Save");
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": "column-dialog-title" },
      h(
        "form",
        {},
        h("h2", { id: "column-dialog-title" }, `Column ${column.name}`),
        field("Description (Markdown)", textarea),
        part.el,
        status,
        h("div", { class: "actions" }, cancel, save),
      ),
    );
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      button.focus();
    });
    dialog.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        const labels = await part.labels(column.tags);
        const path = `/columns/${index}`;
        const saved = await patchEntity("table", table, [
          { op: "add", path: `${path}/description`, value: textarea.value },
          { op: "add", path: `${path}/tags`, value: labels },
        ]);
        returnFocusTo = button.id;
        dialog.close();
        onSaved(saved);
      } catch (error) {
        showError(status, editError(error, "table"));
        save.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    textarea.focus();
  });
  return button;
}

// The description (and owners, and with `labels` the tier and tags) of a page's entity, shown
// again as saved after each edit: for the database, schema, glossary, classification and tag
// pages. `can` is what the person may change (permissionsFor), asked again after each save
// (becoming an owner may allow more).
export function entityEditors(type, entity, { owners = true, labels = false, can } = {}) {
  const box = h("div", { class: "entity-editors" });
  const render = (current, allowed) => {
    const onSaved = async (saved) => render(saved, await permissionsFor(type, saved).catch(() => allowed));
    // replaceChildren would write a null as the text "null".
    const parts = [descriptionEditor({ type, entity: current, onSaved, can: allowed })];
    if (owners) {
      parts.push(h("dl", { class: "facts" }, h("dt", {}, "Owners"), h("dd", { id: "owner" }, ownersEditor({ type, entity: current, onSaved, can: allowed }))));
    }
    if (labels) {
      // The tier's choices load first; focus comes back to it once it is drawn.
      const tier = h("dd", { id: "tier-cell" });
      tierEditor({ type, entity: current, onSaved, can: allowed })
        .then((el) => {
          tier.replaceChildren(el);
          restoreFocus();
        })
        .catch((error) => tier.replaceChildren(message("error", error.message)));
      parts.push(
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Tier"),
          tier,
          h("dt", {}, "Tags"),
          h("dd", {}, labelsEditor({ type, entity: current, onSaved, can: allowed })),
        ),
      );
    }
    box.replaceChildren(...parts);
    restoreFocus();
  };
  render(entity, can);
  return box;
}

// A yes/no field of an entity (a classification's mutuallyExclusive, a tag's disabled), saved
// as soon as it changes; shown as text to those who may not change it.
export function toggleEditor({ type, entity, path, label, canEdit }) {
  const id = `${type}-${path.slice(1)}`;
  if (!canEdit) return h("p", { id }, `${label}: ${entity[path.slice(1)] ? "yes" : "no"}`);
  let current = entity;
  const box = h("input", { type: "checkbox", id, checked: Boolean(entity[path.slice(1)]) });
  const status = h("div", { class: "edit-status" });
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      current = await patchEntity(type, current, [{ op: "add", path, value: box.checked }]);
      status.replaceChildren(message("success", box.checked ? `${label}: yes. Saved.` : `${label}: no. Saved.`));
    } catch (error) {
      box.checked = !box.checked;
      showError(status, editError(error, type));
    }
    box.disabled = false;
    box.focus();
  });
  return h("div", { class: "editable" }, h("label", { class: "check" }, box, label), status);
}
