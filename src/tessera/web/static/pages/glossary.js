// Glossaries and their terms: read by everyone their policies allow; administrators add
// glossaries and terms. Descriptions and owners are edited in place (pages/edit.js); a term's
// page is pages/glossary_term.js.
import { api, segment } from "../api.js";
import { h, link } from "../dom.js";
import { navigate } from "../router.js";
import { badge, breadcrumbs, descriptionCell, pageHeader, pagedTable } from "./common.js";
import { entityEditors, permissionsFor } from "./edit.js";
import { addForm, nameHint } from "./forms.js";

export const glossaryPath = (name) => `/glossary/${segment(name)}`;
export const termPath = (fqn) => `/glossary/term/${segment(fqn)}`;

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

export function addTermForm(glossary, parent) {
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
  const can = await permissionsFor("glossary", glossary);
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
    entityEditors("glossary", glossary, { can }),
    h("h2", {}, "Terms"),
    ctx.me?.isAdmin ? addTermForm(glossary, null) : null,
    terms,
  );
}
