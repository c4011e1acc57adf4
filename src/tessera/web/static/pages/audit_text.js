// The audit log in words: the actions the server records (audit/service.py's callers) with a
// label for the action picker, and one sentence per event built from its stored fields.

export const ACTIONS = {
  login: "Password sign-in",
  logout: "Sign-out",
  "user-sign-in": "Entra ID sign-in",
  "user-sign-up": "First Entra ID sign-in",
  "user-sign-out": "Entra ID sign-out",
  "user-session-ended": "Session ended",
  "refresh-token-reuse": "Refresh token reused",
  "change-password": "Password change",
  "user-create": "User created",
  "user-update": "User changed",
  "user-delete": "User deleted",
  "user-restore": "User restored",
  "bot-create": "Bot created",
  "bot-update": "Bot changed",
  "bot-delete": "Bot deleted",
  "bot-restore": "Bot restored",
  "auth-mechanism-change": "Bot authentication changed",
  "token-issue": "Token issued",
  "token-revoke": "Token revoked",
  "idp-membership-granted": "Entra ID membership granted",
  "idp-membership-revoked": "Entra ID membership revoked",
  "idp-groups-unavailable": "Entra ID groups unavailable",
};

const AUTH_TYPES = { JWT: "a tessera JWT", SSO: "Azure SSO" };

function list(values) {
  return Array.isArray(values) ? values.join(", ") : String(values ?? "");
}

function entity(event) {
  const kind = event.targetType === "bot" ? "bot" : "user";
  return `${kind} ${event.target ?? "?"}`;
}

function change(event, verb) {
  const d = event.detail ?? {};
  if (event.outcome === "failure") {
    return `${event.actor} was refused: only administrators change ${list(d.fields)} (${d.operation ?? "change"} ${entity(event)}).`;
  }
  if (verb === "changed" && d.fields?.length) return `${event.actor} changed ${list(d.fields)} of ${entity(event)}.`;
  const hard = d.hardDelete ? " permanently" : "";
  return `${event.actor} ${verb} ${entity(event)}${verb === "deleted" ? hard : ""}.`;
}

const SENTENCES = {
  login: (e, d) =>
    e.outcome === "failure"
      ? `Password sign-in as ${e.actor} refused (${d.reason ?? "refused"}${d.source ? `, from ${d.source}` : ""}).`
      : `${e.actor} signed in with a password.`,
  logout: (e) => `${e.actor} signed out.`,
  "user-sign-in": (e, d) =>
    e.outcome === "failure"
      ? `Entra ID sign-in as ${e.target} refused: ${d.reason ?? "refused"}.`
      : `${e.actor} signed in with Microsoft Entra ID.`,
  "user-sign-up": (e) => `${e.target} signed in for the first time; tessera created user ${e.actor}.`,
  "user-sign-out": (e) => `${e.actor} signed out.`,
  "user-session-ended": (e, d) => `The session of ${e.target} ended${d.reason ? `: ${d.reason}` : ""}.`,
  "refresh-token-reuse": () =>
    "A refresh token was used a second time: every session of that sign-in was ended.",
  "change-password": (e) =>
    e.actor === e.target ? `${e.actor} changed their password.` : `${e.actor} changed the password of ${e.target}.`,
  "user-create": (e) => change(e, "created"),
  "user-update": (e) => change(e, "changed"),
  "user-delete": (e) => change(e, "deleted"),
  "user-restore": (e) => change(e, "restored"),
  "bot-create": (e) => change(e, "created"),
  "bot-update": (e) => change(e, "changed"),
  "bot-delete": (e) => change(e, "deleted"),
  "bot-restore": (e) => change(e, "restored"),
  "auth-mechanism-change": (e, d) =>
    `${e.actor} made bot ${e.target} authenticate with ${AUTH_TYPES[d.authType] ?? d.authType}.`,
  "token-issue": (e, d) =>
    e.targetType === "bot"
      ? `${e.actor} issued a new token for bot ${e.target}${d.expiry ? ` (expiry ${d.expiry})` : ""}.`
      : `${e.actor} created the personal access token “${e.target}”.`,
  "token-revoke": (e) =>
    e.targetType === "bot"
      ? `${e.actor} revoked the token of bot ${e.target}.`
      : `${e.actor} revoked the personal access token “${e.target}”.`,
  "idp-membership-granted": (e, d) =>
    `Entra ID made ${e.target} a member of ${d.membership ?? ""} ${d.name ?? ""} (${list(d.sources)}).`,
  "idp-membership-revoked": (e, d) =>
    `Entra ID no longer makes ${e.target} a member of ${d.membership ?? ""} ${d.name ?? ""}.`,
  "idp-groups-unavailable": (e, d) =>
    `The Entra ID groups of ${e.target} could not be read (${d.reason ?? "unknown"}); kept ${d.kept ?? "the previous memberships"}.`,
};

export function summary(event) {
  const sentence = SENTENCES[event.action];
  if (sentence) return sentence(event, event.detail ?? {});
  const target = [event.targetType, event.target].filter(Boolean).join(" ");
  return `${event.actor} · ${event.action}${target ? ` · ${target}` : ""}`;
}
