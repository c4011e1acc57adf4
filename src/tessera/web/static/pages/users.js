// Settings » Users: the list, a user's details, and deleting a user (with confirmation).
// Deleting the default administrator is a deliberate, explained action: the Azure SSO guide
// asks for it once people sign in with Entra ID.
import { api, segment } from "../api.js";
import { sessionEnded } from "../auth.js";
import { confirmDialog, formatTime, h, link, message } from "../dom.js";
import { navigate } from "../router.js";
import { setNotice, takeNotice } from "../session.js";
import { adminBadge, adminText, badge, breadcrumbs, pageHeader, pagedTable } from "./common.js";
import { membershipSources, membershipsTable } from "./memberships.js";

const DEFAULT_ADMIN = "admin";

function isDefaultAdmin(user) {
  return user.name === DEFAULT_ADMIN && Boolean(user.isAdmin);
}

function badges(user) {
  return [
    adminBadge(user),
    user.isBot ? badge("Bot") : null,
    user.deleted ? badge("Deleted", "danger") : null,
  ];
}

function defaultAdminCallout(config, linkToIt) {
  const sso = config.provider === "azure";
  return message(
    sso ? "warning" : "info",
    h("strong", {}, "The default administrator "),
    h("code", {}, DEFAULT_ADMIN),
    sso
      ? " was created for basic authentication. Now that people sign in with Microsoft Entra ID, the Azure SSO guide says to delete it: nobody needs its password any more, and a leftover password account is a way in. tessera warns about it at every start, and production mode refuses to start while it exists."
      : " was created at first start with a random password. Once another administrator can sign in, you may delete it.",
    " Deleted, it stays deleted: tessera never re-creates it. ",
    linkToIt ? link(`/settings/users/${DEFAULT_ADMIN}`, "Review the default administrator") : null,
  );
}

export async function usersPage(ctx) {
  const notice = takeNotice();
  const list = await pagedTable({
    caption: "Users",
    headers: ["User", "Email", "Roles", ""],
    row: (user) => [
      link(`/settings/users/${segment(user.name)}`, user.displayName || user.name),
      user.email ?? "",
      (user.roles ?? []).map((r) => r.name).join(", "),
      badges(user),
    ],
    fetchPage: (after) => api.get("/api/v1/users", { limit: 25, after, fields: "roles,adminBy" }),
    empty: "No users.",
  });
  const admin = ctx.config.provider === "azure" ? await findDefaultAdmin() : null;
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Users", ""],
    ]),
    pageHeader("Users", h("p", {}, link("/settings/users/new", "Add a user"))),
    notice ? message(notice.kind, notice.text) : null,
    admin ? defaultAdminCallout(ctx.config, true) : null,
    list,
  );
}

async function findDefaultAdmin() {
  try {
    const user = await api.get(`/api/v1/users/name/${DEFAULT_ADMIN}`);
    return isDefaultAdmin(user) ? user : null;
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

export async function userPage(ctx, { params }) {
  const user = await api.get(`/api/v1/users/name/${segment(params.name)}`, {
    fields: "roles,teams,adminBy",
  });
  const sources = await membershipSources(user.id);
  const notice = takeNotice();
  const self = ctx.me?.id === user.id;
  const status = h("div", { id: "user-status" });
  const remove = h(
    "button",
    { type: "button", class: "danger", id: "delete-user" },
    isDefaultAdmin(user) ? "Delete the default administrator" : "Delete user",
  );
  remove.addEventListener("click", async () => {
    const consequences = [
      "The user is deleted permanently (hard delete), with every token and personal access token: they stop working at once.",
    ];
    if (self) consequences.push("You are signed in as this user: you will be signed out.");
    if (isDefaultAdmin(user)) consequences.push("Make sure another administrator can sign in first.");
    const sure = await confirmDialog({
      title: `Delete ${user.name}?`,
      body: h(
        "ul",
        {},
        consequences.map((text) => h("li", {}, text)),
      ),
      confirmLabel: "Delete permanently",
      typeToConfirm: user.name,
    });
    if (!sure) return;
    try {
      await api.del(`/api/v1/users/${segment(user.id)}`, { hardDelete: "true" });
      if (self) {
        sessionEnded(`You deleted your own user ${user.name}, so you were signed out.`, "info");
        return;
      }
      setNotice("success", `User ${user.name} was deleted.`);
      navigate("/settings/users");
    } catch (error) {
      status.replaceChildren(message("error", error.message));
    }
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Users", "/settings/users"],
      [user.name, ""],
    ]),
    pageHeader(user.displayName || user.name, h("p", {}, badges(user))),
    notice ? message(notice.kind, notice.text) : null,
    isDefaultAdmin(user) ? defaultAdminCallout(ctx.config, false) : null,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "User name"),
      h("dd", {}, user.name),
      h("dt", {}, "Email"),
      h("dd", {}, user.email ?? ""),
      h("dt", {}, "Roles"),
      h("dd", {}, (user.roles ?? []).map((r) => r.name).join(", ") || "None"),
      h("dt", {}, "Administrator"),
      h("dd", { id: "user-admin" }, adminText(user.adminBy)),
      h("dt", {}, "Teams"),
      h("dd", {}, (user.teams ?? []).map((t) => t.name).join(", ") || "None"),
      h("dt", {}, "Last changed"),
      h("dd", {}, `${formatTime(user.updatedAt)} by ${user.updatedBy ?? "?"}`),
    ),
    h("h2", {}, "Memberships"),
    membershipsTable(user, sources),
    user.isBot
      ? h(
          "p",
          {},
          "This is a bot: manage its authentication under ",
          link(`/settings/bots/${segment(user.name)}`, "Settings » Bots"),
          ".",
        )
      : null,
    status,
    h("div", { class: "actions" }, remove),
  );
}
