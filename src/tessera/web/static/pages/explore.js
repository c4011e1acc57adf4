// Explore: full-text search over the catalog, narrowed with facets (pages/facets.js) whose
// values carry their counts.
import { api } from "../api.js";
import { field, h, link } from "../dom.js";
import { navigate } from "../router.js";
import { markdownCell } from "../markdown.js";
import { badge, entityPath, kindLabel, pageHeader } from "./common.js";
import {
  FACETS,
  anySelected,
  facetBuckets,
  facetFilter,
  facetPanel,
  moreBuckets,
  selectedChips,
  selectedFacets,
} from "./facets.js";

const SIZE = 20;

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

// The checkbox ticked or unticked last, to give it focus again on the page drawn after it.
let toggled = null;

function search(q, selected, from) {
  const ask = (filter, size, offset = 0) =>
    api.get("/api/v1/search/query", { q: q.trim() || "*", index: "dataAsset", from: offset, size, query_filter: filter });
  const inUse = FACETS.filter((facet) => selected[facet.key].length);
  return Promise.all([
    ask(facetFilter(selected, FACETS.filter((facet) => !selected[facet.key].length)), SIZE, from),
    ...inUse.map((facet) => ask(facetFilter(selected, [facet], facet.key), 0)),
  ]).then(([main, ...counts]) => ({
    results: main,
    buckets: facetBuckets(main, Object.fromEntries(inUse.map((facet, i) => [facet.key, counts[i]]))),
  }));
}

// Explore's address for a search: the words and the facet values in use; paging starts again at
// the first hit.
function exploreUrl(q, selected) {
  const next = new URLSearchParams();
  if (q.trim()) next.set("q", q.trim());
  for (const facet of FACETS) for (const value of selected[facet.key]) next.append(facet.key, value);
  return `/explore${next.size ? `?${next}` : ""}`;
}

export async function explorePage(_ctx, { query }) {
  const q = query.get("q") ?? "";
  const selected = selectedFacets(query);
  const from = Math.max(Number(query.get("from")) || 0, 0);
  const { results, buckets } = await search(q, selected, from);
  const focusAfter = toggled;
  toggled = null;
  const input = h("input", { id: "search-q", name: "q", type: "search", value: q, autocomplete: "off" });
  const form = h(
    "form",
    { role: "search", class: "search-form", "aria-label": "Search the catalog" },
    field("Search", input),
    h("div", { class: "field field-submit" }, h("button", { type: "submit", class: "primary" }, "Search")),
  );
  // A new search keeps the facet values in use: they are on screen, each removable.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(exploreUrl(input.value, selected));
  });
  const change = (key, value, ticked) => {
    const values = selected[key].filter((v) => v !== value);
    navigate(exploreUrl(q, { ...selected, [key]: ticked ? [...values, value] : values }));
  };
  const toggle = (key, value, ticked) => {
    toggled = { key, value };
    change(key, value, ticked);
  };
  const none = Object.fromEntries(FACETS.map((facet) => [facet.key, []]));
  const total = results.hits?.total?.value ?? 0;
  const hits = results.hits?.hits ?? [];
  const searched = query.has("q") || anySelected(selected);
  const summary = h(
    "p",
    { id: "result-count", class: "result-count", role: "status", "data-autofocus": searched && !focusAfter ? "" : null },
    total === 0
      ? "No results."
      : `${total} result${total === 1 ? "" : "s"}${q ? ` for “${q}”` : ""}${hits.length < total ? `, showing ${from + 1}–${from + hits.length}` : ""}.`,
  );
  return h(
    "section",
    { class: "page" },
    pageHeader("Explore"),
    form,
    selectedChips(selected, (key, value) => change(key, value, false), () => navigate(exploreUrl(q, none))),
    h(
      "div",
      { class: "explore" },
      facetPanel(selected, buckets, toggle, focusAfter, (facet) => moreBuckets(facet, q, selected)),
      h(
        "div",
        { class: "explore-results" },
        summary,
        h("ol", { class: "results", id: "results", start: from + 1 }, hits.map(resultItem)),
        pager(query, from, total),
      ),
    ),
  );
}
