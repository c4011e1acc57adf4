// Profile: who you are, your personal access tokens (create, shown once, revoke) and, with
// basic authentication, your password.
import { api, segment } from "../api.js";
import { confirmDialog, field, formatTime, h, message, select } from "../dom.js";
import { adminText, pageHeader } from "./common.js";
import { membershipSources, membershipsTable } from "./memberships.js";
import { tokenReveal } from "./tokens.js";

const EXPIRY = [
  ["OneHour", "1 hour"],
  ["1", "1 day"],
  ["7", "7 days"],
  ["30", "30 days"],
  ["60", "60 days"],
  ["90", "90 days"],
];

function tokensTable(tokens, onRevoke) {
  if (!tokens.length)
    return h("p", { class: "muted", id: "pat-empty" }, "You have no personal access tokens.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id: "pats" },
      h("caption", { class: "visually-hidden" }, "Your personal access tokens"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Name", "Expires", ""].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      h(
        "tbody",
        {},
        tokens.map((token) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, token.tokenName),
            h("td", {}, token.expiryDate ? formatTime(token.expiryDate) : "Never"),
            h(
              "td",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "danger small",
                  "aria-label": `Revoke ${token.tokenName}`,
                  onclick: () => onRevoke(token),
                },
                "Revoke",
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

function tokensSection() {
  const list = h("div", { id: "pat-list" });
  const status = h("div", { id: "pat-status" });
  const output = h("div", { id: "pat-output" });
  async function refresh() {
    const tokens = await api.get("/api/v1/users/security/token");
    list.replaceChildren(tokensTable(tokens.data ?? [], revoke));
  }
  async function revoke(token) {
    const sure = await confirmDialog({
      title: `Revoke “${token.tokenName}”?`,
      body: h("p", {}, "Anything using this token stops working at once."),
      confirmLabel: "Revoke token",
    });
    if (!sure) return;
    try {
      await api.put("/api/v1/users/security/token/revoke", { tokenIds: [token.token] });
      output.replaceChildren();
      await refresh();
      const done = message("success", `Token “${token.tokenName}” revoked.`);
      status.replaceChildren(done);
      // Its Revoke button is gone with the row: keep keyboard focus on the page, at the outcome.
      done.setAttribute("tabindex", "-1");
      done.focus();
    } catch (error) {
      status.replaceChildren(message("error", error.message));
    }
  }
  const name = h("input", { id: "pat-name", type: "text", required: true, autocomplete: "off" });
  const expiry = select("pat-expiry", EXPIRY, "30");
  const create = h("button", { type: "submit", class: "primary", id: "pat-create" }, "Create token");
  const form = h(
    "form",
    { class: "inline-form", id: "pat-form", novalidate: true },
    field("Token name", name),
    field("Expires after", expiry),
    h("div", { class: "field field-submit" }, create),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!name.value.trim()) {
      status.replaceChildren(message("error", "Give the token a name, e.g. the tool that will use it."));
      name.focus();
      return;
    }
    create.disabled = true;
    try {
      const created = await api.put("/api/v1/users/security/token", {
        tokenName: name.value.trim(),
        JWTTokenExpiry: expiry.value,
      });
      status.replaceChildren(
        message(
          "success",
          `Token “${created.tokenName}” created; it expires ${formatTime(created.expiryDate)}.`,
        ),
      );
      output.replaceChildren(tokenReveal(created.jwtToken, "pat-token"));
      name.value = "";
      await refresh();
    } catch (error) {
      status.replaceChildren(message("error", error.message));
    } finally {
      create.disabled = false;
    }
  });
  return {
    refresh,
    section: h(
      "section",
      { "aria-labelledby": "pat-heading" },
      h("h2", { id: "pat-heading" }, "Personal access tokens"),
      h("p", {}, "A personal access token acts as you in scripts and tools (Authorization: Bearer <token>)."),
      form,
      status,
      output,
      list,
    ),
  };
}

function passwordSection() {
  const old = h("input", { id: "old-password", type: "password", autocomplete: "current-password" });
  const fresh = h("input", { id: "new-password", type: "password", autocomplete: "new-password" });
  const again = h("input", { id: "confirm-password", type: "password", autocomplete: "new-password" });
  const status = h("div");
  const form = h(
    "form",
    { class: "stack narrow-form", novalidate: true },
    field("Current password", old),
    field(
      "New password",
      fresh,
      "At least 8 characters, with upper and lower case letters, a digit and a special character.",
    ),
    field("Confirm the new password", again),
    status,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary" }, "Change password")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api.put("/api/v1/users/changePassword", {
        oldPassword: old.value,
        newPassword: fresh.value,
        confirmPassword: again.value,
        requestType: "SELF",
      });
      status.replaceChildren(message("success", "Password changed."));
      form.reset();
    } catch (error) {
      status.replaceChildren(message("error", error.message));
    }
  });
  return h(
    "section",
    { "aria-labelledby": "password-heading" },
    h("h2", { id: "password-heading" }, "Password"),
    form,
  );
}

export async function profilePage(ctx) {
  const me = ctx.me;
  if (me.anonymous) {
    return h(
      "section",
      { class: "page" },
      pageHeader("Profile"),
      message("warning", "Authentication is off: there is no signed-in user."),
    );
  }
  const user = await api.get(`/api/v1/users/${segment(me.id)}`, { fields: "roles,teams,adminBy" });
  const sources = await membershipSources(user.id);
  const tokens = tokensSection();
  await tokens.refresh();
  return h(
    "section",
    { class: "page" },
    pageHeader(user.displayName || user.name),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "User name"),
      h("dd", {}, user.name),
      h("dt", {}, "Email"),
      h("dd", {}, user.email),
      h("dt", {}, "Roles"),
      h("dd", {}, (user.roles ?? []).map((r) => r.name).join(", ") || "None"),
      h("dt", {}, "Administrator"),
      h("dd", { id: "profile-admin" }, adminText(user.adminBy)),
    ),
    h("h2", {}, "Memberships"),
    membershipsTable(user, sources),
    tokens.section,
    ctx.config.provider === "basic" ? passwordSection() : null,
  );
}
