// Browse the hierarchy: services » databases » schemas » tables (a database's and a schema's
// description, owners, tier and tags edited in place).
import { api, segment } from "../api.js";
import { h } from "../dom.js";
import {
  breadcrumbs,
  description,
  descriptionCell,
  entityLink,
  pageHeader,
  pagedTable,
  tableTypeLabel,
} from "./common.js";
import { entityEditors, permissionsFor } from "./edit.js";

const PAGE = 25;

function lister(collection, filter) {
  return (after) => api.get(`/api/v1/${collection}`, { ...filter, limit: PAGE, after });
}

export async function servicesPage() {
  const list = await pagedTable({
    caption: "Database services",
    headers: ["Service", "Type", "Description"],
    row: (service) => [
      entityLink("databaseService", service),
      service.serviceType ?? "",
      descriptionCell(service.description),
    ],
    fetchPage: lister("services/databaseServices", {}),
    empty:
      "No database services yet. Ingest metadata (tessera ingest, or OpenMetadata's metadata CLI) to fill the catalog.",
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([["Browse", "/browse"]]),
    pageHeader("Database services"),
    list,
  );
}

export async function servicePage(_ctx, { params }) {
  const service = await api.get(`/api/v1/services/databaseServices/name/${segment(params.name)}`);
  const list = await pagedTable({
    caption: `Databases of ${service.name}`,
    headers: ["Database", "Description"],
    row: (database) => [entityLink("database", database), descriptionCell(database.description)],
    fetchPage: lister("databases", { service: service.fullyQualifiedName }),
    empty: "This service has no databases.",
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Browse", "/browse"],
      [service.name, ""],
    ]),
    pageHeader(
      service.displayName || service.name,
      h("p", { class: "muted" }, `Database service · ${service.serviceType ?? ""}`),
    ),
    description(service.description),
    h("h2", {}, "Databases"),
    list,
  );
}

export async function databasePage(_ctx, { params }) {
  const database = await api.get(`/api/v1/databases/name/${segment(params.fqn)}`, { fields: "owners,tags" });
  const can = await permissionsFor("database", database);
  const list = await pagedTable({
    caption: `Schemas of ${database.name}`,
    headers: ["Schema", "Description"],
    row: (schema) => [entityLink("databaseSchema", schema), descriptionCell(schema.description)],
    fetchPage: lister("databaseSchemas", { database: database.fullyQualifiedName }),
    empty: "This database has no schemas.",
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Browse", "/browse"],
      [database.service.name, `/services/${segment(database.service.fullyQualifiedName)}`],
      [database.name, ""],
    ]),
    pageHeader(database.displayName || database.name, h("p", { class: "muted" }, "Database")),
    entityEditors("database", database, { labels: true, can }),
    h("h2", {}, "Schemas"),
    list,
  );
}

export async function schemaPage(_ctx, { params }) {
  const schema = await api.get(`/api/v1/databaseSchemas/name/${segment(params.fqn)}`, { fields: "owners,tags" });
  const can = await permissionsFor("databaseSchema", schema);
  const list = await pagedTable({
    caption: `Tables of ${schema.name}`,
    headers: ["Table", "Type", "Description"],
    row: (table) => [
      entityLink("table", table),
      tableTypeLabel(table.tableType),
      descriptionCell(table.description),
    ],
    fetchPage: lister("tables", { databaseSchema: schema.fullyQualifiedName }),
    empty: "This schema has no tables.",
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Browse", "/browse"],
      [schema.service.name, `/services/${segment(schema.service.fullyQualifiedName)}`],
      [schema.database.name, `/databases/${segment(schema.database.fullyQualifiedName)}`],
      [schema.name, ""],
    ]),
    pageHeader(schema.displayName || schema.name, h("p", { class: "muted" }, "Schema")),
    entityEditors("databaseSchema", schema, { labels: true, can }),
    h("h2", {}, "Tables"),
    list,
  );
}
