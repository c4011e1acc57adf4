// Administrators: add a bot (its user with an OpenMetadata JWT, then the bot, as OpenMetadata's
// UI does: PUT /api/v1/users, PUT /api/v1/bots) and add a user (POST /api/v1/users). Every
// refusal is shown in the server's words next to the form.
import { api, segment } from "../api.js";
import { field, h, link, message, select } from "../dom.js";
import { navigate } from "../router.js";
import { setNotice } from "../session.js";
import { breadcrumbs, pageHeader } from "./common.js";
import { errorFocus, nameHint } from "./forms.js";
import { tokenReveal } from "./tokens.js";

const EXPIRY = [
  ["OneHour", "1 hour"],
  ["1", "1 day"],
  ["7", "7 days"],
  ["30", "30 days"],
  ["60", "60 days"],
  ["90", "90 days"],
];
const NAME = /^[A-Za-z0-9_.-]+$/;

function text(id, extra = {}) {
  return h("input", { id, type: "text", autocomplete: "off", spellcheck: "false", ...extra });
}

async function all(collection) {
  return (await api.get(`/api/v1/${collection}`, { limit: 500 })).data ?? [];
}

function choices(legend, id, entities, hint) {
  return h(
    "fieldset",
    { class: "choices", id },
    h("legend", {}, legend),
    hint ? h("p", { class: "hint" }, hint) : null,
    entities.map((entity) => {
      const inputId = `${id}-${entity.id}`;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "checkbox", id: inputId, value: entity.id, "data-name": entity.name }),
        h("label", { for: inputId }, entity.displayName || entity.name),
      );
    }),
  );
}

export async function newBotPage() {
  const roles = await all("roles");
  const roleChoices = choices("Roles", "bot-roles", roles, "What the bot may do, e.g. IngestionBotRole for ingestion; none: nothing.");
  const name = text("bot-name");
  const displayName = h("input", { id: "bot-display-name", type: "text", autocomplete: "off" });
  const email = h("input", { id: "bot-email", type: "email", autocomplete: "off", spellcheck: "false" });
  const about = h("textarea", { id: "bot-description", rows: 2 });
  const expiry = select("new-bot-expiry", EXPIRY, "30");
  const status = h("div", { id: "new-bot-status" });
  const output = h("div", { id: "new-bot-output" });
  const create = h("button", { type: "submit", class: "primary", id: "create-bot" }, "Add bot");
  const form = h(
    "form",
    { class: "stack form-page", id: "new-bot-form", novalidate: true },
    field("Name", name, nameHint("bot")),
    field("Display name (optional)", displayName),
    field("Email", email, "The bot user's email, e.g. reporting-bot@example.com; one address per bot."),
    field("Description (optional)", about),
    field("Token expiration", expiry, "The bot authenticates with a tessera JWT; switch it to Azure SSO on its page."),
    roleChoices,
    status,
    h("div", { class: "actions" }, create),
    output,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const botName = name.value.trim();
    if (!NAME.test(botName)) return errorFocus(status, "Give the bot a name of letters, digits and - _ . only.", name);
    if (!email.value.trim()) return errorFocus(status, "Give the bot user an email.", email);
    create.disabled = true;
    try {
      const existing = await api.get(`/api/v1/bots/name/${segment(botName)}`).catch((error) => {
        if (error.status === 404) return null;
        throw error;
      });
      if (existing) return errorFocus(status, `There is already a bot named ${botName}.`, name);
      const user = await api.put("/api/v1/users", {
        name: botName,
        email: email.value.trim(),
        displayName: displayName.value.trim() || undefined,
        description: about.value.trim() || undefined,
        isBot: true,
        botName,
        roles: [...roleChoices.querySelectorAll("input:checked")].map((input) => input.value),
        authenticationMechanism: { authType: "JWT", config: { JWTTokenExpiry: expiry.value } },
      });
      await api.put("/api/v1/bots", {
        name: botName,
        displayName: displayName.value.trim() || undefined,
        description: about.value.trim() || undefined,
        botUser: user.name,
      });
      const mechanism = await api.get(`/api/v1/users/auth-mechanism/${segment(user.id)}`);
      form.reset();
      status.replaceChildren(
        message("success", `Bot ${botName} added. `, link(`/settings/bots/${segment(botName)}`, `Open ${botName}`)),
      );
      if (mechanism.config?.JWTToken) output.replaceChildren(tokenReveal(mechanism.config.JWTToken, "new-bot-token"));
    } catch (error) {
      errorFocus(status, error.message);
    } finally {
      create.disabled = false;
    }
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Bots", "/settings/bots"],
      ["New bot", ""],
    ]),
    pageHeader("Add a bot"),
    h("p", {}, "A bot is an account for automation, such as ingestion: it has no password, only a token."),
    form,
  );
}

export async function newUserPage(ctx) {
  const [roles, teams] = await Promise.all([all("roles"), all("teams")]);
  const basic = ctx.config.provider === "basic";
  const name = text("user-name");
  const email = h("input", { id: "user-email", type: "email", autocomplete: "off", spellcheck: "false" });
  const displayName = h("input", { id: "user-display-name", type: "text", autocomplete: "off" });
  const password = basic ? h("input", { id: "user-password", type: "password", autocomplete: "new-password" }) : null;
  const admin = h("input", { id: "user-admin", type: "checkbox" });
  const roleChoices = choices("Roles", "user-roles", roles, "None chosen: the default role (DataConsumer).");
  const teamChoices = choices("Teams", "user-teams", teams.filter((t) => t.teamType === "Group"), "Only groups have members.");
  const status = h("div", { id: "new-user-status" });
  const create = h("button", { type: "submit", class: "primary", id: "create-user" }, "Add user");
  const form = h(
    "form",
    { class: "stack form-page", id: "new-user-form", novalidate: true },
    field("User name", name, nameHint("user")),
    field("Email", email, basic ? "They sign in with their user name or this email." : "They sign in with Microsoft Entra ID with this email."),
    field("Display name (optional)", displayName),
    password
      ? field("Password", password, "At least 8 characters, with upper and lower case letters, a digit and a special character. Give it to them safely; they can change it on their profile.")
      : null,
    h("div", { class: "choice" }, admin, h("label", { for: "user-admin" }, "Administrator")),
    roleChoices,
    teamChoices,
    status,
    h("div", { class: "actions" }, create),
  );
  const ticked = (set) => [...set.querySelectorAll("input:checked")].map((input) => input.value);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const userName = name.value.trim();
    if (!NAME.test(userName)) return errorFocus(status, "Give the user a name of letters, digits and - _ . only.", name);
    if (!email.value.trim()) return errorFocus(status, "Give the user an email.", email);
    if (password && !password.value) return errorFocus(status, "Give the user a first password.", password);
    create.disabled = true;
    try {
      const body = { name: userName, email: email.value.trim(), isAdmin: admin.checked };
      if (displayName.value.trim()) body.displayName = displayName.value.trim();
      if (password) body.password = password.value;
      if (ticked(roleChoices).length) body.roles = ticked(roleChoices);
      if (ticked(teamChoices).length) body.teams = ticked(teamChoices);
      const user = await api.post("/api/v1/users", body);
      setNotice("success", `User ${user.name} added.`);
      navigate(`/settings/users/${segment(user.name)}`);
    } catch (error) {
      errorFocus(status, error.status === 409 ? `There is already a user named ${userName} or with that email.` : error.message);
    } finally {
      create.disabled = false;
    }
  });
  return h(
    "section",
    { class: "page" },
    breadcrumbs([
      ["Settings", null],
      ["Users", "/settings/users"],
      ["New user", ""],
    ]),
    pageHeader("Add a user"),
    form,
  );
}
