// A glossary term's page: its description and owners, status, reviewers, synonyms and related
// terms, each edited in place, and the terms under it. Every edit is a patch of the version on
// screen; after one the whole term is read again and drawn, so the next edit is made on the
// version just saved (and the related terms' names are the server's).
import { ApiError, api, segment } from "../api.js";
import { h, link } from "../dom.js";
import { breadcrumbs, pageHeader } from "./common.js";
import {
  descriptionEditor,
  editError,
  editable,
  fieldFor,
  ownersEditor,
  patchEntity,
  permissionsFor,
  restoreFocus,
  showError,
  withSuggestions,
} from "./edit.js";
import { addTermForm, glossaryPath, termPath } from "./glossary.js";

const TERM_FIELDS = "owners,relatedTerms,children,reviewers,synonyms,parent";

// OpenMetadata's EntityStatus, in the order a term goes through it.
const STATUSES = ["Draft", "In Review", "Approved", "Deprecated", "Rejected", "Archived"];

function relatedRefs(term) {
  return (term.relatedTerms ?? []).map((relation) => relation.term ?? relation);
}

function refs(list, empty) {
  if (!list?.length) return h("span", { class: "muted" }, empty);
  return list.map((ref, i) => [i ? ", " : "", link(termPath(ref.fullyQualifiedName), ref.displayName || ref.name)]);
}

function personText(ref) {
  return `${ref.displayName || ref.name} (${ref.type})`;
}

// The status, one select saved as soon as it changes (as the table's Tier).
function statusEditor(term, can, onSaved) {
  const current = term.entityStatus ?? "";
  if (!can("EditAll")) return h("span", { id: "term-status" }, current);
  const choices = STATUSES.includes(current) || !current ? STATUSES : [current, ...STATUSES];
  const select = h(
    "select",
    { id: "term-status" },
    choices.map((status) => h("option", { value: status, selected: status === current }, status)),
  );
  const status = h("div", { class: "edit-status" });
  select.addEventListener("change", async () => {
    select.disabled = true;
    try {
      await patchEntity("glossaryTerm", term, [{ op: "add", path: "/entityStatus", value: select.value }]);
      await onSaved("term-status");
    } catch (error) {
      select.value = current;
      select.disabled = false;
      showError(status, editError(error, "glossaryTerm"));
    }
  });
  return h("div", { class: "editable" }, h("label", { for: "term-status", class: "visually-hidden" }, "Status"), select, status);
}

// Reviewers: users or teams who approve the term's changes. Named like owners, and checked to
// exist before the patch, so that a typo is named.
function reviewersEditor(term, can, onSaved) {
  const list = term.reviewers ?? [];
  const view = h(
    "ul",
    { class: "owners", id: "reviewers-list" },
    list.length ? list.map((ref) => h("li", {}, personText(ref))) : h("li", { class: "muted" }, "No reviewers"),
  );
  return editable({
    id: "reviewers",
    type: "glossaryTerm",
    label: "Edit reviewers",
    view,
    allowed: can("EditAll"),
    form: () => {
      const kept = list.map((ref) => ({ ref, box: h("input", { type: "checkbox", checked: true }) }));
      const name = h("input", { id: "reviewer-name", type: "text", autocomplete: "off", placeholder: "user or team name" });
      const kind = h(
        "select",
        { id: "reviewer-type", "aria-label": "Reviewer type" },
        h("option", { value: "user" }, "User"),
        h("option", { value: "team" }, "Team"),
      );
      const el = h(
        "div",
        {},
        h(
          "fieldset",
          {},
          h("legend", {}, "Reviewers (untick to remove)"),
          kept.length ? kept.map(({ ref, box }) => h("label", { class: "check" }, box, personText(ref))) : h("p", { class: "muted" }, "None yet."),
        ),
        fieldFor("Add a reviewer", name, h("div", { class: "inline" }, withSuggestions(name, () => `${kind.value}_search_index`, (source) => source.name), kind)),
      );
      return {
        el,
        focus: () => (kept[0]?.box ?? name).focus(),
        value: () => ({ kept: kept.filter(({ box }) => box.checked).map(({ ref }) => ref), name: name.value.trim(), kind: kind.value }),
      };
    },
    onSave: async ({ kept, name, kind }) => {
      const reviewers = kept.map((ref) => ({ id: ref.id, type: ref.type }));
      if (name) {
        const found = await api.get(`/api/v1/${kind === "team" ? "teams" : "users"}/name/${segment(name)}`).catch((error) => {
          if (error.status === 404) throw new ApiError(404, `No ${kind} is called ${name}.`);
          throw error;
        });
        if (!reviewers.some((ref) => ref.id === found.id)) reviewers.push({ id: found.id, type: kind });
      }
      await patchEntity("glossaryTerm", term, [{ op: "add", path: "/reviewers", value: reviewers }]);
      await onSaved();
    },
  });
}

// Synonyms and related terms, edited together in one patch. Relating a term here also lists this
// one on it (the server keeps relations both ways).
function termLinks(term, can, onSaved) {
  const view = h(
    "dl",
    { class: "facts" },
    h("dt", {}, "Synonyms"),
    h("dd", { id: "term-synonyms-list" }, (term.synonyms ?? []).join(", ") || h("span", { class: "muted" }, "None")),
    h("dt", {}, "Related terms"),
    h("dd", { id: "term-related" }, refs(relatedRefs(term), "None")),
  );
  return editable({
    id: "term-links",
    type: "glossaryTerm",
    label: "Edit synonyms and related terms",
    view,
    allowed: can("EditAll"),
    form: () => {
      const synonyms = h("input", { id: "term-synonyms-input", type: "text", value: (term.synonyms ?? []).join(", ") });
      const kept = (term.relatedTerms ?? []).map((relation) => ({ relation, box: h("input", { type: "checkbox", checked: true }) }));
      const add = h("input", { id: "term-related-add", type: "text", autocomplete: "off", placeholder: "Glossary.Term" });
      const el = h(
        "div",
        {},
        fieldFor("Synonyms (comma-separated)", synonyms, synonyms),
        h(
          "fieldset",
          {},
          h("legend", {}, "Related terms (untick to remove)"),
          kept.length ? kept.map(({ relation, box }) => h("label", { class: "check" }, box, relation.term.fullyQualifiedName, ` (${relation.relationType ?? "relatedTo"})`)) : h("p", { class: "muted" }, "None yet."),
        ),
        fieldFor("Relate a term (its full name)", add, withSuggestions(add, () => "glossary_term_search_index")),
      );
      return { el, focus: () => synonyms.focus(), value: () => ({ synonyms, kept, add }) };
    },
    onSave: async ({ synonyms, kept, add }) => {
      // OpenMetadata's TermRelation: a reference to the term (the server fills in the rest and
      // refuses one that does not exist) and the kind of relation.
      const related = kept
        .filter(({ box }) => box.checked)
        .map(({ relation }) => ({ term: { id: relation.term.id, type: "glossaryTerm" }, relationType: relation.relationType ?? "relatedTo" }));
      const fqn = add.value.trim();
      if (fqn) {
        // By name first, so that a typo is named rather than refused by id.
        const other = await api.get(`/api/v1/glossaryTerms/name/${segment(fqn)}`).catch((error) => {
          if (error.status === 404) throw new ApiError(404, `There is no glossary term ${fqn}.`);
          throw error;
        });
        if (!related.some((relation) => relation.term.id === other.id)) {
          related.push({ term: { id: other.id, type: "glossaryTerm" }, relationType: "relatedTo" });
        }
      }
      const words = synonyms.value.split(",").map((word) => word.trim()).filter(Boolean);
      await patchEntity("glossaryTerm", term, [
        { op: "add", path: "/synonyms", value: words },
        { op: "add", path: "/relatedTerms", value: related },
      ]);
      await onSaved();
    },
  });
}

// Status, reviewers, synonyms and related terms change with EditAll, as the server decides it.
function termBody(ctx, term, can, onSaved) {
  // The description and owners editors hand back the saved term; the page reads it again with
  // the fields it shows (the answer to a PATCH holds only the ones asked for by default).
  const saved = () => onSaved();
  return [
    descriptionEditor({ type: "glossaryTerm", entity: term, onSaved: saved, can }),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Owners"),
      h("dd", { id: "owner" }, ownersEditor({ type: "glossaryTerm", entity: term, onSaved: saved, can })),
      h("dt", {}, "Status"),
      h("dd", {}, statusEditor(term, can, onSaved)),
      h("dt", {}, "Reviewers"),
      h("dd", { id: "reviewers-box" }, reviewersEditor(term, can, onSaved)),
      h("dt", {}, "Terms under it"),
      h("dd", { id: "term-children" }, refs(term.children, "None")),
    ),
    termLinks(term, can, onSaved),
    ctx.me?.isAdmin ? addTermForm(term.glossary, term) : null,
  ];
}

export async function termPage(ctx, { params }) {
  const read = (id) =>
    id
      ? api.get(`/api/v1/glossaryTerms/${segment(id)}`, { fields: TERM_FIELDS })
      : api.get(`/api/v1/glossaryTerms/name/${segment(params.fqn)}`, { fields: TERM_FIELDS });
  const term = await read();
  let can = await permissionsFor("glossaryTerm", term);
  const crumbs = [
    ["Glossaries", "/glossary"],
    [term.glossary.name, glossaryPath(term.glossary.name)],
  ];
  if (term.parent) crumbs.push([term.parent.name, termPath(term.parent.fullyQualifiedName)]);
  crumbs.push([term.name, ""]);
  const body = h("div", { class: "term-body" });
  const draw = (current) => {
    body.replaceChildren(...termBody(ctx, current, can, refresh));
  };
  // After a save: the term as stored now, what the person may change now, and focus back on the
  // control that was used.
  async function refresh(focusId) {
    const current = await read(term.id);
    can = await permissionsFor("glossaryTerm", current).catch(() => can);
    draw(current);
    if (focusId) document.getElementById(focusId)?.focus();
    else restoreFocus();
  }
  draw(term);
  return h(
    "section",
    { class: "page" },
    breadcrumbs(crumbs),
    pageHeader(term.displayName || term.name, h("p", { class: "muted fqn" }, term.fullyQualifiedName)),
    body,
  );
}
