// Admins: the audit log (sign-ins, token issue and revoke, user and bot changes), newest first,
// a page at a time. Each event reads as a sentence; the stored detail is one click away.
import { api } from "../api.js";
import { field, h, link, select } from "../dom.js";
import { navigate } from "../router.js";
import { badge, pageHeader } from "./common.js";
import { ACTIONS, summary } from "./audit_text.js";

const LIMIT = 50;

const SHORT_TIME = { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" };
const FULL_TIME = { dateStyle: "full", timeStyle: "long" };

// One line in the reader's own time zone; the full local time and UTC in its title.
function when(timestamp) {
  const at = new Date(timestamp);
  return h(
    "time",
    {
      datetime: at.toISOString(),
      title: `${at.toLocaleString(undefined, FULL_TIME)} (${at.toISOString()})`,
    },
    at.toLocaleString(undefined, SHORT_TIME),
  );
}

function detail(event) {
  if (!event.detail || !Object.keys(event.detail).length) return null;
  return h(
    "details",
    { class: "raw" },
    h("summary", {}, "Details"),
    h("pre", {}, JSON.stringify(event.detail, null, 2)),
  );
}

function row(event) {
  return h(
    "tr",
    { class: event.outcome === "failure" ? "failed" : null },
    h("td", { class: "nowrap" }, when(event.timestamp)),
    h("td", {}, h("code", {}, event.action)),
    h("td", {}, badge(event.outcome, event.outcome === "failure" ? "danger" : "ok")),
    h("td", { class: "event" }, h("p", { class: "event-summary" }, summary(event)), detail(event)),
  );
}

function actionOptions(current) {
  const known = Object.entries(ACTIONS).map(([action, label]) => [action, `${label} (${action})`]);
  if (current && !(current in ACTIONS)) known.push([current, current]);
  return [["", "All actions"], ...known];
}

function auditPath(action, before) {
  const query = new URLSearchParams();
  if (action) query.set("action", action);
  if (before) query.set("before", before);
  return query.size ? `/audit?${query}` : "/audit";
}

export async function auditPage(_ctx, { query }) {
  const action = query.get("action") ?? "";
  const before = query.get("before") ?? "";
  const page = await api.get("/api/v1/audit/events", { limit: LIMIT, before, action });
  const events = page.data ?? [];
  const picker = select("audit-action", actionOptions(action), action);
  // Choosing an action shows it at once; the button is there for those who tab past the select.
  picker.addEventListener("change", () => navigate(auditPath(picker.value)));
  const form = h(
    "form",
    { class: "inline-form", "aria-label": "Filter events" },
    field("Action", picker),
    h("div", { class: "field field-submit" }, h("button", { type: "submit", class: "secondary" }, "Show")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate(auditPath(picker.value));
  });
  const pages = [];
  if (before) pages.push(link(auditPath(action), "Newest events"));
  if (page.paging?.before) pages.push(link(auditPath(action, page.paging.before), "Older events"));
  const what = action ? `${ACTIONS[action] ?? action} events` : "events";
  const total = page.paging?.total;
  const of = total !== undefined && total > events.length ? ` of ${total}` : "";
  const status = events.length
    ? `Showing ${events.length}${of} ${what}${before ? "" : ", the most recent first"}.`
    : `No ${what}${before ? " older than these" : ""}.`;
  return h(
    "section",
    { class: "page" },
    pageHeader("Audit log"),
    form,
    events.length
      ? h(
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
                ["When", "Action", "Outcome", "What happened"].map((t) => h("th", { scope: "col" }, t)),
              ),
            ),
            h("tbody", {}, events.map(row)),
          ),
        )
      : null,
    h("p", { class: "muted", role: "status", id: "audit-status" }, status),
    pages.length ? h("nav", { class: "pager", "aria-label": "Audit log pages" }, pages) : null,
  );
}
