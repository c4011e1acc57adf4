// Classifications and their tags: read by everyone their policies allow; administrators add
// classifications and tags, and edit descriptions in place (pages/edit.js).
import { api, segment } from "../api.js";
import { h, link } from "../dom.js";
import { navigate } from "../router.js";
import { badge, breadcrumbs, descriptionCell, pageHeader, pagedTable } from "./common.js";
import { entityEditors, permissionsFor, toggleEditor } from "./edit.js";
import { addForm, nameHint } from "./forms.js";

const classificationPath = (name) => `/classifications/${segment(name)}`;
const tagPath = (fqn) => `/classifications/tag/${segment(fqn)}`;

export async function classificationsPage(ctx) {
  const list = await pagedTable({
    caption: "Classifications",
    headers: ["Classification", "Tags", "Mutually exclusive", "Description"],
    row: (item) => [
      link(classificationPath(item.name), item.displayName || item.name),
      String(item.termCount ?? ""),
      item.mutuallyExclusive ? "Yes" : "No",
      descriptionCell(item.description),
    ],
    fetchPage: (after) => api.get("/api/v1/classifications", { limit: 50, after, fields: "termCount" }),
    empty: "No classifications.",
  });
  const name = h("input", { id: "classification-name", type: "text", autocomplete: "off" });
  const text = h("textarea", { id: "classification-description", rows: "3" });
  const exclusive = h("input", { id: "classification-exclusive", type: "checkbox" });
  return h(
    "section",
    { class: "page" },
    pageHeader("Classifications"),
    h("p", {}, "A classification groups tags (PII, Tier, your own); a mutually exclusive one allows one of its tags per entity."),
    ctx.me?.isAdmin
      ? addForm({
          id: "add-classification",
          title: "Add a classification",
          fields: [
            ["name", "Name", name, nameHint("classification")],
            ["description", "Description (Markdown)", text],
            ["mutuallyExclusive", "Mutually exclusive", exclusive],
          ],
          submit: async (values) => {
            const saved = await api.post("/api/v1/classifications", values);
            navigate(classificationPath(saved.name));
          },
        })
      : null,
    list,
  );
}

function addTagForm(classification, parent) {
  const name = h("input", { id: "tag-name", type: "text", autocomplete: "off" });
  const text = h("textarea", { id: "tag-description", rows: "3" });
  return addForm({
    id: "add-tag",
    title: parent ? "Add a tag under this one" : "Add a tag",
    fields: [
      ["name", "Name", name, nameHint("tag")],
      ["description", "Description (Markdown)", text],
    ],
    submit: async (values) => {
      const body = { ...values, classification: classification.name };
      if (parent) body.parent = parent.fullyQualifiedName;
      const saved = await api.post("/api/v1/tags", body);
      navigate(tagPath(saved.fullyQualifiedName));
    },
  });
}

function tagTable(filter, empty) {
  return pagedTable({
    caption: "Tags",
    headers: ["Tag", "Labels", "Description"],
    row: (tag) => [
      [link(tagPath(tag.fullyQualifiedName), tag.fullyQualifiedName), tag.disabled ? [" ", badge("disabled")] : null],
      String(tag.usageCount ?? 0),
      descriptionCell(tag.description),
    ],
    fetchPage: (after) => api.get("/api/v1/tags", { ...filter, limit: 50, after, fields: "usageCount" }),
    empty,
  });
}

export async function classificationPage(ctx, { params }) {
  const classification = await api.get(`/api/v1/classifications/name/${segment(params.name)}`, { fields: "termCount" });
  const tags = await tagTable({ parent: classification.name }, "No tags yet.");
  const can = await permissionsFor("classification", classification);
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Classifications", "/classifications"],
      [classification.name, ""],
    ]),
    pageHeader(
      classification.displayName || classification.name,
      h("p", { class: "muted" }, `Classification${classification.mutuallyExclusive ? " · mutually exclusive" : ""}`),
    ),
    entityEditors("classification", classification, { owners: false, can }),
    toggleEditor({
      type: "classification",
      entity: classification,
      path: "/mutuallyExclusive",
      label: "Mutually exclusive (one of its tags per entity)",
      canEdit: can("EditAll"),
    }),
    h("h2", {}, "Tags"),
    ctx.me?.isAdmin ? addTagForm(classification, null) : null,
    tags,
  );
}

export async function tagPage(ctx, { params }) {
  const tag = await api.get(`/api/v1/tags/name/${segment(params.fqn)}`, { fields: "usageCount,children" });
  const crumbs = [
    ["Classifications", "/classifications"],
    [tag.classification.name, classificationPath(tag.classification.name)],
  ];
  if (tag.parent) crumbs.push([tag.parent.name, tagPath(tag.parent.fullyQualifiedName)]);
  crumbs.push([tag.name, ""]);
  const below = await tagTable({ directChildrenOf: tag.fullyQualifiedName }, "No tags under it.");
  const can = await permissionsFor("tag", tag);
  return h(
    "section",
    { class: "page" },
    breadcrumbs(crumbs),
    pageHeader(tag.displayName || tag.name, h("p", { class: "muted fqn" }, tag.fullyQualifiedName)),
    entityEditors("tag", tag, { owners: false, can }),
    toggleEditor({ type: "tag", entity: tag, path: "/disabled", label: "Disabled (no new labels)", canEdit: can("EditAll") }),
    h("p", { id: "tag-usage" }, `${tag.usageCount ?? 0} labels carry it or a tag below it.`),
    h("h2", {}, "Tags under it"),
    ctx.me?.isAdmin ? addTagForm(tag.classification, tag) : null,
    below,
  );
}
