// Glossaries and their terms: read by everyone their policies allow; administrators add
// glossaries and terms. Descriptions and owners are edited in place (pages/edit.js).
import { api, segment } from "../api.js";
import { h, link } from "../dom.js";
import { navigate } from "../router.js";
import { badge, breadcrumbs, descriptionCell, pageHeader, pagedTable } from "./common.js";
import { editable, entityEditors, fieldFor, patchEntity, restoreFocus, withSuggestions } from "./edit.js";
import { addForm, nameHint } from "./forms.js";

const glossaryPath = (name) => `/glossary/${segment(name)}`;
const termPath = (fqn) => `/glossary/term/${segment(fqn)}`;

function textInput(id) {
  return h("input", { id, type: "text", autocomplete: "off" });
}

export async function glossariesPage(ctx) {
  const list = await pagedTable({
    caption: "Glossaries",
    headers: ["Glossary", "Terms", "Description"],
    row: (glossary) => [link(glossaryPath(glossary.name), glossary.displayName || glossary.name), String(glossary.termCount ?? ""), descriptionCell(glossary.description)],
    fetchPage: (after) => api.get("/api/v1/glossaries", { limit: 50, after, fields: "termCount" }),
    empty: "No glossaries yet.",
  });
  const name = textInput("glossary-name");
  const text = h("textarea", { id: "glossary-description", rows: "3" });
  return h(
    "section",
    { class: "page" },
    pageHeader("Glossaries"),
    h("p", {}, "A glossary holds the terms the business uses; a term labels tables and columns like a tag."),
    ctx.me?.isAdmin
      ? addForm({
          id: "add-glossary",
          title: "Add a glossary",
          fields: [
            ["name", "Name", name, nameHint("glossary")],
            ["description", "Description (Markdown)", text],
          ],
          submit: async (values) => {
            const saved = await api.post("/api/v1/glossaries", values);
            navigate(glossaryPath(saved.name));
          },
        })
      : null,
    list,
  );
}

function termRows(fetchPage, empty) {
  return pagedTable({
    caption: "Terms",
    headers: ["Term", "Status", "Synonyms", "Description"],
    row: (term) => [
      link(termPath(term.fullyQualifiedName), term.displayName || term.name),
      term.entityStatus ? badge(term.entityStatus) : "",
      (term.synonyms ?? []).join(", "),
      descriptionCell(term.description),
    ],
    fetchPage,
    empty,
  });
}

function addTermForm(glossary, parent) {
  const name = textInput("term-name");
  const text = h("textarea", { id: "term-description", rows: "3" });
  const synonyms = textInput("term-synonyms");
  return addForm({
    id: "add-term",
    title: parent ? "Add a term under this one" : "Add a term",
    fields: [
      ["name", "Name", name, "As people say it; a name with a dot is quoted in the term's full name."],
      ["description", "Description (Markdown)", text],
      ["synonyms", "Synonyms (comma-separated)", synonyms],
    ],
    submit: async (values) => {
      const body = {
        name: values.name,
        description: values.description,
        glossary: glossary.fullyQualifiedName ?? glossary.name,
        synonyms: values.synonyms ? values.synonyms.split(",").map((s) => s.trim()).filter(Boolean) : [],
      };
      if (parent) body.parent = parent.fullyQualifiedName;
      const saved = await api.post("/api/v1/glossaryTerms", body);
      navigate(termPath(saved.fullyQualifiedName));
    },
  });
}

export async function glossaryPage(ctx, { params }) {
  const glossary = await api.get(`/api/v1/glossaries/name/${segment(params.name)}`, { fields: "owners,termCount" });
  const terms = await termRows(
    (after) => api.get("/api/v1/glossaryTerms", { directChildrenOf: glossary.fullyQualifiedName, limit: 50, after }),
    "No terms yet.",
  );
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Glossaries", "/glossary"],
      [glossary.name, ""],
    ]),
    pageHeader(glossary.displayName || glossary.name, h("p", { class: "muted" }, `Glossary · ${glossary.termCount ?? 0} terms`)),
    entityEditors("glossary", glossary),
    h("h2", {}, "Terms"),
    ctx.me?.isAdmin ? addTermForm(glossary, null) : null,
    terms,
  );
}

function relatedRefs(term) {
  return (term.relatedTerms ?? []).map((relation) => relation.term ?? relation);
}

function refs(list, empty) {
  if (!list?.length) return h("span", { class: "muted" }, empty);
  return list.map((ref, i) => [i ? ", " : "", link(termPath(ref.fullyQualifiedName), ref.displayName || ref.name)]);
}

const TERM_FIELDS = "owners,relatedTerms,children,reviewers,synonyms,parent";

// Synonyms and related terms, edited together in one patch. Relating a term here also lists this
// one on it (the server keeps relations both ways).
function termLinks(term) {
  const box = h("div", { id: "term-links" });
  const render = (current) => {
    const view = h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Synonyms"),
      h("dd", { id: "term-synonyms-list" }, (current.synonyms ?? []).join(", ") || h("span", { class: "muted" }, "None")),
      h("dt", {}, "Related terms"),
      h("dd", { id: "term-related" }, refs(relatedRefs(current), "None")),
    );
    box.replaceChildren(
      editable({
        id: "term-links",
        type: "glossaryTerm",
        label: "Edit synonyms and related terms",
        view,
        form: () => {
          const synonyms = h("input", { id: "term-synonyms-input", type: "text", value: (current.synonyms ?? []).join(", ") });
          const kept = (current.relatedTerms ?? []).map((relation) => ({ relation, box: h("input", { type: "checkbox", checked: true }) }));
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
          // OpenMetadata's TermRelation: the term's whole reference (stored as sent, so with its
          // name) and the kind of relation.
          const related = kept
            .filter(({ box }) => box.checked)
            .map(({ relation }) => ({ term: relation.term, relationType: relation.relationType ?? "relatedTo" }));
          const fqn = add.value.trim();
          if (fqn) {
            const other = await api.get(`/api/v1/glossaryTerms/name/${segment(fqn)}`);
            if (!related.some((relation) => relation.term.id === other.id)) {
              const term = { id: other.id, type: "glossaryTerm", name: other.name, fullyQualifiedName: other.fullyQualifiedName };
              related.push({ term, relationType: "relatedTo" });
            }
          }
          const words = synonyms.value.split(",").map((word) => word.trim()).filter(Boolean);
          await patchEntity("glossaryTerm", current, [
            { op: "add", path: "/synonyms", value: words },
            { op: "add", path: "/relatedTerms", value: related },
          ]);
          // The answer to a PATCH names its own fields; read the term again for the references.
          render(await api.get(`/api/v1/glossaryTerms/${segment(current.id)}`, { fields: TERM_FIELDS }));
        },
      }),
    );
    restoreFocus();
  };
  render(term);
  return box;
}

export async function termPage(ctx, { params }) {
  const term = await api.get(`/api/v1/glossaryTerms/name/${segment(params.fqn)}`, { fields: TERM_FIELDS });
  const crumbs = [
    ["Glossaries", "/glossary"],
    [term.glossary.name, glossaryPath(term.glossary.name)],
  ];
  if (term.parent) crumbs.push([term.parent.name, termPath(term.parent.fullyQualifiedName)]);
  crumbs.push([term.name, ""]);
  return h(
    "section",
    { class: "page" },
    breadcrumbs(crumbs),
    pageHeader(term.displayName || term.name, h("p", { class: "muted fqn" }, term.fullyQualifiedName)),
    entityEditors("glossaryTerm", term),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"),
      h("dd", { id: "term-status" }, term.entityStatus ?? ""),
      h("dt", {}, "Terms under it"),
      h("dd", { id: "term-children" }, refs(term.children, "None")),
    ),
    termLinks(term),
    ctx.me?.isAdmin ? addTermForm(term.glossary, term) : null,
  );
}
