// Explore's facets: what the hits are, where they live, who owns them and how they are labelled,
// each value with the number of hits that carry it. The counts are the server's terms
// aggregations (`aggs` in query_filter, answered as `sterms#<name>` buckets, as OpenMetadata's
// server answers its UI).
//
// Values of one facet widen the search (any of them), facets narrow it (all of them), as in
// OpenMetadata's Explore. So that ticking a value does not hide the others of its facet, a facet
// with values ticked is counted without its own filter: one more request, of no hits, per facet
// in use.
import { api } from "../api.js";
import { h } from "../dom.js";
import { TYPE_LABELS } from "./common.js";

// `key` is the facet's parameter in Explore's address (?service=a&service=b), `field` the search
// document's field it counts and filters on.
export const FACETS = [
  { key: "type", label: "Type", field: "entityType", text: (value) => TYPE_LABELS[value] ?? value },
  { key: "service", label: "Service", field: "service.name.keyword" },
  { key: "database", label: "Database", field: "database.fullyQualifiedName" },
  { key: "schema", label: "Schema", field: "databaseSchema.fullyQualifiedName" },
  { key: "owner", label: "Owner", field: "owners.name.keyword" },
  { key: "tier", label: "Tier", field: "tier.tagFQN", text: (value) => value.replace(/^Tier\./, "") },
  // Tier labels are tags too; they have their own facet.
  { key: "tag", label: "Tags", field: "tags.tagFQN", hidden: (value) => value.startsWith("Tier.") },
];

// How many values each facet lists: the most frequent first, as the server ranks them; *Show
// more* lists up to MORE_VALUES.
const VALUES_SHOWN = 8;
const MORE_VALUES = 100;

// The values ticked in each facet, read from the address.
export function selectedFacets(query) {
  return Object.fromEntries(FACETS.map((facet) => [facet.key, query.getAll(facet.key).filter(Boolean)]));
}

export function anySelected(selected) {
  return FACETS.some((facet) => selected[facet.key].length);
}

// The filter of every facet in use but `except` (the facet being counted): a bool of term
// queries in OpenSearch's DSL, as OpenMetadata's UI sends it.
function filterClauses(selected, except) {
  const must = [];
  for (const facet of FACETS) {
    const values = selected[facet.key];
    if (facet.key === except || !values.length) continue;
    must.push(values.length === 1 ? { term: { [facet.field]: values[0] } } : { terms: { [facet.field]: values } });
  }
  return must;
}

function aggregation(facet) {
  // Tags list more: the Tier labels among them are not shown.
  const size = facet.key === "tag" ? VALUES_SHOWN * 2 : VALUES_SHOWN;
  return { terms: { field: facet.field, size } };
}

// query_filter for one request: the facets' filter and the aggregations of `counted`.
export function facetFilter(selected, counted, except = null) {
  const must = filterClauses(selected, except);
  const body = { query: must.length ? { bool: { must } } : { match_all: {} } };
  if (counted.length) body.aggs = Object.fromEntries(counted.map((facet) => [facet.key, aggregation(facet)]));
  return JSON.stringify(body);
}

// The requests' answers merged: each facet's buckets from the answer that counted it.
export function facetBuckets(main, own) {
  const buckets = {};
  for (const facet of FACETS) {
    const answer = own[facet.key] ?? main;
    const found = answer?.aggregations?.[`sterms#${facet.key}`];
    buckets[facet.key] = {
      values: (found?.buckets ?? []).filter((bucket) => !facet.hidden?.(bucket.key)),
      other: found?.sum_other_doc_count ?? 0,
    };
  }
  return buckets;
}

export function facetText(facet, value) {
  return facet.text ? facet.text(value) : value;
}

// One facet's values counted again, up to MORE_VALUES of them (GET /api/v1/search/aggregate, the
// facet's own filter left out as in its first count).
export async function moreBuckets(facet, q, selected) {
  const answer = await api.get("/api/v1/search/aggregate", {
    index: "dataAsset",
    field: facet.field,
    size: MORE_VALUES,
    q: q.trim() || "*",
    query_filter: facetFilter(selected, [], facet.key),
  });
  const found = answer?.aggregations?.[`sterms#${facet.field}`];
  return {
    values: (found?.buckets ?? []).filter((bucket) => !facet.hidden?.(bucket.key)),
    other: found?.sum_other_doc_count ?? 0,
  };
}

// The facets as lists of checkboxes (Tab moves between them, Space ticks one). `toggle(key,
// value, ticked)` is called on a change; `focusAfter` names the value whose checkbox takes focus
// once the page is drawn again, so the keyboard stays where it was. `more(facet)` resolves the
// facet's longer list of values.
export function facetPanel(selected, buckets, toggle, focusAfter, more) {
  const group = (facet, counted, shownBefore = 0) => {
    const ticked = selected[facet.key];
    const values = [...counted.values];
    // A ticked value stays listed (and can be unticked) even when it is not among the top ones.
    for (const value of ticked) {
      if (!values.some((bucket) => bucket.key === value)) values.push({ key: value, doc_count: null });
    }
    if (!values.length) return null;
    const other = counted.other;
    const moreButton = other && !shownBefore
      ? h("button", { type: "button", class: "secondary small", id: `facet-${facet.key}-more` }, "Show more")
      : null;
    const fieldset = h(
      "fieldset",
      { class: "facet", id: `facet-${facet.key}` },
      h("legend", {}, facet.label),
      h(
        "ul",
        {},
        values.map((bucket, index) => {
          const box = h("input", {
            type: "checkbox",
            name: facet.key,
            value: bucket.key,
            checked: ticked.includes(bucket.key),
            "data-autofocus": focusAfter?.key === facet.key && focusAfter?.value === bucket.key ? "" : null,
            // After *Show more*, the first value that was not listed before takes focus.
            "data-first-new": shownBefore && index === shownBefore ? "" : null,
          });
          box.addEventListener("change", () => toggle(facet.key, bucket.key, box.checked));
          return h(
            "li",
            {},
            h(
              "label",
              { class: "check facet-value", title: bucket.key },
              box,
              h("span", { class: "facet-name" }, facetText(facet, bucket.key)),
              bucket.doc_count === null
                ? null
                : h("span", { class: "facet-count" }, String(bucket.doc_count), h("span", { class: "visually-hidden" }, " results")),
            ),
          );
        }),
      ),
      other ? h("p", { class: "facet-more muted" }, `${other} more in other values`) : null,
      moreButton,
    );
    moreButton?.addEventListener("click", async () => {
      moreButton.disabled = true;
      try {
        const longer = group(facet, await more(facet), values.length);
        fieldset.replaceWith(longer);
        (longer.querySelector("[data-first-new]") ?? longer.querySelector("input"))?.focus();
      } catch (error) {
        moreButton.disabled = false;
        moreButton.after(h("p", { class: "message message-error", role: "alert" }, error.message));
      }
    });
    return fieldset;
  };
  const groups = FACETS.map((facet) => group(facet, buckets[facet.key]));
  return h("aside", { class: "facets", id: "facets", "aria-label": "Filter the results" }, h("h2", { class: "facets-title" }, "Filter"), groups);
}

// The facet values in use, each a button that removes it, and one that removes them all.
export function selectedChips(selected, remove, clear) {
  const chips = FACETS.flatMap((facet) =>
    selected[facet.key].map((value) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "chip",
            "aria-label": `Remove filter ${facet.label}: ${facetText(facet, value)}`,
            onclick: () => remove(facet.key, value),
          },
          `${facet.label}: ${facetText(facet, value)}`,
          h("span", { class: "chip-x", "aria-hidden": "true" }, " ×"),
        ),
      ),
    ),
  );
  if (!chips.length) return null;
  return h(
    "div",
    { class: "selected-facets", id: "selected-facets" },
    h("span", { class: "muted" }, "Filtered by "),
    h("ul", { class: "chips" }, chips),
    h("button", { type: "button", class: "secondary small", id: "clear-facets", onclick: clear }, "Clear filters"),
  );
}
