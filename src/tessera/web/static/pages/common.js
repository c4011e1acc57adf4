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

export function description(text) {
  return text
    ? h("p", { class: "description" }, text)
    : h("p", { class: "description muted" }, "No description.");
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
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
    for (const item of page.data ?? [])
      tbody.append(
        h(
          "tr",
          {},
          row(item).map((cell) => h("td", {}, cell)),
        ),
      );
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
