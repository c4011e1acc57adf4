// A table's lineage as a graph: dagre (vendored, see tools/ui-vendor) places the nodes and routes
// the edges; this module only draws what it computed, as SVG built element by element. A node
// opens its entity (click, or Enter); hovering or focusing a node or an edge shows its column
// lineage and highlights the edges involved; picking one of the table's columns traces it.
import { api, segment } from "../api.js";
import { h, message } from "../dom.js";
import { navigate } from "../router.js";
import { Graph, layout } from "../vendor/dagre.esm.js";
import { TYPE_LABELS, entityPath } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const NODE_HEIGHT = 46;
const DEPTHS = [0, 1, 2, 3];

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

function label(node) {
  return node.displayName || node.name || node.fullyQualifiedName;
}

function shortColumn(fqn) {
  // A column FQN is its table's FQN and the column name: the last two parts read well.
  const parts = fqn.split(".");
  return parts.slice(-2).join(".");
}

function columnPairs(edge) {
  return (edge.lineageDetails?.columnsLineage ?? []).flatMap((mapping) =>
    (mapping.fromColumns ?? []).map((from) => [from, mapping.toColumn]),
  );
}

// The answer as one list of nodes (the table first) and one list of edges, each edge once.
function graphOf(lineage) {
  const nodes = new Map([[lineage.entity.id, { ...lineage.entity, self: true }]]);
  for (const node of lineage.nodes ?? []) if (!nodes.has(node.id)) nodes.set(node.id, node);
  const edges = new Map();
  for (const edge of [...(lineage.upstreamEdges ?? []), ...(lineage.downstreamEdges ?? [])]) {
    edges.set(`${edge.fromEntity}>${edge.toEntity}`, edge);
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()].filter((e) => nodes.has(e.fromEntity) && nodes.has(e.toEntity)) };
}

function place({ nodes, edges }) {
  const graph = new Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 80, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const width = Math.max(label(node).length, (TYPE_LABELS[node.type] ?? node.type).length) * 8 + 32;
    graph.setNode(node.id, { width: Math.min(width, 280), height: NODE_HEIGHT });
  }
  for (const edge of edges) graph.setEdge(edge.fromEntity, edge.toEntity);
  layout(graph);
  return graph;
}

function pathOf(points) {
  return points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

function columnsPanel(title, edges, byId) {
  const rows = edges.flatMap((edge) =>
    columnPairs(edge).map(([from, to]) => h("li", {}, h("code", {}, shortColumn(from)), " → ", h("code", {}, shortColumn(to)))),
  );
  const names = edges.map((edge) => `${label(byId.get(edge.fromEntity))} → ${label(byId.get(edge.toEntity))}`);
  return [
    h("h3", {}, title),
    h("p", { class: "muted" }, names.length ? names.join("; ") : "No edges."),
    rows.length ? h("ul", { class: "column-lineage" }, rows) : h("p", { class: "muted" }, "No column lineage recorded."),
  ];
}

// The edges a column's data flows through, both ways from it: upstream by the edges whose target
// column is one already reached, downstream by those whose source columns include one.
function traceColumn(edges, start) {
  const reached = new Set([start]);
  const used = new Set();
  let grew = true;
  while (grew) {
    grew = false;
    for (const edge of edges) {
      for (const [from, to] of columnPairs(edge)) {
        const upstream = reached.has(to) && !reached.has(from);
        const downstream = reached.has(from) && !reached.has(to);
        if (upstream || downstream) {
          reached.add(upstream ? from : to);
          grew = true;
        }
        if (reached.has(from) && reached.has(to)) used.add(edge);
      }
    }
  }
  return [...used];
}

function columnPicker(table, edges, show) {
  const select = h(
    "select",
    { id: "lineage-column" },
    h("option", { value: "" }, "(none)"),
    (table.columns ?? []).map((column) => h("option", { value: column.fullyQualifiedName ?? `${table.fullyQualifiedName}.${column.name}` }, column.name)),
  );
  select.addEventListener("change", () => {
    if (select.value) show(`Column ${shortColumn(select.value)}`, traceColumn(edges, select.value));
  });
  return h("label", { for: "lineage-column", class: "inline-label" }, "Trace a column ", select);
}

function draw(lineage, table) {
  const model = graphOf(lineage);
  const byId = new Map(model.nodes.map((node) => [node.id, node]));
  const graph = place(model);
  const { width, height } = graph.graph();
  const panel = h("div", { class: "lineage-columns", id: "lineage-columns", "aria-live": "polite" }, h("p", { class: "muted" }, "Hover or focus a table or an edge to see its column lineage."));
  const edgeEls = new Map();
  const highlight = (edges) => {
    for (const [edge, el] of edgeEls) el.classList.toggle("active", edges.includes(edge));
  };
  const show = (title, edges) => {
    highlight(edges);
    panel.replaceChildren(...columnsPanel(title, edges, byId));
  };
  const marker = svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" })));
  const edgeGroups = model.edges.map((edge) => {
    const points = graph.edge(edge.fromEntity, edge.toEntity).points;
    const name = `${label(byId.get(edge.fromEntity))} to ${label(byId.get(edge.toEntity))}`;
    const group = svg(
      "g",
      { class: "edge", tabindex: 0, role: "img", "aria-label": `Lineage edge ${name}` },
      svg("path", { d: pathOf(points), class: "edge-hit" }),
      svg("path", { d: pathOf(points), class: "edge-line", "marker-end": "url(#arrow)" }),
    );
    edgeEls.set(edge, group);
    for (const event of ["mouseenter", "focus"]) group.addEventListener(event, () => show(`Edge ${name}`, [edge]));
    return group;
  });
  const nodeGroups = model.nodes.map((node) => {
    const box = graph.node(node.id);
    const path = entityPath(node.type, node.fullyQualifiedName);
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    const group = svg(
      "g",
      {
        class: `node${node.self ? " self" : ""}`,
        tabindex: 0,
        role: path && !node.self ? "link" : "img",
        "aria-label": `${TYPE_LABELS[node.type] ?? node.type} ${node.fullyQualifiedName}`,
        "data-fqn": node.fullyQualifiedName,
      },
      svg("title", {}, node.fullyQualifiedName),
      svg("rect", { x, y, width: box.width, height: box.height, rx: 6 }),
      svg("text", { x: box.x, y: y + 19, "text-anchor": "middle", class: "node-name" }, label(node)),
      svg("text", { x: box.x, y: y + 36, "text-anchor": "middle", class: "node-type" }, TYPE_LABELS[node.type] ?? node.type),
    );
    const touching = () => model.edges.filter((edge) => edge.fromEntity === node.id || edge.toEntity === node.id);
    for (const event of ["mouseenter", "focus"]) group.addEventListener(event, () => show(label(node), touching()));
    if (path && !node.self) {
      group.addEventListener("click", () => navigate(path));
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter") navigate(path);
      });
    }
    return group;
  });
  const picture = svg(
    "svg",
    { class: "lineage-graph", id: "lineage-graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "group", "aria-label": "Lineage graph" },
    marker,
    edgeGroups,
    nodeGroups,
  );
  return h(
    "div",
    {},
    h("div", { class: "toolbar" }, columnPicker(table, model.edges, show)),
    h("div", { class: "lineage" }, h("div", { class: "lineage-canvas" }, picture), panel),
  );
}

function depthSelect(id, text, value) {
  return h(
    "label",
    { for: id, class: "inline-label" },
    `${text} `,
    h("select", { id }, DEPTHS.map((depth) => h("option", { value: depth, selected: depth === value }, String(depth)))),
  );
}

export async function lineageTab(table) {
  const up = depthSelect("lineage-up", "Upstream depth", 1);
  const down = depthSelect("lineage-down", "Downstream depth", 1);
  const area = h("div", {});
  async function load() {
    const lineage = await api.get(`/api/v1/lineage/table/name/${segment(table.fullyQualifiedName)}`, {
      upstreamDepth: up.querySelector("select").value,
      downstreamDepth: down.querySelector("select").value,
    });
    const alone = !(lineage.upstreamEdges?.length || lineage.downstreamEdges?.length);
    area.replaceChildren(alone ? h("p", { class: "muted", id: "lineage-empty" }, "No lineage recorded at these depths.") : draw(lineage, table));
  }
  for (const control of [up, down]) {
    control.addEventListener("change", () => load().catch((error) => area.replaceChildren(message("error", error.message))));
  }
  await load();
  return h("div", {}, h("div", { class: "toolbar" }, up, down), area);
}
