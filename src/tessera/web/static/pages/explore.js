// Explore: full-text search over the catalog, filtered by entity type and service.
import { api } from "../api.js";
import { field, h, link, select } from "../dom.js";
import { navigate } from "../router.js";
import { markdownCell } from "../markdown.js";
import { TYPE_LABELS, badge, entityPath, kindLabel, pageHeader } from "./common.js";

const SIZE = 20;

// Elasticsearch-shaped filter, as OpenMetadata's UI sends it (term filters only).
function queryFilter(type, service) {
  const must = [];
  if (type) must.push({ term: { entityType: type } });
  if (service) must.push({ term: { "service.name.keyword": service } });
  return must.length ? JSON.stringify({ query: { bool: { must } } }) : undefined;
}

function resultItem(hit) {
  const source = hit._source ?? {};
  const type = source.entityType;
  const fqn = source.fullyQualifiedName ?? source.name;
  const path = entityPath(type, fqn);
  const title = source.displayName || source.name;
  return h(
    "li",
    { class: "result" },
    h("h2", { class: "result-title" }, path ? link(path, title) : title),
    h("p", { class: "result-meta" }, badge(kindLabel(type, source)), " ", h("span", { class: "fqn" }, fqn)),
    source.description ? h("div", { class: "result-description" }, markdownCell(source.description)) : null,
    resultFacts(source),
  );
}

// Who owns a hit, its tier and its other tags, on one line under it.
function resultFacts(source) {
  const owners = (source.owners ?? []).map((owner) => owner.displayName || owner.name);
  const labels = source.tags ?? [];
  const tier = labels.find((label) => label.tagFQN?.startsWith("Tier."));
  const others = labels.filter((label) => label !== tier);
  if (!owners.length && !labels.length) return null;
  return h(
    "p",
    { class: "result-facts" },
    owners.length ? h("span", { class: "result-owners" }, `Owned by ${owners.join(", ")}`) : null,
    tier ? [" ", badge(tier.tagFQN.slice("Tier.".length), "tier")] : null,
    others.map((label) => [" ", badge(label.tagFQN, label.source === "Glossary" ? "term" : "tag")]),
  );
}

function pager(query, from, total) {
  const at = (start) => {
    const next = new URLSearchParams(query);
    next.set("from", String(start));
    return `/explore?${next}`;
  };
  const links = [];
  if (from > 0) links.push(link(at(Math.max(from - SIZE, 0)), "Previous"));
  if (from + SIZE < total) links.push(link(at(from + SIZE), "Next"));
  return links.length ? h("nav", { class: "pager", "aria-label": "Result pages" }, links) : null;
}

export async function explorePage(_ctx, { query }) {
  const q = query.get("q") ?? "";
  const type = query.get("type") ?? "";
  const service = query.get("service") ?? "";
  const from = Math.max(Number(query.get("from")) || 0, 0);
  const [services, results] = await Promise.all([
    api.get("/api/v1/services/databaseServices", { limit: 200 }),
    api.get("/api/v1/search/query", {
      q: q.trim() || "*",
      index: "dataAsset",
      from,
      size: SIZE,
      query_filter: queryFilter(type, service),
    }),
  ]);
  const input = h("input", { id: "search-q", name: "q", type: "search", value: q, autocomplete: "off" });
  const typeSelect = select("filter-type", [["", "All types"], ...Object.entries(TYPE_LABELS)], type);
  const serviceSelect = select(
    "filter-service",
    [["", "All services"], ...(services.data ?? []).map((s) => [s.name, s.displayName || s.name])],
    service,
  );
  const form = h(
    "form",
    { role: "search", class: "search-form", "aria-label": "Search the catalog" },
    field("Search", input),
    field("Type", typeSelect),
    field("Service", serviceSelect),
    h("div", { class: "field field-submit" }, h("button", { type: "submit", class: "primary" }, "Search")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (input.value.trim()) next.set("q", input.value.trim());
    if (typeSelect.value) next.set("type", typeSelect.value);
    if (serviceSelect.value) next.set("service", serviceSelect.value);
    navigate(`/explore${next.size ? `?${next}` : ""}`);
  });
  const total = results.hits?.total?.value ?? 0;
  const hits = results.hits?.hits ?? [];
  const searched = query.has("q") || query.has("type") || query.has("service");
  const summary = h(
    "p",
    { id: "result-count", class: "result-count", role: "status", "data-autofocus": searched ? "" : null },
    total === 0
      ? "No results."
      : `${total} result${total === 1 ? "" : "s"}${q ? ` for “${q}”` : ""}${hits.length < total ? `, showing ${from + 1}–${from + hits.length}` : ""}.`,
  );
  return h(
    "section",
    { class: "page" },
    pageHeader("Explore"),
    form,
    summary,
    h("ol", { class: "results", id: "results", start: from + 1 }, hits.map(resultItem)),
    pager(query, from, total),
  );
}
