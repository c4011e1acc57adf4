// Pieces several pages share: entity links, breadcrumbs, cursor-paged lists.
import { segment } from "../api.js";
import { h, link, message } from "../dom.js";

export const TYPE_LABELS = {
  databaseService: "Database service",
  database: "Database",
  databaseSchema: "Schema",
  table: "Table",
  storedProcedure: "Stored procedure",
};

// What a table is, in words: OpenMetadata's tableType (Regular, View, MaterializedView, ...).
const TABLE_TYPES = {
  Regular: "Table",
  View: "View",
  MaterializedView: "Materialized view",
  SecureView: "Secure view",
  External: "External table",
  Partitioned: "Partitioned table",
  Foreign: "Foreign table",
  Transient: "Transient table",
  Local: "Local table",
  Iceberg: "Iceberg table",
  Dynamic: "Dynamic table",
  Stream: "Stream",
};

export function tableTypeLabel(tableType) {
  return TABLE_TYPES[tableType] ?? (tableType ? `${tableType} table` : "Table");
}

// The label of a search hit or a list entry: a view is a view, not a "Table".
export function kindLabel(type, entity) {
  if (type === "table") return tableTypeLabel(entity?.tableType);
  return TYPE_LABELS[type] ?? type;
}

export function entityPath(type, fqn) {
  switch (type) {
    case "databaseService":
      return `/services/${segment(fqn)}`;
    case "database":
      return `/databases/${segment(fqn)}`;
    case "databaseSchema":
      return `/schemas/${segment(fqn)}`;
    case "table":
      return `/tables/${segment(fqn)}`;
    case "glossary":
      return `/glossary/${segment(fqn)}`;
    case "glossaryTerm":
      return `/glossary/term/${segment(fqn)}`;
    case "classification":
      return `/classifications/${segment(fqn)}`;
    case "tag":
      return `/classifications/tag/${segment(fqn)}`;
    default:
      return null;
  }
}

export function entityLink(type, entity) {
  const text = entity.displayName || entity.name;
  const path = entityPath(type, entity.fullyQualifiedName ?? entity.name);
  return path ? link(path, text) : text;
}

// crumbs: [[text, path or null], ...]; the last is the current page.
export function breadcrumbs(crumbs) {
  return h(
    "nav",
    { class: "breadcrumbs", "aria-label": "Breadcrumb" },
    h(
      "ol",
      {},
      crumbs.map(([text, path], i) =>
        h(
          "li",
          {},
          i === crumbs.length - 1
            ? h("span", { "aria-current": "page" }, text)
            : path
              ? link(path, text)
              : text,
        ),
      ),
    ),
  );
}

export function pageHeader(title, ...extra) {
  return h("header", { class: "page-header" }, h("h1", {}, title), ...extra);
}

// A description cell of a list: the text, or a quiet dash that says there is none.
export function descriptionCell(text) {
  return text ? h("span", { class: "cell-description" }, text) : h("span", { class: "muted", title: "No description" }, "—");
}

export function description(text) {
  return text
    ? h("p", { class: "description" }, text)
    : h("p", { class: "description muted" }, "No description.");
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

// The server's own answer (adminBy, tessera's extension): the isAdmin flag, or adminPrincipals
// in the configuration. isAdmin alone would miss the administrators adminPrincipals makes.
export function adminBadge(user) {
  if (!user.adminBy) return null;
  const why = user.adminBy === "adminPrincipals" ? "listed in adminPrincipals" : "the isAdmin flag";
  const el = badge("Admin", "admin");
  el.title = `Administrator by ${why}`;
  return el;
}

export function adminText(adminBy) {
  if (adminBy === "adminPrincipals") return "Yes, listed in adminPrincipals (the server's configuration)";
  if (adminBy === "isAdmin") return "Yes (isAdmin)";
  return "No";
}

// A list row whose first cell links somewhere: a click anywhere on the row follows that link.
// The keyboard has the link itself (one tab stop per row, Enter follows it, as any link).
function rowOf(cells) {
  const tr = h(
    "tr",
    {},
    cells.map((cell) => h("td", {}, cell)),
  );
  const primary = tr.querySelector("td:first-child a[href]");
  if (primary) {
    tr.classList.add("row-link");
    tr.addEventListener("click", (event) => {
      if (event.target instanceof Element && event.target.closest("a, button, input, select, summary, label")) return;
      if (window.getSelection()?.toString()) return; // selecting text is not a click
      primary.click();
    });
  }
  return tr;
}

// A table filled page by page with the API's cursor (paging.after) and a "Show more" button.
export async function pagedTable({ caption, headers, row, fetchPage, empty }) {
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status" });
  const more = h("button", { type: "button", class: "secondary" }, "Show more");
  let after = null;
  let shown = 0;
  async function load() {
    more.disabled = true;
    const page = await fetchPage(after);
    for (const item of page.data ?? []) tbody.append(rowOf(row(item)));
    shown += (page.data ?? []).length;
    after = page.paging?.after ?? null;
    const total = page.paging?.total;
    status.textContent =
      shown === 0 ? empty : `Showing ${shown}${total !== undefined ? ` of ${total}` : ""}.`;
    more.hidden = !after;
    more.disabled = false;
  }
  more.addEventListener("click", () => {
    load().catch((error) => status.replaceWith(message("error", error.message)));
  });
  await load();
  return h(
    "div",
    {},
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        {},
        h("caption", { class: "visually-hidden" }, caption),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            headers.map((text) => h("th", { scope: "col" }, text)),
          ),
        ),
        tbody,
      ),
    ),
    status,
    more,
  );
}
