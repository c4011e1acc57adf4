// Admins: the audit log (sign-ins, token issue and revoke, user and bot changes), newest first.
import { api } from "../api.js";
import { field, formatTime, h, message } from "../dom.js";
import { navigate } from "../router.js";
import { badge, pageHeader } from "./common.js";

const LIMIT = 50;

function detailText(detail) {
  if (!detail) return "";
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : value}`)
    .join(", ");
}

function row(event) {
  return h(
    "tr",
    {},
    h(
      "td",
      {},
      h("time", { datetime: new Date(event.timestamp).toISOString() }, formatTime(event.timestamp)),
    ),
    h("td", {}, event.actor),
    h("td", {}, event.action),
    h("td", {}, [event.targetType, event.target].filter(Boolean).join(" ")),
    h("td", {}, badge(event.outcome, event.outcome === "failure" ? "danger" : "ok")),
    h("td", {}, detailText(event.detail)),
  );
}

export async function auditPage(_ctx, { query }) {
  const action = query.get("action") ?? "";
  let before = null;
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status" });
  const older = h("button", { type: "button", class: "secondary" }, "Show older events");
  let shown = 0;
  async function load() {
    const page = await api.get("/api/v1/audit/events", { limit: LIMIT, before, action });
    for (const event of page.data ?? []) tbody.append(row(event));
    shown += (page.data ?? []).length;
    before = page.paging?.before ?? null;
    older.hidden = !before;
    status.textContent = shown ? `Showing the ${shown} most recent events.` : "No events.";
  }
  older.addEventListener("click", () =>
    load().catch((error) => status.replaceWith(message("error", error.message))),
  );
  await load();
  const filter = h("input", {
    id: "audit-action",
    type: "text",
    value: action,
    placeholder: "e.g. login, token-issue",
  });
  const form = h(
    "form",
    { class: "inline-form", "aria-label": "Filter events" },
    field("Action", filter),
    h("div", { class: "field field-submit" }, h("button", { type: "submit", class: "secondary" }, "Filter")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(filter.value.trim() ? `/audit?action=${encodeURIComponent(filter.value.trim())}` : "/audit");
  });
  return h(
    "section",
    { class: "page" },
    pageHeader("Audit log"),
    form,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "audit" },
        h("caption", { class: "visually-hidden" }, "Audit events"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["When", "Who", "Action", "Target", "Outcome", "Detail"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        tbody,
      ),
    ),
    status,
    older,
  );
}
