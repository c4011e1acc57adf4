// Where a user's administrator flag, roles and teams came from: Entra ID (an app role or a
// group, through authorizerConfiguration.providerMappings, added and removed at each sign-in)
// or tessera itself (an administrator, or the default role at sign-up: never touched by a sign-in).
import { api, segment } from "../api.js";
import { h, table } from "../dom.js";
import { badge } from "./common.js";

export async function membershipSources(userId) {
  try {
    return (await api.get(`/api/v1/users/${segment(userId)}/membershipSources`)).data ?? [];
  } catch {
    return [];
  }
}

function origin(sources, kind, id) {
  const found = sources.find((s) => s.kind === kind && (kind === "admin" || s.id === id));
  return found
    ? h("span", {}, badge("Entra ID", "ok"), ` ${found.sources.map((s) => s.replace(/^Entra ID /, "")).join(", ")}`)
    : h("span", { class: "muted" }, "granted in tessera (a sign-in never changes it)");
}

export function membershipsTable(user, sources) {
  const rows = [];
  // adminBy (asked for by the pages that show this) is the server's answer; isAdmin the flag.
  if (user.adminBy === "adminPrincipals") {
    rows.push(["Administrator", "administrator", h("span", { class: "muted" }, "listed in adminPrincipals (the server's configuration)")]);
  } else if (user.adminBy ?? user.isAdmin) {
    rows.push(["Administrator", "administrator", origin(sources, "admin", null)]);
  }
  for (const role of user.roles ?? []) rows.push(["Role", role.name, origin(sources, "role", role.id)]);
  for (const team of user.teams ?? []) rows.push(["Team", team.name, origin(sources, "team", team.id)]);
  if (!rows.length) return h("p", { class: "muted", id: "memberships-empty" }, "No roles or teams.");
  const shown = table("Memberships and where they came from", ["Kind", "Name", "From"], rows);
  shown.id = "memberships";
  return shown;
}
