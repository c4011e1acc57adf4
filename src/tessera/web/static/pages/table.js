// A table: its columns (type, constraints, description), owner, tags and version history.
import { api, segment } from "../api.js";
import { formatTime, h, link } from "../dom.js";
import { badge, breadcrumbs, description, pageHeader, tableTypeLabel } from "./common.js";

function columnType(column) {
  if (column.dataTypeDisplay) return column.dataTypeDisplay;
  const length = column.dataLength ? `(${column.dataLength})` : "";
  return `${column.dataType ?? ""}${length}`;
}

const CONSTRAINT_LABELS = {
  PRIMARY_KEY: "Primary key",
  UNIQUE: "Unique",
  NOT_NULL: "Not null",
  NULL: "Nullable",
  FOREIGN_KEY: "Foreign key",
};

function constraintsOf(table) {
  const byColumn = new Map();
  const add = (name, label) => byColumn.set(name, [...(byColumn.get(name) ?? []), label]);
  for (const column of table.columns ?? []) {
    if (column.constraint) add(column.name, CONSTRAINT_LABELS[column.constraint] ?? column.constraint);
  }
  for (const constraint of table.tableConstraints ?? []) {
    const label = CONSTRAINT_LABELS[constraint.constraintType] ?? constraint.constraintType;
    const target = constraint.referredColumns?.length ? ` → ${constraint.referredColumns.join(", ")}` : "";
    for (const name of constraint.columns ?? []) add(name, `${label}${target}`);
  }
  return byColumn;
}

function tagList(tags) {
  if (!tags?.length) return null;
  return h(
    "ul",
    { class: "tags", "aria-label": "Tags" },
    tags.map((tag) => h("li", {}, badge(tag.tagFQN, "tag"))),
  );
}

function owners(table) {
  const list = table.owners ?? (table.owner ? [table.owner] : []);
  if (!list.length) return h("span", { class: "muted" }, "No owner");
  return list.map((owner, i) => [i ? ", " : "", owner.displayName || owner.name, ` (${owner.type})`]);
}

function columnsTable(table) {
  const constraints = constraintsOf(table);
  const tagged = (table.columns ?? []).some((column) => column.tags?.length);
  const headers = ["Column", "Type", "Constraints", "Description", ...(tagged ? ["Tags"] : [])];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id: "columns" },
      h("caption", { class: "visually-hidden" }, "Columns"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headers.map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        (table.columns ?? []).map((column) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, column.displayName || column.name),
            h("td", {}, h("code", {}, columnType(column))),
            h("td", {}, (constraints.get(column.name) ?? []).join(", ")),
            h("td", {}, column.description ?? ""),
            tagged ? h("td", {}, tagList(column.tags)) : null,
          ),
        ),
      ),
    ),
  );
}

// A view's SQL as the source gave it (schemaDefinition), as plain text: no highlighter needed,
// and nothing in it is ever parsed as HTML.
function viewDefinition(table) {
  if (!table.schemaDefinition) return null;
  const label = table.tableType === "View" || table.tableType === "MaterializedView" ? "View definition" : "Definition";
  return h(
    "section",
    { "aria-labelledby": "definition-heading" },
    h("h2", { id: "definition-heading" }, label),
    h("pre", { class: "sql", id: "view-sql", tabindex: "0", "aria-label": `${label} (SQL)` }, h("code", {}, table.schemaDefinition)),
  );
}

function changeSummary(change) {
  if (!change) return "Created";
  const parts = [];
  for (const [key, verb] of [
    ["fieldsAdded", "added"],
    ["fieldsUpdated", "changed"],
    ["fieldsDeleted", "removed"],
  ]) {
    const names = (change[key] ?? []).map((f) => f.name);
    if (names.length) parts.push(`${verb} ${names.join(", ")}`);
  }
  return parts.length ? parts.join("; ") : "No field changes";
}

function versionsList(history) {
  const versions = (history.versions ?? []).map((v) => (typeof v === "string" ? JSON.parse(v) : v));
  return h(
    "ol",
    { class: "versions", id: "versions", reversed: true },
    versions.map((version) =>
      h(
        "li",
        {},
        h("strong", {}, `Version ${Number(version.version).toFixed(1)}`),
        ` · ${formatTime(version.updatedAt)} · ${version.updatedBy ?? ""}`,
        h("div", { class: "muted" }, changeSummary(version.changeDescription)),
      ),
    ),
  );
}

export async function tablePage(_ctx, { params }) {
  const table = await api.get(`/api/v1/tables/name/${segment(params.fqn)}`, { fields: "*" });
  const history = await api.get(`/api/v1/tables/${segment(table.id)}/versions`);
  const crumbs = [["Browse", "/browse"]];
  if (table.service)
    crumbs.push([table.service.name, `/services/${segment(table.service.fullyQualifiedName)}`]);
  if (table.database)
    crumbs.push([table.database.name, `/databases/${segment(table.database.fullyQualifiedName)}`]);
  if (table.databaseSchema) {
    crumbs.push([table.databaseSchema.name, `/schemas/${segment(table.databaseSchema.fullyQualifiedName)}`]);
  }
  crumbs.push([table.name, ""]);
  return h(
    "section",
    { class: "page" },
    breadcrumbs(crumbs),
    pageHeader(table.displayName || table.name, h("p", { class: "muted fqn" }, table.fullyQualifiedName)),
    description(table.description),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Owner"),
      h("dd", { id: "owner" }, owners(table)),
      h("dt", {}, "Type"),
      h("dd", { id: "table-type" }, tableTypeLabel(table.tableType)),
      h("dt", {}, "Version"),
      h("dd", {}, Number(table.version).toFixed(1)),
      h("dt", {}, "Updated"),
      h("dd", {}, `${formatTime(table.updatedAt)} by ${table.updatedBy ?? "?"}`),
      table.tags?.length ? [h("dt", {}, "Tags"), h("dd", { id: "tags" }, tagList(table.tags))] : null,
    ),
    h("h2", {}, `Columns (${(table.columns ?? []).length})`),
    columnsTable(table),
    viewDefinition(table),
    h("h2", {}, "Version history"),
    versionsList(history),
    h("p", {}, link(`/explore?q=${encodeURIComponent(table.name)}`, "Search for similar names")),
  );
}
