// A table: description, owners, tier, tags and glossary terms (each editable in place), and tabs
// for its columns, lineage, sample data, profile and queries; its version history below them. The open tab is in
// the address (?tab=lineage), so a reload or a shared link opens it again.
import { api, segment } from "../api.js";
import { formatTime, h, link, message } from "../dom.js";
import { markdownCell } from "../markdown.js";
import { errorView } from "../layout.js";
import { breadcrumbs, pageHeader, tableTypeLabel } from "./common.js";
import {
  columnEditButton,
  descriptionEditor,
  labelChips,
  labelsEditor,
  ownersEditor,
  permissionsFor,
  restoreFocus,
  tierEditor,
} from "./edit.js";
import { lineageTab } from "./lineage.js";
import { certificationEditor, followAndVote } from "./table_social.js";
import { profileTab, queriesTab, sampleDataTab } from "./table_data.js";

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

// Columns change with EditAll (a patch of /columns), as the server decides it.
function columnsTable(table, can, onSaved) {
  const constraints = constraintsOf(table);
  const headers = ["Column", "Type", "Constraints", "Description", "Tags and terms", ""];
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
        (table.columns ?? []).map((column, index) =>
          h(
            "tr",
            { "data-column": column.name },
            h("th", { scope: "row" }, column.displayName || column.name),
            h("td", {}, h("code", {}, columnType(column))),
            h("td", {}, (constraints.get(column.name) ?? []).join(", ")),
            h("td", { class: "column-description" }, column.description ? markdownCell(column.description) : ""),
            h("td", {}, column.tags?.length ? labelChips(column.tags) : ""),
            h("td", {}, can("EditAll") ? columnEditButton({ table, index, onSaved }) : ""),
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

const TABS = [
  ["columns", "Columns"],
  ["lineage", "Lineage"],
  ["sample", "Sample data"],
  ["profile", "Profile"],
  ["queries", "Queries"],
];

async function tabContent(name, table, can, onSaved) {
  switch (name) {
    case "lineage":
      return lineageTab(table);
    case "sample":
      return sampleDataTab(table);
    case "profile":
      return profileTab(table);
    case "queries":
      return queriesTab(table);
    default:
      return [columnsTable(table, can, onSaved), viewDefinition(table)];
  }
}

// WAI-ARIA tabs: arrow keys move between tabs, the panel loads when its tab is chosen.
function tabs(table, current, can, onSaved) {
  const panel = h("div", { class: "tab-panel", role: "tabpanel", id: "tab-panel", tabindex: "0" });
  const buttons = TABS.map(([name, text]) =>
    h("button", { type: "button", role: "tab", id: `tab-${name}`, "aria-controls": "tab-panel", "data-tab": name }, text),
  );
  async function open(name, focus = false) {
    for (const button of buttons) {
      const selected = button.dataset.tab === name;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
      if (selected && focus) button.focus();
    }
    panel.setAttribute("aria-labelledby", `tab-${name}`);
    const address = new URL(location.href);
    if (name === "columns") address.searchParams.delete("tab");
    else address.searchParams.set("tab", name);
    history.replaceState(history.state, "", address);
    panel.replaceChildren(message("info", "Loading…"));
    panel.dataset.loaded = "";
    try {
      panel.replaceChildren(...[await tabContent(name, table, can, onSaved)].flat().filter(Boolean));
    } catch (error) {
      panel.replaceChildren(error.status === 403 ? errorView(error) : message("error", error.message));
    }
    panel.dataset.loaded = name;
  }
  buttons.forEach((button, i) => {
    button.addEventListener("click", () => open(button.dataset.tab));
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      event.preventDefault();
      open(buttons[(i + step + buttons.length) % buttons.length].dataset.tab, true);
    });
  });
  open(TABS.some(([name]) => name === current) ? current : "columns");
  return [h("div", { class: "tabs", role: "tablist", "aria-label": "Table details" }, buttons), panel];
}

// An editor drawn once its choices are loaded (the tier's, the certification's), then focused if
// the last change was made with it.
function loaded(id, editor) {
  const cell = h("dd", { id });
  editor
    .then((el) => {
      cell.replaceChildren(el);
      restoreFocus();
    })
    .catch((error) => cell.replaceChildren(message("error", error.message)));
  return cell;
}

function tableView(table, history, can, me, onSaved) {
  const crumbs = [["Browse", "/browse"]];
  if (table.service)
    crumbs.push([table.service.name, `/services/${segment(table.service.fullyQualifiedName)}`]);
  if (table.database)
    crumbs.push([table.database.name, `/databases/${segment(table.database.fullyQualifiedName)}`]);
  if (table.databaseSchema) {
    crumbs.push([table.databaseSchema.name, `/schemas/${segment(table.databaseSchema.fullyQualifiedName)}`]);
  }
  crumbs.push([table.name, ""]);
  const current = new URLSearchParams(location.search).get("tab") ?? "columns";
  return h(
    "section",
    { class: "page" },
    breadcrumbs(crumbs),
    pageHeader(table.displayName || table.name, h("p", { class: "muted fqn" }, table.fullyQualifiedName)),
    followAndVote({ table, me, onChanged: async () => onSaved(await api.get(`/api/v1/tables/${segment(table.id)}`, { fields: "*" })) }),
    descriptionEditor({ type: "table", entity: table, onSaved, can }),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Owners"),
      h("dd", { id: "owner" }, ownersEditor({ type: "table", entity: table, onSaved, can })),
      h("dt", {}, "Tier"),
      loaded("tier-cell", tierEditor({ type: "table", entity: table, onSaved, can })),
      h("dt", {}, "Certification"),
      loaded("certification-cell", certificationEditor({ table, can, onSaved })),
      h("dt", {}, "Tags"),
      h("dd", {}, labelsEditor({ type: "table", entity: table, onSaved, can })),
      h("dt", {}, "Type"),
      h("dd", { id: "table-type" }, tableTypeLabel(table.tableType)),
      h("dt", {}, "Version"),
      h("dd", { id: "table-version" }, Number(table.version).toFixed(1)),
      h("dt", {}, "Updated"),
      h("dd", {}, `${formatTime(table.updatedAt)} by ${table.updatedBy ?? "?"}`),
    ),
    tabs(table, current, can, onSaved),
    h("h2", {}, "Version history"),
    versionsList(history),
    h("p", {}, link(`/explore?q=${encodeURIComponent(table.name)}`, "Search for similar names")),
  );
}

export async function tablePage(ctx, { params }) {
  const table = await api.get(`/api/v1/tables/name/${segment(params.fqn)}`, { fields: "*" });
  const versions = (entity) => api.get(`/api/v1/tables/${segment(entity.id)}/versions`);
  const [history, can] = await Promise.all([versions(table), permissionsFor("table", table)]);
  const root = h("div", { class: "entity-root" });
  // After a save the page shows the saved table (its new version is what the next edit sends),
  // with what the person may change now (an owner they added may be themself), and focus returns
  // to where it was.
  const onSaved = async (saved) => {
    const [newer, allowed] = await Promise.all([
      versions(saved).catch(() => history),
      permissionsFor("table", saved).catch(() => can),
    ]);
    root.replaceChildren(tableView(saved, newer, allowed, ctx.me, onSaved));
    restoreFocus();
  };
  root.append(tableView(table, history, can, ctx.me, onSaved));
  return root;
}
