// A table's data tabs: sample data (values the server masked shown as masked), the profile (row
// count over time as a small SVG chart, and each column's newest profile) and its queries.
import { api, segment } from "../api.js";
import { formatTime, h, table as dataTable } from "../dom.js";
import { badge } from "./common.js";

// What the server puts in place of a value the reader may not see (tabledata/service.py).
const MASKED = "********";
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

function cell(value) {
  if (value === MASKED) {
    const el = badge("masked", "masked");
    el.title = "Masked: this column (or the table) is tagged PII.Sensitive";
    return el;
  }
  if (value === null || value === undefined) return h("span", { class: "muted" }, "null");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export async function sampleDataTab(table) {
  const answer = await api.get(`/api/v1/tables/${segment(table.id)}/sampleData`);
  const sample = answer.sampleData;
  if (!sample?.rows?.length) return h("p", { class: "muted", id: "sample-empty" }, "No sample data.");
  const masked = sample.rows.some((row) => row.includes(MASKED));
  return h(
    "div",
    { id: "sample-data" },
    masked
      ? h("p", { class: "muted" }, "Values of columns tagged PII.Sensitive are masked for everyone but administrators, bots and the table's owners.")
      : null,
    dataTable(null, sample.columns ?? [], sample.rows.map((row) => row.map(cell))),
  );
}

// Row count over time: a line through the points, oldest to newest, with the first and last
// values and dates as labels. Each point has a <title> for hover.
function rowCountChart(points) {
  const width = 560;
  const height = 160;
  const pad = { left: 56, right: 16, top: 12, bottom: 28 };
  const xs = points.map((p) => p.timestamp);
  const ys = points.map((p) => p.rowCount);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys, 1)];
  const x = (t) => pad.left + (x1 === x0 ? 0.5 : (t - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - ((v - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  const line = points.map((p, i) => `${i ? "L" : "M"}${x(p.timestamp).toFixed(1)},${y(p.rowCount).toFixed(1)}`).join(" ");
  const summary = `Row count from ${ys[0]} (${formatTime(xs[0])}) to ${ys.at(-1)} (${formatTime(xs.at(-1))}), ${points.length} points`;
  return svg(
    "svg",
    { class: "chart", id: "row-count-chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": summary },
    svg("title", {}, summary),
    svg("line", { x1: pad.left, y1: height - pad.bottom, x2: width - pad.right, y2: height - pad.bottom, class: "axis" }),
    svg("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom, class: "axis" }),
    svg("text", { x: pad.left - 6, y: y(y1) + 4, "text-anchor": "end", class: "chart-label" }, String(y1)),
    svg("text", { x: pad.left - 6, y: y(y0) + 4, "text-anchor": "end", class: "chart-label" }, String(y0)),
    svg("text", { x: pad.left, y: height - 8, class: "chart-label" }, new Date(x0).toLocaleDateString()),
    svg("text", { x: width - pad.right, y: height - 8, "text-anchor": "end", class: "chart-label" }, new Date(x1).toLocaleDateString()),
    svg("path", { d: line, class: "chart-line" }),
    points.map((p) =>
      svg("circle", { cx: x(p.timestamp), cy: y(p.rowCount), r: 3.5, class: "chart-point" }, svg("title", {}, `${formatTime(p.timestamp)}: ${p.rowCount} rows`)),
    ),
  );
}

const COLUMN_METRICS = [
  ["valuesCount", "Values"],
  ["nullCount", "Nulls"],
  ["uniqueCount", "Unique"],
  ["distinctCount", "Distinct"],
  ["min", "Min"],
  ["max", "Max"],
  ["mean", "Mean"],
];

export async function profileTab(table) {
  const fqn = segment(table.fullyQualifiedName);
  // The last year of points (one page); the newest column profiles come with the table.
  const now = Date.now();
  const [history, profiled] = await Promise.all([
    api.get(`/api/v1/tables/${fqn}/tableProfile`, { startTs: now - 365 * 86_400_000, endTs: now, limit: 100 }),
    api.get(`/api/v1/tables/${segment(table.id)}`, { fields: "profile,columns" }),
  ]);
  const points = (history.data ?? []).filter((p) => typeof p.rowCount === "number").sort((a, b) => a.timestamp - b.timestamp);
  const columns = (profiled.columns ?? []).filter((column) => column.profile);
  if (!points.length && !columns.length) return h("p", { class: "muted", id: "profile-empty" }, "No profile yet.");
  const latest = profiled.profile;
  return h(
    "div",
    { id: "profile" },
    latest
      ? h("p", {}, `Newest: ${latest.rowCount ?? "?"} rows, ${latest.columnCount ?? "?"} columns (${formatTime(latest.timestamp)}).`)
      : null,
    points.length ? [h("h3", {}, "Row count over time"), rowCountChart(points)] : null,
    columns.length
      ? [
          h("h3", {}, "Column profile"),
          h("div", { id: "column-profile" }, dataTable(
            null,
            ["Column", ...COLUMN_METRICS.map(([, text]) => text)],
            columns.map((column) => [column.name, ...COLUMN_METRICS.map(([key]) => column.profile[key] ?? "")]),
          )),
        ]
      : null,
  );
}

export async function queriesTab(table) {
  const answer = await api.get("/api/v1/queries", { entityId: table.id, fields: "users,queryUsedIn" });
  const queries = answer.data ?? [];
  if (!queries.length) return h("p", { class: "muted", id: "queries-empty" }, "No queries recorded.");
  return h(
    "ul",
    { class: "queries", id: "queries" },
    queries.map((query) =>
      h(
        "li",
        {},
        h("pre", { class: "sql", tabindex: "0", "aria-label": `Query ${query.name}` }, h("code", {}, query.query)),
        h(
          "p",
          { class: "muted" },
          [query.description, query.queryDate ? formatTime(query.queryDate) : null, (query.users ?? []).map((u) => u.name).join(", ") || null]
            .filter(Boolean)
            .join(" · "),
        ),
      ),
    ),
  );
}
